import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Live media into `ringlet device` (issue 15, item 2): ffmpeg encodes its test pattern in real time into a pipe
/// or a FIFO, `ringlet device --video -` / `--audio …` sends it, and the web app in headless Chromium decodes it.
@Suite("Web app: live media from ffmpeg through ringlet device", .serialized, .timeLimit(.minutes(3)))
struct LiveInputTests {
    /// ffmpeg's 320×240 test pattern at 15 fps, H.264 in `profile`, one IDR a second, to standard output.
    static func livePattern(profile: String) -> String {
        "ffmpeg -nostdin -hide_banner -loglevel error -re -f lavfi -i testsrc=size=320x240:rate=15 -c:v libx264 "
            + "-profile:v \(profile) -pix_fmt yuv420p -g 15 -bf 0 -f h264 -"
    }

    /// The page's user authorizes DOOR-1 and the device starts with `producer` feeding its standard input and
    /// calls the user at once; returns the device once the page rings.
    static func liveDevice(_ bench: WebAppBench, _ page: WebPage, producer: String?, arguments: [String]) async throws
        -> DeviceProcess
    {
        let ticket = try await bench.server.issueTicket(sn: "DOOR-1", deviceName: "Front door")
        try await authorize(page, sn: "DOOR-1", ticket: ticket)
        try await page.waitForText("Front door may now call you.")
        let openId = try await openID(of: page, server: bench.server)
        let device = try bench.startDevice(sn: "DOOR-1", ticket: ticket, arguments: ["--call", openId] + arguments,
                                           producer: producer)
        try await device.waitFor("doWxCloudVoipCallV2 0", timeout: .seconds(30)) {
            $0["cb"] as? String == "doWxCloudVoipCallV2" && $0["code"] as? Int == 0
        }
        try await page.waitForState("callState", "ringing")
        return device
    }

    @Test("ffmpeg -f h264 - | ringlet device --video -: the page decodes the live 320×240 pattern, not the bundled clip; nothing is refused")
    func liveH264ThroughAPipe() async throws {
        _ = try requireTool("ffmpeg", package: "ffmpeg")
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await Self.liveDevice(bench, page, producer: Self.livePattern(profile: "baseline"),
                                                   arguments: ["--video", "-"])
            let input = try await device.waitFor("the input's profile") { $0["cb"] as? String == "input" && $0["profile"] != nil }
            #expect(input["callable"] as? Bool == true && input["size"] as? String == "320x240", "\(input)")
            try await page.click(button: "Answer")
            try await device.waitFor(command: "CALL_ANSWER")
            try await waitForPageMedia(page, timeout: .seconds(60))  // three encoders and Chromium share two cores
            try await page.waitUntil("""
                (() => { const v = document.getElementById('remote-video');
                         return v.videoWidth === 320 && v.videoHeight === 240 && v.currentTime > 2 && !v.paused; })()
                  && Number(document.body.dataset.framesDecoded) >= 30
                """, timeout: .seconds(45))
            let status = try await device.waitForStatus("live video sent") { int($0, "videoSent") >= 30 }
            #expect(int(status, "refused") == 0, "\(status)")
            #expect(!device.events.contains { $0["cb"] as? String == "refused" }, "\(device.describe())")
        }
    }

    @Test("a High-profile stream is refused with -313 and a message that says to encode baseline; the page decodes no video while the tone plays")
    func highProfileRefused() async throws {
        _ = try requireTool("ffmpeg", package: "ffmpeg")
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await Self.liveDevice(bench, page, producer: Self.livePattern(profile: "high"),
                                                   arguments: ["--video", "-"])
            let input = try await device.waitFor("the input's profile") { $0["cb"] as? String == "input" && $0["profile"] != nil }
            #expect(input["callable"] as? Bool == false && (input["profile"] as? String)?.hasPrefix("64") == true, "\(input)")
            try await page.click(button: "Answer")
            let refused = try await device.waitFor("a refused video frame", timeout: .seconds(30)) {
                $0["cb"] as? String == "refused" && $0["kind"] as? String == "video"
            }
            #expect(refused["code"] as? Int == -313, "\(refused)")
            let message = refused["message"] as? String ?? ""
            #expect(message.contains("High") && message.contains("-profile:v baseline"), "\(message)")
            // The call goes on: the tone reaches the page; no frame of the High stream is decoded.
            try await page.waitUntil("Number(document.body.dataset.audioPackets) > 100", timeout: .seconds(30))
            #expect(try await page.state("framesDecoded") == "0")
            let status = try await device.waitForStatus("video refused") { int($0, "refused") > 10 }
            #expect(int(status, "videoSent") == 0, "\(status)")
        }
    }

    @Test("a live pipeline like a camera's: H.264 through a FIFO and Opus in Ogg through a pipe, both from one ffmpeg; the page decodes both")
    func fifoVideoAndPipedOpus() async throws {
        _ = try requireTool("ffmpeg", package: "ffmpeg")
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let fifo = bench.folder.appendingPathComponent("camera.h264").path
            guard mkfifo(fifo, 0o600) == 0 else { throw TestSupportError("mkfifo failed: \(errno)") }
            try await instrument(page, preferAudio: nil)
            let producer = "ffmpeg -nostdin -hide_banner -loglevel error -re -f lavfi -i testsrc=size=320x240:rate=15 "
                + "-f lavfi -i aevalsrc='0.5*sin(2*PI*440*t)':s=48000 -map 0:v -c:v libx264 -profile:v baseline "
                + "-pix_fmt yuv420p -g 15 -bf 0 -f h264 -y \(fifo) -map 1:a -c:a libopus -b:a 32k -frame_duration 20 "
                + "-ac 1 -page_duration 20000 -f ogg -"
            let device = try await Self.liveDevice(bench, page, producer: producer,
                                                   arguments: ["--video", fifo, "--audio", "-", "--audio-format", "opus"])
            try await page.click(button: "Answer")
            try await device.waitFor(command: "CALL_ANSWER")
            let info = try await device.waitFor(callback: "onGetAvEncInfo")
            #expect(info["audioType"] as? Int == 7, "the device declared only Opus: \(info)")
            try await waitForPageMedia(page, timeout: .seconds(60))  // three encoders and Chromium share two cores
            try await page.waitUntil("document.getElementById('remote-video').videoWidth === 320", timeout: .seconds(45))
            let audio = try await decodedAudio(page, atLeastSeconds: 2, timeout: .seconds(45))
            #expect(audio.codec == "audio/opus" && audio.energy > 0.01 && audio.concealedShare < 0.2, "\(audio)")
            let status = try await device.waitForStatus("live media sent") { int($0, "videoSent") >= 30 && int($0, "audioSent") >= 100 }
            #expect(int(status, "refused") == 0, "\(status)")
        }
    }
}

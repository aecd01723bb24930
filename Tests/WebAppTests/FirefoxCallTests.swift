import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// The calls that matter, in Firefox ESR (Debian's `firefox-esr`, headless, driven over WebDriver BiDi) against a
/// real `ringlet device`: the device calls the page and the page calls the device, each side hangs up,
/// Microphone and Open door. Sound is heard both ways (the page's received audio has energy and its audio
/// element plays; the device counts the page's audio frames). Video flows where the browser decodes H.264;
/// where it does not (this Firefox has no OpenH264 plugin), the page says so plainly and still plays the sound.
@Suite("Web app in Firefox ESR: calls both ways with sound", .serialized, .timeLimit(.minutes(4)))
struct FirefoxCallTests {
    /// Whether this Firefox decodes H.264 in calls (then video is expected both ways).
    static func decodesH264(_ page: BiDiPage) async throws -> Bool {
        try await page.evaluate("""
            RTCRtpReceiver.getCapabilities('video').codecs.some(c => c.mimeType.toLowerCase() === 'video/h264')
            """) as? Bool == true
    }

    /// Waits until the page, in a call, hears the device: audio packets with energy (sound, not silence) and the
    /// audio element playing; with H.264 also decoded frames, else the plain note that video cannot be shown.
    static func waitForSound(_ page: BiDiPage, h264: Bool, name: String = "Front door") async throws {
        try await page.waitUntil("""
            document.body.dataset.callState === 'active' && document.body.dataset.callMedia === 'connected'
              && Number(document.body.dataset.audioPackets) > 0 && Number(document.body.dataset.audioEnergy) > 0
              && (() => { const a = document.getElementById('remote-audio');
                          return !a.paused && a.currentTime > 0.5 && a.srcObject && a.srcObject.getAudioTracks().length > 0; })()
            """, timeout: .seconds(30))
        if h264 {
            try await page.waitUntil("Number(document.body.dataset.framesDecoded) > 0", timeout: .seconds(20))
        } else {
            #expect(try await page.state("videoUnsupported") == "true")
            #expect(try await page.evaluate("!document.getElementById('video-note').hidden") as? Bool == true)
            try await page.waitForText("This browser cannot show \(name)'s video")
            #expect(try await page.state("remoteVideo") != "playing", "no frozen or black picture claimed as video")
        }
    }

    /// Waits until the device receives the page's sound (and its video with H.264) and sends its own.
    static func waitForDeviceSound(_ device: DeviceProcess, after: Int, h264: Bool) async throws {
        try await device.waitFor(callback: "onStartRecvAudioStream", after: after, timeout: .seconds(30))
        try await device.waitForStatus("audio both ways", after: after, timeout: .seconds(20)) {
            int($0, "audioReceived") > 0 && int($0, "audioSent") > 0 && (!h264 || int($0, "videoReceived") > 0)
        }
    }

    /// Firefox on the web app at phone size, signed in as `name`.
    static func signedInFirefox(_ bench: WebAppBench, as name: String = "Ada") async throws -> BiDiPage {
        let (_, page) = try await bench.launchFirefox()
        try await page.emulatePhone()
        try await signIn(page, as: name)
        return page
    }

    @Test("Firefox: the device calls, the page answers; sound both ways (video only with H.264, else said plainly); Microphone and Open door reach the device; the page hangs up")
    func deviceCallsFirefox() async throws {
        try await WebAppBench.run { bench in
            let page = try await Self.signedInFirefox(bench)
            let h264 = try await Self.decodesH264(page)
            print("Firefox ESR decodes H.264 in calls: \(h264)")
            let device = try await authorizedDevice(bench, page, arguments: ["--ack-commands"])
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            #expect(try await page.buttonNames() == ["Reject", "Answer"])
            // Said before answering, too: no picture is coming in this browser.
            if !h264 { try await page.waitForText("This browser cannot show Front door's video") }

            try await page.click(button: "Answer")
            try await device.waitFor(command: "CALL_ANSWER", after: call.mark)
            try await Self.waitForSound(page, h264: h264)
            try await Self.waitForDeviceSound(device, after: call.mark, h264: h264)
            #expect(try await page.buttonNames() == ["Microphone", "Camera", "Open door", "Hang up"])

            let muted = device.mark
            try await page.click(button: "Microphone")
            try await device.waitFor(command: "CALL_AV_VIDEO_ONLY", after: muted)
            try await page.click(button: "Microphone")
            try await device.waitFor(command: "CALL_AV_AUDIO_VIDEO", after: muted)

            let opened = device.mark
            try await page.click(button: "Open door")
            try await page.click(button: "Yes, open door")
            #expect(try await device.waitFor(command: "USR_DATA", after: opened)["args"] as? String == "Open door")
            try await page.waitForText("Front door confirmed “Open door”.")

            let hangUp = device.mark
            try await page.click(button: "Hang up")
            try await device.waitFor(callback: "onStopRealPlay", after: hangUp)
            #expect(callFlow(device, after: hangUp) == ["CALL_HANG_UP", "onStopRecvStream", "onStopRealPlay"])
            try await waitForCallEnd(page, "hang_up", "You hung up.", callID: call.callID)
        }
    }

    @Test("Firefox: the device calls, the page answers with sound both ways; the device hangs up and the page says so")
    func deviceHangsUpOnFirefox() async throws {
        try await WebAppBench.run { bench in
            let page = try await Self.signedInFirefox(bench)
            let h264 = try await Self.decodesH264(page)
            let device = try await authorizedDevice(bench, page)
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await page.click(button: "Answer")
            try await Self.waitForSound(page, h264: h264)
            try await Self.waitForDeviceSound(device, after: call.mark, h264: h264)
            let hangUp = device.mark
            try device.send("hangup")
            try await waitForCallEnd(page, "remote_hang_up", "Front door hung up.", callID: call.callID)
            try await device.waitFor(callback: "onStopRealPlay", after: hangUp)
        }
    }

    @Test("Firefox: the page calls the device, which accepts; sound both ways; the page hangs up")
    func firefoxCallsDevice() async throws {
        try await WebAppBench.run { bench in
            let page = try await Self.signedInFirefox(bench)
            let h264 = try await Self.decodesH264(page)
            let device = try await authorizedDevice(bench, page, arguments: ["--on-join", "accept"])
            let start = device.mark
            try await page.click(button: "Call")
            try await device.waitFor(callback: "onJoinNotify", after: start)
            try await Self.waitForSound(page, h264: h264)
            try await Self.waitForDeviceSound(device, after: start, h264: h264)
            let hangUp = device.mark
            try await page.click(button: "Hang up")
            try await device.waitFor(callback: "onStopRealPlay", after: hangUp)
            #expect(callFlow(device, after: hangUp) == ["CALL_HANG_UP", "onStopRecvStream", "onStopRealPlay"])
            try await waitForCallEnd(page, "hang_up", "You hung up.")
        }
    }
}

import Foundation
import Glibc
import RingletTestSupport
import Testing

/// The JSON objects a command printed, one per line.
func jsonLines(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
    }
}

@Suite("ringlet demo, ringlet device and ringlet phone as processes", .serialized, .timeLimit(.minutes(5)))
struct DeviceCommandTests {
    @Test("ringlet demo --json: a whole call with media both ways, and exit code 0")
    func demo() async throws {
        let folder = try temporaryFolder(prefix: "ringlet-demo-test")
        defer { try? FileManager.default.removeItem(at: folder) }
        let demo = try ChildProcess(try ringletExecutable(), arguments: ["demo", "--json", "--seconds", "4"],
                                    folder: folder, name: "demo")
        #expect(await demo.wait(timeout: 90), "the demo did not finish: \(demo.errorText)")
        #expect(demo.terminationStatus == 0, "\(demo.errorText)")
        let summary = try #require(jsonLines(demo.outputText).last)
        #expect(summary["ok"] as? Bool == true)
        #expect(summary["link"] as? String == "direct")
        #expect((summary["ring_ms"] as? Int ?? 0) > 0)
        // 4 s of media: 60 video and 200 audio frames each way when nothing is lost; a quarter is asked for, as the
        // first frames wait for the path and a loaded machine sends late.
        for direction in ["device_to_phone", "phone_to_device"] {
            let d = try #require(summary[direction] as? [String: Any], "\(direction)")
            #expect((d["video_frames"] as? Int ?? 0) >= 15, "\(direction): \(d)")
            #expect((d["audio_frames"] as? Int ?? 0) >= 50, "\(direction): \(d)")
            #expect((d["first_frame_ms"] as? Int).map { $0 >= 0 && $0 < 2000 } == true, "\(direction): \(d)")
        }
    }

    @Test("ringlet device calls, ringlet phone answers; the device prints the seed's callbacks in order")
    func deviceAndPhoneProcesses() async throws {
        try await CallLab.with { lab in
            let user = try await lab.user("bob")
            let sn = "CLI_DOOR-1"
            let ticket = try await lab.provision(sn: sn, authorizedBy: [user])
            let exe = try ringletExecutable()
            let phone = try ChildProcess(
                "ip", arguments: Array(lab.namespace.exec([
                    exe, "phone", "--server", lab.base, "--token", user.token, "--answer", "answer",
                    "--answer-after", "0.3", "--hang-up-after", "2", "--events-json", "--duration", "30",
                ]).dropFirst()), folder: lab.folder, name: "phone")
            defer { phone.stop() }
            #expect(await phone.waitForLine(containing: "\"cb\":\"online\"", timeout: 15) != nil, "\(phone.errorText)")
            let received = lab.folder.appendingPathComponent("received")
            let device = try ChildProcess(
                "ip", arguments: Array(lab.namespace.exec([
                    exe, "device", "--server", lab.base, "--sn", sn, "--model", lab.modelId, "--app", lab.appId,
                    "--data-dir", lab.folder.appendingPathComponent("cli-device").path, "--ticket", ticket,
                    "--call", user.openId, "--calls", "1", "--duration", "40", "--record", received.path, "--events-json",
                ]).dropFirst()), folder: lab.folder, name: "device")
            defer { device.stop() }
            #expect(await device.wait(timeout: 45), "the device did not exit after its call: \(device.errorText)")
            #expect(device.terminationStatus == 0)
            let events = jsonLines(device.outputText)
            let callbacks = events.compactMap { $0["cb"] as? String }
            let order = callbacks.filter {
                ["onRecvCommand", "onGetAvEncInfo", "onStartRealPlay", "onStopRecvStream", "onStopRealPlay"].contains($0)
            }
            let commands = events.filter { $0["cb"] as? String == "onRecvCommand" }.compactMap { $0["command"] as? String }
                .filter { $0 != "REQ_IFRAME" }
            #expect(Array(order.filter { $0 != "onRecvCommand" }) == ["onGetAvEncInfo", "onStartRealPlay", "onStopRecvStream", "onStopRealPlay"])
            #expect(commands == ["CALL_ANSWER", "CALL_HANG_UP"], "\(callbacks)")
            #expect(callbacks.contains("onStartRecvVideoStream") && callbacks.contains("onStartRecvAudioStream"))
            #expect(events.contains { $0["cb"] as? String == "doWxCloudVoipCallV2" && $0["code"] as? Int == 0 })
            let statuses = events.filter { $0["cb"] as? String == "status" }
            #expect(statuses.contains { ($0["videoReceived"] as? Int ?? 0) > 10 && ($0["videoSent"] as? Int ?? 0) > 10 })
            #expect(callbacks.suffix(4) == ["exitWxCloudVoipV2", "exitIvAvt", "exitIvDm", "exitIvSys"])
            // What it received is on disk: an H.264 stream starting with a start code, and G.711 audio.
            let files = try FileManager.default.contentsOfDirectory(atPath: received.path)
            let video = try #require(files.first { $0.hasSuffix(".h264") })
            let bytes = try [UInt8](Data(contentsOf: received.appendingPathComponent(video)))
            #expect(bytes.count > 10_000 && Array(bytes.prefix(4)) == [0, 0, 0, 1])
            #expect(files.contains { $0.hasSuffix(".audio") })
            // The phone saw the ring, the media and its own hang-up.
            let phoneEvents = jsonLines(phone.outputText).compactMap { $0["cb"] as? String }
            #expect(phoneEvents.contains("ring") && phoneEvents.contains("mediaConnected") && phoneEvents.contains("hangUp"))
        }
    }

    @Test("H.265 where the peer takes it: ringlet device --video FILE --video-codec h265 calls a phone that takes H.265; ffmpeg decodes what the phone received")
    func h265ToAPhoneThatTakesIt() async throws {
        _ = try requireTool("ffmpeg", package: "ffmpeg")
        try await CallLab.with { lab in
            let user = try await lab.user("carol")
            let sn = "CLI_H265-1"
            let ticket = try await lab.provision(sn: sn, authorizedBy: [user])
            let stream = lab.folder.appendingPathComponent("pattern.h265").path
            let made = try ChildProcess("ffmpeg", arguments: [
                "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-frames:v", "45",
                "-c:v", "libx265", "-x265-params", "keyint=15:min-keyint=15:scenecut=0:bframes=0:log-level=error",
                "-pix_fmt", "yuv420p", "-f", "hevc", "-y", stream,
            ], folder: lab.folder, name: "x265")
            #expect(await made.wait(timeout: 60) && made.terminationStatus == 0, "\(made.errorText)")
            let received = lab.folder.appendingPathComponent("phone-received")
            let phone = try await lab.phone(user, policy: .answer(after: .milliseconds(300))) { c in
                c.videoCodecs = [.h265]
                c.recordFolder = received.path
            }
            // Stopped here, before the lab shuts its event loops down.
            do {
                let device = try ChildProcess(
                    "ip", arguments: Array(lab.namespace.exec([
                        try ringletExecutable(), "device", "--server", lab.base, "--sn", sn, "--model", lab.modelId,
                        "--app", lab.appId, "--data-dir", lab.folder.appendingPathComponent("h265-device").path,
                        "--ticket", ticket, "--call", user.openId, "--calls", "1", "--hang-up-after", "4",
                        "--video", stream, "--video-codec", "h265", "--fps", "15", "--duration", "40", "--events-json",
                    ]).dropFirst()), folder: lab.folder, name: "h265-device")
                defer { device.stop() }
                #expect(await device.wait(timeout: 45), "the device did not exit after its call: \(device.errorText)")
                let events = jsonLines(device.outputText)
                let info = try #require(events.first { $0["cb"] as? String == "onGetAvEncInfo" })
                #expect(info["videoType"] as? Int == 1, "H.265 negotiated: \(info)")
                #expect(!events.contains { $0["cb"] as? String == "refused" }, "\(events.filter { $0["cb"] as? String == "refused" })")
                let stats = await phone.phone.statistics()
                #expect(stats.videoReceived >= 30, "\(stats)")
                let callId = try #require(stats.callId)
                let (frames, log) = try await ffmpegDecodedFrames(received.appendingPathComponent("\(callId).h264").path,
                                                                  format: "hevc", folder: lab.folder)
                #expect(frames >= 30, "ffmpeg decoded \(frames) frames: \(log)")
            } catch {
                await phone.stop()
                throw error
            }
            await phone.stop()
        }
    }

    @Test("ringlet device says a refused ticket in words, with what to do, and exits 1")
    func codesInWords() async throws {
        try await CallLab.with { lab in
            let sn = "CLI_WORDS-1"
            let ticket = try await lab.provision(sn: sn, authorizedBy: [])
            let exe = try ringletExecutable()
            func device(_ folder: String, json: Bool) throws -> ChildProcess {
                try ChildProcess("ip", arguments: Array(lab.namespace.exec([
                    exe, "device", "--server", lab.base, "--sn", sn, "--model", lab.modelId, "--app", lab.appId,
                    "--data-dir", lab.folder.appendingPathComponent(folder).path, "--ticket", ticket, "--duration", "1",
                ] + (json ? ["--events-json"] : [])).dropFirst()), folder: lab.folder, name: folder)
            }
            // The first registers with the ticket; a second device (another credentials file) cannot reuse it.
            let first = try device("first", json: true)
            #expect(await first.wait(timeout: 40) && first.terminationStatus == 0, "\(first.errorText)")
            let second = try device("second", json: true)
            #expect(await second.wait(timeout: 40))
            #expect(second.terminationStatus == 1)
            let refused = try #require(jsonLines(second.outputText).first { $0["cb"] as? String == "registerAvtVoip" })
            #expect(refused["code"] as? Int == -10008)
            let meaning = refused["meaning"] as? String ?? ""
            #expect(meaning.hasPrefix("-10008: the SN ticket is unknown, expired") && meaning.contains("ringlet admin ticket issue"),
                    "\(refused)")
            #expect(second.errorText.contains("ringlet device: registerAvtVoip failed: -10008: "), "\(second.errorText)")
            // Without --events-json the line says the same.
            let third = try device("third", json: false)
            #expect(await third.wait(timeout: 40))
            #expect(third.outputText.contains("registerAvtVoip code=-10008 meaning=-10008: the SN ticket"), "\(third.outputText)")
        }
    }
}

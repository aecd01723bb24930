import ArgumentParser
import Foundation
import Logging
import NIOConcurrencyHelpers
import RingletDevice
import RingletPhone
import RingletSampleMedia
import RingletSignaling

/// `ringlet demo`: the whole system in one process with nothing to set up — the cloud service on a temporary
/// data folder, a provisioned app, model, device and user; the device calls, the phone answers, media flows both
/// ways, hang-up, a summary (docs/demo.md).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a whole call: server, device and phone in one process, then print a summary."
    )

    @Option(help: "Seconds of media after the answer.") var seconds: Double = 5
    @Flag(help: "Print the summary as one JSON object (and no status lines).") var json = false
    @Flag(name: .customLong("relay-only"), help: "Both sides use only TURN-relayed candidates.") var relayOnly = false
    @Option(help: "audio or video.") var kind = "video"

    func validate() throws {
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds is 0 … 600") }
        guard ["audio", "video"].contains(kind) else { throw ValidationError("--kind is audio or video") }
    }

    func run() async throws {
        var logger = Logger(label: "ringlet.demo")
        logger.logLevel = .warning
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = Report(quiet: json)
        report.line("starting the cloud service in \(folder.path)")
        let cloud = try await LocalCloud.start(dataDir: folder.appendingPathComponent("server").path, logger: logger)
        let summary: DemoSummary
        do {
            summary = try await DemoCall(cloud: cloud, folder: folder, seconds: seconds, relayOnly: relayOnly,
                                         kind: kind == "audio" ? .audio : .video, report: report, logger: logger).run()
        } catch {
            await cloud.stop()
            report.failure("\(error)", json: json)
            throw ExitCode(1)
        }
        await cloud.stop()
        if json {
            print(summary.json)
        } else {
            print(summary.text)
        }
        if !summary.succeeded { throw ExitCode(1) }
    }
}

/// Progress lines on standard error (none with `--json`).
final class Report: Sendable {
    let quiet: Bool
    let start = ContinuousClock.now
    init(quiet: Bool) { self.quiet = quiet }

    var elapsed: Double {
        let d = start.duration(to: .now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func line(_ text: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((String(format: "[%6.2fs] ", elapsed) + text + "\n").utf8))
    }

    func failure(_ text: String, json: Bool) {
        if json {
            let object: [String: Any] = ["ok": false, "error": text]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
        } else {
            FileHandle.standardError.write(Data("demo failed: \(text)\n".utf8))
        }
    }
}

/// What `ringlet demo` measured.
struct DemoSummary {
    struct Direction {
        var videoFrames = 0
        var audioFrames = 0
        var firstFrameMs: Int64?
        var object: [String: Any] {
            ["video_frames": videoFrames, "audio_frames": audioFrames, "first_frame_ms": firstFrameMs.map { $0 as Any } ?? NSNull()]
        }
    }

    var ringMs: Int64 = 0
    var setupMs: Int64?
    var link = "none"
    var kind: CallKind = .video
    var seconds: Double = 0
    var deviceToPhone = Direction()
    var phoneToDevice = Direction()
    var endedBy = ""

    var succeeded: Bool {
        let videoOK = kind == .audio || (deviceToPhone.videoFrames > 0 && phoneToDevice.videoFrames > 0)
        return link != "none" && videoOK && deviceToPhone.audioFrames > 0 && phoneToDevice.audioFrames > 0
    }

    var json: String {
        let object: [String: Any] = [
            "ok": succeeded, "ring_ms": ringMs, "setup_ms": setupMs.map { $0 as Any } ?? NSNull(), "link": link,
            "kind": kind.rawValue, "seconds": seconds, "device_to_phone": deviceToPhone.object,
            "phone_to_device": phoneToDevice.object,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    var text: String {
        func ms(_ v: Int64?) -> String { v.map { "\($0) ms" } ?? "—" }
        return """
            Ringlet demo: \(succeeded ? "the call worked" : "the call FAILED")
              rang for            \(ringMs) ms (device calls → phone answers)
              media connected     \(ms(setupMs)) after the answer, \(link)
              device → phone      \(deviceToPhone.videoFrames) video frames, \(deviceToPhone.audioFrames) audio frames, first frame \(ms(deviceToPhone.firstFrameMs))
              phone → device      \(phoneToDevice.videoFrames) video frames, \(phoneToDevice.audioFrames) audio frames, first frame \(ms(phoneToDevice.firstFrameMs))
              call                \(kind.rawValue), \(String(format: "%.1f", seconds)) s of media, ended by \(endedBy)
            """
    }
}

import ArgumentParser
import RingletDeviceTool
import Foundation
import Logging
import NIOConcurrencyHelpers
import RingletCall
import RingletPhone
import RingletSignaling

/// `ringlet phone`: a headless callee on Ringlet's engine, with the web app's signaling (docs/device-sdk.md).
struct PhoneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phone",
        abstract: "A headless callee: rings, answers (or rejects, or is busy), calls devices, sends a clip and a tone.",
        discussion: """
            Events are printed as they happen (one JSON object per line with --events-json), a status line goes to \
            standard error every second. Commands on standard input: call SN [audio|video] · answer · reject · \
            busy · hangup · command TEXT · av CAMERA(0|1) MIC(0|1) · quit.
            """
    )

    @Option(help: "The cloud service.") var server = "http://127.0.0.1:8080"
    @Option(name: .customLong("ca-file"), help: "Trust the CA certificates of this PEM file for an https:// server (a private CA) instead of the system's.")
    var caFile: String?
    @Option(help: "The user's session token (rlu_…), e.g. from `ringlet admin user sign-in-link`.") var token: String
    @Option(help: "When a device calls: answer, reject, busy or ignore.") var answer = "answer"
    @Option(name: .customLong("answer-after"), help: "Seconds before the answer policy acts.") var answerAfter: Double = 1
    @Option(name: .customLong("call-device"), help: "Call this device SN once online.") var callDevice: String?
    @Option(help: "audio or video, for --call-device.") var kind = "video"
    @Option(name: .customLong("hang-up-after"), help: "Hang up this many seconds after the media connects.")
    var hangUpAfter: Double?
    @Option(help: "Exit after this many seconds.") var duration: Double?
    @Option(help: "Write received video and audio to this folder.") var record: String?
    @Flag(name: .customLong("relay-only"), help: "Use only TURN-relayed candidates.") var relayOnly = false
    @Flag(name: .customLong("events-json"), help: "One JSON object per event on standard output.") var eventsJSON = false

    func validate() throws {
        guard ["answer", "reject", "busy", "ignore"].contains(answer) else {
            throw ValidationError("--answer is answer, reject, busy or ignore")
        }
        guard ["audio", "video"].contains(kind) else { throw ValidationError("--kind is audio or video") }
    }

    func run() async throws {
        let output = EventOutput(json: eventsJSON)
        var c = RingletPhone.Configuration(server: server, token: token)
        c.tlsConfiguration = try ClientTLS.configuration(trusting: caFile)
        let delay = Duration.milliseconds(Int64(answerAfter * 1000))
        c.answerPolicy = switch answer {
        case "reject": .reject(after: delay)
        case "busy": .busy(after: delay)
        case "ignore": .ignore
        default: .answer(after: delay)
        }
        c.recordFolder = record
        c.iceTransportPolicy = relayOnly ? .relay : .all
        var logger = Logger(label: "ringlet.phone")
        logger.logLevel = .warning
        let phone = try RingletPhone(configuration: c, logger: logger)
        let runTask = Task { await phone.run() }
        let hangUpAfter = self.hangUpAfter
        let eventTask = Task {
            for await event in phone.events {
                PhoneCommand.print(event, output)
                if case .mediaConnected = event, let hangUpAfter {
                    Task {
                        try? await Task.sleep(for: .milliseconds(Int64(hangUpAfter * 1000)))
                        await phone.hangUp()
                        output.event("hangUp")
                    }
                }
            }
        }
        let stop = StopSignal()
        let commands = stdinCommands()
        let start = ContinuousClock.now
        var placed = callDevice == nil
        var nextStatus = start + .seconds(1)
        while !stop.raised {
            if let duration, start.duration(to: .now) >= .seconds(duration) { break }
            if !placed, let sn = callDevice, start.duration(to: .now) >= .milliseconds(500) {
                placed = true
                let result = await phone.callDevice(sn: sn, kind: kind == "audio" ? .audio : .video)
                output.event("callResult", ["code": Int(result.code.rawValue), "callId": result.callId ?? ""])
            }
            if let line = commands.next() {
                if line == "quit" { break }
                await handle(line, phone, output)
            }
            if ContinuousClock.now >= nextStatus {
                nextStatus = nextStatus + .seconds(1)
                let s = await phone.statistics()
                output.status("[phone] call \(s.callId ?? "-") \(s.relayed.map { $0 ? "relayed" : "direct" } ?? "") | sent v \(s.videoSent) a \(s.audioSent) | recv v \(s.videoReceived) a \(s.audioReceived)")
                if eventsJSON {
                    output.event("status", ["videoSent": s.videoSent, "audioSent": s.audioSent,
                                            "videoReceived": s.videoReceived, "audioReceived": s.audioReceived,
                                            "link": s.relayed.map { $0 ? "relayed" : "direct" } ?? "none"])
                }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        await phone.stop()
        runTask.cancel()
        eventTask.cancel()
    }

    private func handle(_ line: String, _ phone: RingletPhone, _ output: EventOutput) async {
        let words = line.split(separator: " ").map(String.init)
        let s = await phone.statistics()
        switch words.first {
        case "call"?:
            guard words.count >= 2 else { return output.event("error", ["message": "call SN [audio|video]"]) }
            let result = await phone.callDevice(sn: words[1], kind: words.count > 2 && words[2] == "audio" ? .audio : .video)
            output.event("callResult", ["code": Int(result.code.rawValue), "callId": result.callId ?? ""])
        case "answer"?, "reject"?, "busy"?:
            guard let id = ringing.withLockedValue({ $0 }) else { return output.event("error", ["message": "nothing rings"]) }
            if words[0] == "answer" { await phone.answer(callId: id) } else { await phone.decline(callId: id, busy: words[0] == "busy") }
        case "hangup"?:
            await phone.hangUp()
        case "command"?:
            await phone.sendCommand(words.dropFirst().joined(separator: " "))
        case "av"?:
            await phone.sendAVState(camera: words.count > 1 && words[1] == "1", microphone: words.count > 2 && words[2] == "1")
        default:
            output.event("error", ["message": "unknown command: \(line)", "call": s.callId ?? ""])
        }
    }

    private static func print(_ event: RingletPhone.Event, _ output: EventOutput) {
        switch event {
        case .online(let w): output.event("online", ["openId": w.openId ?? "", "serverTime": w.serverTime])
        case .offline: output.event("offline")
        case .ringing(let r):
            ringing.withLockedValue { $0 = r.callId }
            output.event("ring", ["callId": r.callId, "sn": r.sn, "deviceName": r.deviceName, "kind": r.kind.rawValue])
        case .ringStopped(let s):
            ringing.withLockedValue { if $0 == s.callId { $0 = nil } }
            output.event("ringStop", ["callId": s.callId, "reason": s.reason.rawValue])
        case .callEvent(let e): output.event("callEvent", ["callId": e.callId, "event": e.event.rawValue])
        case .mediaConnected(let id, let relayed): output.event("mediaConnected", ["callId": id, "relayed": relayed])
        case .firstFrame(let id, let video): output.event("firstFrame", ["callId": id, "video": video])
        case .command(let c): output.event("command", ["callId": c.callId, "name": c.name, "data": c.data])
        case .notice(let n): output.event("notice", ["sn": n.sn, "kind": n.kind, "text": n.text])
        case .callEnded(let id, let reason): output.event("callEnded", ["callId": id, "reason": reason])
        case .error(let e): output.event("error", ["code": e.code.rawValue, "message": e.message])
        }
    }
}

/// The call id that rings now (for the `answer` / `reject` / `busy` commands).
private let ringing = NIOLockedValueBox<String?>(nil)

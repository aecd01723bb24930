import ArgumentParser
import Dispatch
import NIOPosix
import RingletDevice
import RingletMediaStreams
import RingletSampleMedia

/// `ringlet device`: a simulated device on the device SDK's seed-compatible facade (docs/device-sdk.md).
package struct DeviceCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "A simulated device: registers, calls or answers, streams a clip and a tone, prints callbacks.",
        discussion: """
            Every seed callback is printed as it fires (one JSON object per line with --events-json), and a status \
            line goes to standard error every second. Commands on standard input, one per line: \
            call OPENID [audio|video] · hangup · accept · busy · refuse · notice TEXT · status · quit.
            """
    )

    @Option(help: "The cloud service (default: the development server's, else http://127.0.0.1:8080).")
    var server: String?
    @Option(name: .customLong("ca-file"), help: "Trust the CA certificates of this PEM file for an https:// server (a private CA) instead of the system's.")
    var caFile: String?
    @Flag(name: .customLong("relay-only"), help: "Gather relayed candidates only: calls go through the cloud's TURN (UDP, TCP or TLS).")
    var relayOnly = false
    @Option(help: "The device SN.") var sn: String
    @Option(help: "The device's model id (default: the development server's demo model).") var model: String?
    @Option(help: "The device's app id (default: the development server's demo app).") var app: String?
    @Option(name: .customLong("data-dir"), help: "Where the device keeps its credentials file (default ./ringlet-device).")
    var dataDir = "ringlet-device"
    @Option(name: .customLong("dev-data-dir"),
            help: "A development server's data folder (ringlet serve --dev), for the defaults of --server, --model and --app (default $RINGLET_DATA_DIR or ./ringlet-data).")
    var devDataDir: String?
    @Option(help: "An SN ticket, to register a device that is not registered yet.") var ticket: String?
    @Option(help: "Call this openId once online.") var call: String?
    @Option(help: "audio or video.") var kind = "video"
    @Option(help: "The channel calls ring on: release, debug or trial.") var channel = "release"
    @Option(name: .customLong("on-join"), help: "When a user calls: accept, busy, refuse or ignore.") var onJoin = "accept"
    @Option(name: .customLong("hang-up-after"), help: "Hang up this many seconds after the stream starts.")
    var hangUpAfter: Double?
    @Option(name: .customLong("cancel-after"), help: "Cancel a call that is not answered after this many seconds.")
    var cancelAfter: Double?
    @Option(help: "Exit after this many seconds.") var duration: Double?
    @Option(help: "Exit after this many calls ended.") var calls: Int?
    @Option(help: "Write received video and audio to this folder.") var record: String?
    @Option(help: "Send this notice once online.") var notice: String?
    @Option(help: "Send this H.264 (or --video-codec h265) Annex B stream as the camera: a file (played in a loop), a FIFO, or - for standard input.")
    var video: String?
    @Option(name: .customLong("video-codec"), help: "The --video stream's codec: h264 or h265.")
    var videoCodec = "h264"
    @Option(help: "The --video stream's frame rate (default: the SPS's VUI timing, else 15).")
    var fps: Double?
    @Option(help: "Send this audio as the microphone: G.711 raw (µ-law or A-law bytes at 8 kHz) or Opus in Ogg; a file, a FIFO or -.")
    var audio: String?
    @Option(name: .customLong("audio-format"), help: "The --audio stream's format: mulaw, alaw or opus (default: opus for .opus/.ogg, alaw for .alaw/.al, else mulaw).")
    var audioFormat: String?
    @Option(name: .customLong("audio-codecs"),
            help: "The audio encodings the device declares it can send, in order of preference: g711u, g711a, opus.")
    var audioCodecs = "g711u,g711a,opus"
    @Flag(name: .customLong("events-json"), help: "One JSON object per callback on standard output.")
    var eventsJSON = false
    @Flag(name: .customLong("early-video"),
          help: "Show the device's video while a call it places rings (before the answer; audio waits for it).")
    var earlyVideo = false
    @Flag(name: .customLong("ack-commands"),
          help: "Acknowledge the person's custom commands (USR_DATA, e.g. Open door) with {\"code\":0,\"msg\":\"success\"}.")
    var ackCommands = false
    @Flag(name: .customLong("keep-startup-pages"),
          help: "Keep the start-up code resident once online (by default its pages are given back to the kernel).")
    var keepStartupPages = false

    package func validate() throws {
        guard ["audio", "video"].contains(kind) else { throw ValidationError("--kind is audio or video") }
        guard ["release", "debug", "trial"].contains(channel) else { throw ValidationError("--channel is release, debug or trial") }
        guard SimulatedDevice.JoinPolicy(rawValue: onJoin) != nil else {
            throw ValidationError("--on-join is accept, busy, refuse or ignore")
        }
        _ = try declaredAudioTypes()
        guard AnnexBCodec(rawValue: videoCodec) != nil else { throw ValidationError("--video-codec is h264 or h265") }
        if let fps, !(fps > 0 && fps <= 120) { throw ValidationError("--fps must be in (0, 120]") }
        if let audioFormat, !["mulaw", "alaw", "opus"].contains(audioFormat) {
            throw ValidationError("--audio-format is mulaw, alaw or opus")
        }
        if video == "-" && audio == "-" { throw ValidationError("only one of --video and --audio can read standard input") }
    }

    /// `--audio`'s format: given, or guessed from the file name.
    var resolvedAudioFormat: String {
        if let audioFormat { return audioFormat }
        let name = (audio ?? "").lowercased()
        if name.hasSuffix(".opus") || name.hasSuffix(".ogg") { return "opus" }
        if name.hasSuffix(".alaw") || name.hasSuffix(".al") { return "alaw" }
        return "mulaw"
    }

    /// Opens `--video` and `--audio`; their notes become events.
    func openInputs(_ output: EventOutput) throws -> (video: LiveInput?, audio: LiveInput?) {
        func notes(_ name: String) -> @Sendable (LiveInput.Note) -> Void {
            { note in
                switch note {
                case .started(let live): output.event("input", ["input": name, "live": live])
                case .frameRate(let fps, let from): output.event("input", ["input": name, "fps": fps, "from": from])
                case .profile(let sps):
                    var fields: [String: Any] = ["input": name, "profile": sps.profileLevelID, "profileName": sps.profileName,
                                                 "callable": sps.isConstrainedBaselineCompatible]
                    if let w = sps.width, let h = sps.height { fields["size"] = "\(w)x\(h)" }
                    if !sps.isConstrainedBaselineCompatible { fields["message"] = sps.refusal }
                    output.event("input", fields)
                case .streamError(let e): output.event("input", ["input": name, "error": e.description])
                case .ended: output.event("input", ["input": name, "ended": true])
                case .readFailed(let text): output.event("input", ["input": name, "error": text])
                }
            }
        }
        do {
            let videoInput = try video.map {
                try LiveInput(path: $0, format: .annexB(AnnexBCodec(rawValue: videoCodec) ?? .h264, fps: fps),
                              notes: notes("video"))
            }
            let audioInput = try audio.map {
                try LiveInput(path: $0, format: resolvedAudioFormat == "opus" ? .opus : .g711, notes: notes("audio"))
            }
            return (videoInput, audioInput)
        } catch {
            output.event("input", ["error": "\(error)"])
            throw ExitCode(1)
        }
    }

    /// `--audio-codecs` as the seed's `IV_CM_AENC_TYPE_*` values.
    func declaredAudioTypes() throws -> [Int] {
        let names = ["g711u": IV_CM_AENC_TYPE_G711U, "g711a": IV_CM_AENC_TYPE_G711A, "opus": IV_CM_AENC_TYPE_OPUS]
        let types = try audioCodecs.split(separator: ",").map { word -> Int in
            guard let t = names[String(word.filter { $0 != " " }).lowercased()] else {
                throw ValidationError("--audio-codecs: \(word) is not g711u, g711a or opus")
            }
            return t
        }
        guard !types.isEmpty, Set(types).count == types.count else {
            throw ValidationError("--audio-codecs: give g711u, g711a and/or opus, each once")
        }
        return types
    }

    package func run() async throws {
        // Next to a development server, its address, demo app and model are the defaults (docs/quickstart.md).
        let dev = DevServerCredentials.read(folder: DevServerCredentials.folder(devDataDir))
        let server = server ?? dev?.server ?? "http://127.0.0.1:8080"
        guard let model = model ?? dev?.demoModelID, let app = app ?? dev?.demoAppID else {
            throw ValidationError("""
                --model and --app are required: no development server's data folder at \
                \(DevServerCredentials.folder(devDataDir)) to take them from (--dev-data-dir)
                """)
        }
        let output = EventOutput(json: eventsJSON)
        // One event loop for the SDK and the sample media's pacing: the device program runs one thread of its own
        // besides the callback queues.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inputs = try openInputs(output)
        let audioTypes = audio == nil ? try declaredAudioTypes() : [
            ["mulaw": IV_CM_AENC_TYPE_G711U, "alaw": IV_CM_AENC_TYPE_G711A, "opus": IV_CM_AENC_TYPE_OPUS][resolvedAudioFormat]
                ?? IV_CM_AENC_TYPE_G711U,
        ]
        let device = SimulatedDevice(output: output, clip: try SampleClip.bundled(),
                                     joinPolicy: SimulatedDevice.JoinPolicy(rawValue: onJoin) ?? .accept,
                                     hangUpAfter: hangUpAfter, recordFolder: record,
                                     audioTypes: audioTypes, eventLoop: group.next(),
                                     videoInput: inputs.video, audioInput: inputs.audio,
                                     acknowledgeCommands: ackCommands)
        let facade = VideoNativeInterface.getInstance()
        func check(_ step: String, _ code: Int) throws {
            output.result(step, code)
            guard code == IV_ERR_NONE else {
                output.status("ringlet device: \(step) failed: \(SeedCodeText.describe(code) ?? String(code))")
                throw ExitCode(1)
            }
        }
        var info = SysInitInfo(productId: "", deviceName: sn, server: server)
        info.eventLoopGroup = group
        info.trustedCAFile = caFile
        info.relayOnly = relayOnly
        info.earlyVideo = earlyVideo
        let system = info
        try check("initIvSystem", facade.initIvSystem(system, device))
        try check("initIvDm", facade.initIvDm())
        let videoTypes = video != nil && videoCodec == "h265" ? [IV_CM_VENC_TYPE_H265] : [IV_CM_VENC_TYPE_H264]
        try check("initIvAvt", facade.initIvAvt(AvtInitInfo(sendAudioTypes: device.audioTypes, sendVideoTypes: videoTypes),
                                                device))
        let version = ["release": VOIP_WXA_TYPE_RELEASE, "debug": VOIP_WXA_TYPE_DEBUG, "trial": VOIP_WXA_TYPE_DEMO][channel] ?? 0
        do {
            try check("initWxCloudVoipV2", facade.initWxCloudVoipV2(dataDir, model, app, version, device))
            if facade.isAvtVoipRegistered() != 1 {
                guard let ticket else {
                    output.event("registerAvtVoip", ["error": "not registered and no --ticket"])
                    throw ExitCode(1)
                }
                // The seed's blocking methods run on the device's own queue, never on Swift concurrency's threads.
                try check("registerAvtVoip", await device.perform { facade.registerAvtVoip(ticket) })
            }
            try await runOnline(device, facade, output)
        } catch {
            await teardown(device, facade, output)
            try? await group.shutdownGracefully()
            throw error
        }
        await teardown(device, facade, output)
        try? await group.shutdownGracefully()
    }

    /// Online: places the call, serves the commands on standard input, prints status lines, until done.
    private func runOnline(_ device: SimulatedDevice, _ facade: VideoNativeInterface, _ output: EventOutput) async throws {
        guard await pollUntil(seconds: 20, { device.snapshot.peerReady }) else {
            output.event("error", ["message": "not online within 20 s"])
            throw ExitCode(1)
        }
        // Start-up is over: what an idle device runs comes back on demand (docs/device-sdk.md, Memory).
        if !keepStartupPages { StartupPages.release() }
        if let notice { output.result("sendMsgNotice", facade.sendMsgNotice(6, text: notice)) }
        if let call { place(call, kind: kind, device: device, facade: facade, output: output) }

        // Standard input carries commands, unless a stream comes in on it.
        let commands: StdinCommands? = video == "-" || audio == "-" ? nil : stdinCommands()
        let stop = StopSignal()
        let start = ContinuousClock.now
        var nextStatus = start + .seconds(1)
        while !stop.raised {
            if let duration, start.duration(to: .now) >= .seconds(duration) { break }
            if let calls, device.snapshot.callsEnded >= calls { break }
            if let line = commands?.next() {
                if line == "quit" { break }
                handle(line, device: device, facade: facade, output: output)
            }
            if ContinuousClock.now >= nextStatus {
                nextStatus = nextStatus + .seconds(1)
                status(device, facade, output)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        status(device, facade, output)
    }

    private func place(_ openId: String, kind: String, device: SimulatedDevice, facade: VideoNativeInterface,
                       output: EventOutput) {
        let callType = kind == "audio" ? IV_CM_STREAM_TYPE_AUDIO : IV_CM_STREAM_TYPE_VIDEO
        let cancelAfter = self.cancelAfter
        device.actions.async {
            let code = facade.doWxCloudVoipCallV2(openId, "", callType, VoipVideoInfo(), true, true)
            output.result("doWxCloudVoipCallV2", code, ["openId": openId])
            guard code == IV_ERR_NONE, let cancelAfter else { return }
            device.actions.asyncAfter(deadline: .now() + cancelAfter) {
                guard !device.snapshot.streaming, !device.snapshot.inCall, facade.isWxCloudVoipBusyV2() == 1 else { return }
                output.result("cancel", facade.doWxCloudVoipHangUpV2())
            }
        }
    }

    private func handle(_ line: String, device: SimulatedDevice, facade: VideoNativeInterface, output: EventOutput) {
        let words = line.split(separator: " ", maxSplits: 2).map(String.init)
        switch words.first {
        case "call"?:
            guard words.count >= 2 else { return output.event("error", ["message": "call OPENID [audio|video]"]) }
            place(words[1], kind: words.count > 2 ? words[2] : kind, device: device, facade: facade, output: output)
        case "hangup"?, "cancel"?:
            device.actions.async {
                device.pump.stop()  // the encoders stop before the call does
                output.result("hangUp", facade.doWxCloudVoipHangUpV2())
            }
        case "accept"?: device.join(IV_VOIP_CALLED_STATUS_ACCEPT)
        case "busy"?: device.join(IV_VOIP_CALLED_STATUS_BUSY)
        case "refuse"?: device.join(IV_VOIP_CALLED_STATUS_REFUSE)
        case "notice"?:
            let text = String(line.dropFirst("notice".count).drop { $0 == " " })
            output.result("sendMsgNotice", facade.sendMsgNotice(6, text: text.isEmpty ? "Doorbell pressed" : text))
        case "status"?:
            status(device, facade, output)
        default:
            output.event("error", ["message": "unknown command: \(line)"])
        }
    }

    private func status(_ device: SimulatedDevice, _ facade: VideoNativeInterface, _ output: EventOutput) {
        let s = device.snapshot
        let counters = device.pump.counters
        var fields: [String: Any] = [
            "online": s.online, "busy": facade.isWxCloudVoipBusyV2() == 1, "streaming": s.streaming,
            "videoSent": counters.videoSent, "audioSent": counters.audioSent, "refused": counters.refused,
            "videoReceived": s.videoReceived, "audioReceived": s.audioReceived, "callsEnded": s.callsEnded,
            "formatMismatches": s.mismatches,
        ]
        var line = "[" + EventOutput.seconds(output.elapsedMilliseconds) + "s] " + (s.online ? "online" : "offline")
        if s.streaming, let info = facade.getSendStreamStatus(s.visitor, 0, s.resType) {
            let link = info.linkMode == 2 ? "relayed" : (info.linkMode == 1 ? "direct" : "none")
            let queue = facade.getSendStreamBuf(s.visitor, 0, s.resType)
            fields["link"] = link
            fields["rate"] = info.aveSentRate
            fields["queue"] = queue
            line += " | call \(s.visitor) \(link) | sent v \(counters.videoSent) a \(counters.audioSent)"
                + " | recv v \(s.videoReceived) a \(s.audioReceived) | \(info.aveSentRate / 1000) kB/s | queue \(queue) B"
        } else {
            line += s.inCall ? " | call connecting" : (facade.isWxCloudVoipBusyV2() == 1 ? " | ringing" : " | idle")
        }
        output.status(line)
        if eventsJSON { output.event("status", fields) }
    }

    private func teardown(_ device: SimulatedDevice, _ facade: VideoNativeInterface, _ output: EventOutput) async {
        device.pump.stop()
        let codes = await device.perform {
            [facade.exitWxCloudVoipV2(), facade.exitIvAvt(), facade.exitIvDm(), facade.exitIvSys()]
        }
        for (name, code) in zip(["exitWxCloudVoipV2", "exitIvAvt", "exitIvDm", "exitIvSys"], codes) {
            output.result(name, code)
        }
    }
}

import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import RingletDevice
import RingletMediaStreams
import RingletSampleMedia

/// The device behind `ringlet device`: the seed's three callback protocols, written as device code for the
/// original SDK would be, on the seed-compatible facade. It streams the sample clip and tone from
/// `onStartRealPlay` to `onStopRealPlay` (paced by a ``MediaPump`` on the SDK's event loop; the facade's sends
/// never block), writes what it receives to files, and reports every callback. The seed's blocking methods run
/// on `actions`, a queue of its own.
final class SimulatedDevice: IvDeviceCallback, IvAvtCallback, IvVoipCallback, @unchecked Sendable {
    // @unchecked Sendable: the callbacks run on the SDK's one callback queue; the fields they share with the
    // command's task are under `lock`.

    /// What to do when a user calls.
    enum JoinPolicy: String {
        case accept, busy, refuse, ignore
    }

    struct Stats {
        var online = false
        var peerReady = false
        var inCall = false
        var streaming = false
        var visitor = 0
        var resType = 0
        var videoReceived = 0
        var audioReceived = 0
        var callsEnded = 0
        var pendingJoin: String?
        var lastCommand: String?
        /// What `onGetAvEncInfo` declared for the current stream.
        var declared: AvDataInfo?
        var mismatches = 0
        /// The send codes other than 0 already reported in this stream.
        var refusedCodes: Set<Int> = []
    }

    let facade = VideoNativeInterface.getInstance()
    let output: EventOutput
    let clip: SampleClip
    let pump: MediaPump
    let joinPolicy: JoinPolicy
    let hangUpAfter: Double?
    let recordFolder: String?
    /// What the device declares it can send (its `AvtInitInfo.sendAudioTypes`): the sample tone exists in each;
    /// with `--audio`, the input's one encoding.
    let audioTypes: [Int]
    /// `--video` and `--audio`: what it sends instead of the clip and the tone.
    let videoInput: LiveInput?
    let audioInput: LiveInput?
    /// Whether `USR_DATA` gets the seed demo's reply (the person's page shows it as confirmed).
    let acknowledgeCommands: Bool
    let actions = DispatchQueue(label: "ringlet.device.actions")
    let lock = NIOLock()
    private var stats = Stats()
    private var videoFile: RecordingFile?
    private var audioFile: RecordingFile?

    init(output: EventOutput, clip: SampleClip, joinPolicy: JoinPolicy, hangUpAfter: Double?, recordFolder: String?,
         audioTypes: [Int], eventLoop: any EventLoop, videoInput: LiveInput? = nil, audioInput: LiveInput? = nil,
         acknowledgeCommands: Bool = false) {
        self.videoInput = videoInput
        self.audioInput = audioInput
        self.acknowledgeCommands = acknowledgeCommands
        self.output = output
        self.clip = clip
        self.pump = MediaPump(eventLoop: eventLoop)
        self.audioTypes = audioTypes
        self.joinPolicy = joinPolicy
        self.hangUpAfter = hangUpAfter
        self.recordFolder = recordFolder
    }

    var snapshot: Stats { lock.withLock { stats } }

    // MARK: IvDeviceCallback

    func onOnline(_ netDateTime: Int64) {
        lock.withLock { stats.online = true }
        output.event("onOnline", ["time": netDateTime])
    }

    func onOffline(_ status: Int) {
        lock.withLock {
            stats.online = false
            stats.peerReady = false
        }
        output.event("onOffline", ["status": status])
    }

    func onModuleStatus(_ moduleStatus: Int) {
        output.event("onModuleStatus", ["status": moduleStatus])
    }

    // MARK: IvAvtCallback

    /// The sample media can send every encoding it declared: it sends what the call negotiated.
    func onGetAvEncInfo(_ visitor: Int, _ channel: Int, _ videoResType: Int, _ negotiated: AvDataInfo) -> AvDataInfo {
        lock.withLock { stats.declared = negotiated }
        output.event("onGetAvEncInfo", ["visitor": visitor, "channel": channel, "res": videoResType,
                                        "audioType": negotiated.audioType, "videoType": negotiated.videoType,
                                        "sampleRate": negotiated.audioSampleRate])
        return negotiated
    }

    func onStartRealPlay(_ visitor: Int, _ channel: Int, _ videoResType: Int) {
        let declared = lock.withLock {
            stats.streaming = true
            stats.visitor = visitor
            stats.resType = videoResType
            stats.refusedCodes = []
            return stats.declared ?? AvDataInfo()
        }
        output.event("onStartRealPlay", ["visitor": visitor, "channel": channel, "res": videoResType])
        let facade = self.facade
        let audio = AudioEncoding(rawValue: declared.audioType).flatMap(SampleAudio.init)
        let video = videoResType != IV_AVT_VIDEO_AUDIO
        let clip = self.clip
        let (videoInput, audioInput) = (video ? self.videoInput : nil, self.audioInput)
        videoInput?.startStream(pump: pump)
        audioInput?.startStream(pump: pump)
        pump.start(sources: {
            var sources = SampleClipSource.sampleSources(clip: clip, audio: audioInput == nil ? audio : nil,
                                                         video: video && videoInput == nil)
            if let videoInput { sources.append(videoInput.source()) }
            if let audioInput { sources.append(audioInput.source()) }
            return sources
        }, send: { [self] frame in
            let code = frame.kind == .video
                ? facade.sendVideoData(frame.bytes, frame.ptsMilliseconds, 0, frame.isKeyframe, visitor, videoResType)
                : facade.sendAudioData(frame.bytes, frame.ptsMilliseconds, 0, visitor, videoResType)
            if code != IV_ERR_NONE { refused(code, frame) }
            return code == IV_ERR_NONE ? .sent : .refused
        })
        if let hangUpAfter {
            actions.asyncAfter(deadline: .now() + hangUpAfter) { [self] in
                // The encoders stop before the call does (no frame is sent into the ending stream).
                pump.stop()
                output.result("hangUp", facade.doWxCloudVoipHangUpV2())
            }
        }
    }

    func onStopRealPlay(_ visitor: Int, _ channel: Int, _ videoResType: Int) {
        pump.stop()
        videoInput?.stopStream()
        audioInput?.stopStream()
        endCall()
        output.event("onStopRealPlay", ["visitor": visitor, "channel": channel, "res": videoResType])
    }

    func onStartRecvAudioStream(_ visitor: Int, _ channel: Int, _ type: Int, _ option: Int, _ mode: Int, _ width: Int,
                                _ sampleRate: Int, _ sampleNum: Int) -> Int {
        output.event("onStartRecvAudioStream", ["visitor": visitor, "type": type, "sampleRate": sampleRate,
                                                "sampleNum": sampleNum])
        if let recordFolder { audioFile = Self.open(recordFolder, "received-\(visitor).audio") }
        return IV_ERR_NONE
    }

    func onStartRecvVideoStream(_ visitor: Int, _ channel: Int, _ type: Int, _ height: Int, _ width: Int,
                                _ frameRate: Int) -> Int {
        output.event("onStartRecvVideoStream", ["visitor": visitor, "type": type])
        if let recordFolder { videoFile = Self.open(recordFolder, "received-\(visitor).h264") }
        return IV_ERR_NONE
    }

    func onStopRecvStream(_ visitor: Int, _ channel: Int, _ streamType: Int) -> Int {
        output.event("onStopRecvStream", ["visitor": visitor, "streamType": streamType])
        videoFile?.close()
        audioFile?.close()
        videoFile = nil
        audioFile = nil
        return IV_ERR_NONE
    }

    func onRecvStream(_ visitor: Int, _ streamType: Int, _ data: [UInt8], _ len: Int, _ pts: Int64, _ seq: Int64) -> Int {
        lock.withLock {
            if streamType == IV_AVT_STREAM_TYPE_VIDEO { stats.videoReceived += 1 } else { stats.audioReceived += 1 }
        }
        (streamType == IV_AVT_STREAM_TYPE_VIDEO ? videoFile : audioFile)?.write(data)
        return IV_ERR_NONE
    }

    func onNotify(_ event: Int, _ visitor: Int, _ channel: Int, _ videoResType: Int) {
        if event == IV_AVT_EVENT_P2P_PEER_READY { lock.withLock { stats.peerReady = true } }
        if event == IV_AVT_EVENT_FORMAT_MISMATCH { lock.withLock { stats.mismatches += 1 } }
        if event == IV_AVT_EVENT_P2P_PEER_ERROR {
            pump.stop()
            endCall()
        }
        output.event("onNotify", ["event": event, "name": AVTNotification(rawValue: event).description,
                                  "visitor": visitor])
    }

    func onRecvCommand(_ command: Int, _ visitor: Int, _ channel: Int, _ videoResType: Int, _ args: String?) -> String {
        let name = AVTCommand(rawValue: command).description
        lock.withLock { stats.lastCommand = name }
        var fields: [String: Any] = ["command": name, "code": command, "visitor": visitor]
        if let args { fields["args"] = args }
        output.event("onRecvCommand", fields)
        switch command {
        case IV_AVT_COMMAND_REQ_IFRAME:
            pump.requestKeyframe()
        case IV_AVT_COMMAND_CALL_ANSWER:
            lock.withLock { stats.inCall = true }
        case IV_AVT_COMMAND_CALL_REJECT, IV_AVT_COMMAND_CALL_BUSY, IV_AVT_COMMAND_CALL_TIMEOUT, IV_AVT_COMMAND_CALL_CANCEL:
            endCall()
        default:
            break
        }
        // USR_DATA's reply goes back to the person (their page shows it); nothing unless asked to acknowledge.
        if command == IV_AVT_COMMAND_USR_DATA {
            return acknowledgeCommands ? #"{"code":0,"msg":"success"}"# : ""
        }
        return #"{"code":0,"msg":"success"}"#
    }

    func onGetPeerOuterNet(_ visitor: Int, _ channel: Int, _ netInfo: String?) {
        output.event("onGetPeerOuterNet", ["visitor": visitor, "netInfo": netInfo ?? ""])
    }

    // MARK: IvVoipCallback

    func onUpdateAuthorizeStatus(_ openId: String, _ status: Int) -> Int {
        output.event("onUpdateAuthorizeStatus", ["openId": openId, "status": status])
        return IV_ERR_NONE
    }

    func onJoinNotify(_ roomId: String) -> Int {
        output.event("onJoinNotify", ["roomId": roomId])
        lock.withLock { stats.pendingJoin = roomId }
        switch joinPolicy {
        case .accept: join(IV_VOIP_CALLED_STATUS_ACCEPT)
        case .busy: join(IV_VOIP_CALLED_STATUS_BUSY)
        case .refuse: join(IV_VOIP_CALLED_STATUS_REFUSE)
        case .ignore: break
        }
        return IV_ERR_NONE
    }

    func onCancelNotify(_ roomId: String) -> Int {
        lock.withLock { stats.pendingJoin = nil }
        output.event("onCancelNotify", ["roomId": roomId])
        return IV_ERR_NONE
    }

    /// Reports the first refusal of each code in a stream, with what to change for a refused H.264 profile.
    private func refused(_ code: Int, _ frame: PacedFrame) {
        guard lock.withLock({ stats.refusedCodes.insert(code).inserted }) else { return }
        var fields: [String: Any] = ["kind": frame.kind == .video ? "video" : "audio"]
        if code == IV_ERR_AVT_VIDEO_DATA_ERROR, let sps = H264SequenceParameterSet.first(inAccessUnit: frame.bytes) {
            fields["profile"] = sps.profileLevelID
            fields["message"] = sps.refusal
        }
        output.result("refused", code, fields)
    }

    // MARK: Actions (off the callback queue: the facade blocks)

    /// Runs a blocking facade call on `actions` and returns its result without blocking the caller's task.
    func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in actions.async { c.resume(returning: body()) } }
    }

    /// Answers the waiting user's call.
    func join(_ status: Int) {
        actions.async { [self] in
            guard let room = lock.withLock({ () -> String? in
                defer { stats.pendingJoin = nil }
                return stats.pendingJoin
            }) else {
                output.result("join", VOIP_ERR_ROOM_ID, ["error": "no call is waiting"])
                return
            }
            let code = facade.doWxCloudVoipJoinV2(room, VoipVideoInfo(), status)
            if code == IV_ERR_NONE, status == IV_VOIP_CALLED_STATUS_ACCEPT { lock.withLock { stats.inCall = true } }
            if status != IV_VOIP_CALLED_STATUS_ACCEPT { endCall() }
            output.result("join", code, ["roomId": room, "reply": status])
        }
    }

    private func endCall() {
        lock.withLock {
            if stats.inCall || stats.streaming || stats.lastCommand != nil { stats.callsEnded += 1 }
            stats.inCall = false
            stats.streaming = false
            stats.lastCommand = nil
        }
    }

    private static func open(_ folder: String, _ name: String) -> RecordingFile? {
        RecordingFile(folder: folder, name: name)
    }
}


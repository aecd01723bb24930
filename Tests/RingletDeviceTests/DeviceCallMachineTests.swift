import RingletCore
@testable import RingletDevice
import RingletSignaling
import Testing

/// Drives a `DeviceCallMachine` and names what comes out, the way the facade would fire callbacks.
struct MachineHarness {
    var machine = DeviceCallMachine(mediaConnectTimeout: .seconds(15))
    var log: [String] = []
    var sent: [ClientMessage] = []
    var placed: [String: Result<String, DeviceError>] = [:]
    var now = Instant.zero

    mutating func drain() {
        while let o = machine.pollOutput() {
            switch o {
            case .send(let m): sent.append(m)
            case .startMedia(_, let offer): log.append(offer ? "media:offer" : "media:answer")
            case .stopMedia: log.append("media:stop")
            case .requestKeyframe: log.append("media:keyframe?")
            case .placed(let id, let r): placed[id] = r
            case .event(let e): if let name = Self.name(e) { log.append(name) }
            }
        }
    }

    static func name(_ e: DeviceEvent) -> String? {
        switch e {
        case .command(let c, _, let args): return "command \(c)" + (args.map { " \($0)" } ?? "")
        case .streamStarted(let ctx, let f):
            return "streamStarted" + (f == audioVideo ? "" : " \(f.audio.map(String.init(describing:)) ?? "-")"
                + "/\(f.video.map(String.init(describing:)) ?? "-") res \(ctx.resType.rawValue)")
        case .streamStopped: return "streamStopped"
        case .receiveStarted(_, let info): return "receiveStarted \(info.kind)"
        case .receiveStopped: return "receiveStopped"
        case .frame(_, let f): return "frame \(f.kind) #\(f.sequence)"
        case .peerAddress(_, let a): return "peerAddress \(a)"
        case .joinRequested(let id, _, _): return "joinRequested \(id)"
        case .callCancelled(let id): return "callCancelled \(id)"
        case .notification(let n, _): return "notify \(n)"
        case .callEnded(_, let r): return "ended \(r.rawValue)"
        case .online, .offline, .authorizationChanged: return nil
        }
    }

    static let audioVideo = StreamFormat(audio: .g711u, video: .h264)
    static let audioInfo = ReceivedStreamInfo(kind: .audio, audio: .g711u, video: nil, sampleRate: 8000, samplesPerFrame: 160)
    static let videoInfo = ReceivedStreamInfo(kind: .video, audio: nil, video: .h264, sampleRate: 0, samplesPerFrame: 0)

    /// A device call to "u1" answered and connected; returns the call id.
    mutating func connectedOutgoing() throws -> String {
        try machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                      callerCamera: true, calleeCamera: true))
        machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1", iceServers: []))
        machine.callEvent(CallEventMessage(callId: "call_1", event: .answer), now: now)
        machine.pathSelected(callId: "call_1", address: "203.0.113.9")
        machine.mediaReady(callId: "call_1", format: Self.audioVideo)
        receive(.audio)
        receive(.video, key: true)
        drain()
        return "call_1"
    }

    mutating func receive(_ kind: StreamKind, key: Bool = false, call: String = "call_1") {
        machine.frameReceived(callId: call, kind: kind, data: [1, 2, 3], ptsMilliseconds: 0, isKeyframe: key,
                              info: kind == .audio ? Self.audioInfo : Self.videoInfo)
    }

    /// The log from the answer on (what the facade shows after `doWxCloudVoipCall` returned).
    var afterPlacing: [String] { Array(log.drop { $0 != "command CALL_ANSWER" }) }
}

@Suite("The device's call machine: the seed's callback order")
struct DeviceCallMachineTests {
    @Test("answered, then the user hangs up: answer, stream, receive, CALL_HANG_UP, receive stopped, stream stopped")
    func answeredRemoteHangUp() throws {
        var h = MachineHarness()
        let id = try h.connectedOutgoing()
        h.machine.callEvent(CallEventMessage(callId: id, event: .hangUp), now: h.now)
        h.drain()
        #expect(h.log == [
            "media:offer", "command CALL_ANSWER", "streamStarted", "peerAddress 203.0.113.9", "receiveStarted audio",
            "frame audio #0", "receiveStarted video", "frame video #0", "command CALL_HANG_UP", "receiveStopped",
            "streamStopped", "media:stop", "ended remote_hang_up",
        ])
        #expect(h.placed["r1"].map { (try? $0.get()) == "call_1" } == true)
        #expect(!h.machine.isBusy)
    }

    @Test("the device hangs up: receive stopped, stream stopped, hang_up sent; no command")
    func localHangUp() throws {
        var h = MachineHarness()
        let id = try h.connectedOutgoing()
        h.log = []
        try h.machine.hangUp()
        h.drain()
        #expect(h.log == ["receiveStopped", "streamStopped", "media:stop", "ended local_hang_up"])
        #expect(h.sent.last == .hangUp(CallAction(callId: id)))
    }

    @Test("outcomes while ringing end the call with only their command", arguments: [
        (CallEvent.reject, "command CALL_REJECT", "rejected"), (.busy, "command CALL_BUSY", "busy"),
        (.timeout, "command CALL_TIMEOUT", "timeout"), (.peerGone, "command CALL_TIMEOUT", "peer_gone"),
    ])
    func ringingOutcomes(event: CallEvent, command: String, reason: String) throws {
        var h = MachineHarness()
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                        callerCamera: true, calleeCamera: true))
        h.machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1"))
        h.machine.callEvent(CallEventMessage(callId: "call_1", event: event), now: h.now)
        h.drain()
        #expect(h.log == ["media:offer", command, "media:stop", "ended \(reason)"])
    }

    @Test("a refused call completes the request with the server's code and leaves the device idle")
    func refused() throws {
        var h = MachineHarness()
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                        callerCamera: true, calleeCamera: true))
        h.machine.callResult(CallResult(requestId: "r1", code: .notAuthorized, message: "no"))
        h.drain()
        guard case .failure(let e)? = h.placed["r1"] else { Issue.record("not failed"); return }
        #expect(e.seedCode == .notAuthorized)
        #expect(h.log.isEmpty)
        #expect(!h.machine.isBusy)
    }

    @Test("a second call while one is placed is busy, and changes nothing")
    func busyWhilePlacing() throws {
        var h = MachineHarness()
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                        callerCamera: true, calleeCamera: true))
        #expect(throws: DeviceError.self) {
            try h.machine.place(CallRequest(requestId: "r2", openId: "oid_u2", kind: .audio, channel: .release,
                                            callerCamera: true, calleeCamera: true))
        }
        h.drain()
        #expect(h.sent.count == 1)
    }

    @Test("hang-up while ringing cancels: cancel sent, no callbacks")
    func cancelWhileRinging() throws {
        var h = MachineHarness()
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                        callerCamera: true, calleeCamera: true))
        h.machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1"))
        try h.machine.hangUp()
        h.drain()
        #expect(h.log == ["media:offer", "media:stop", "ended local_hang_up"])
        #expect(h.sent.last == .cancel(CallAction(callId: "call_1")))
    }

    @Test("hang-up before the call_result cancels once the call id is known")
    func cancelWhilePlacing() throws {
        var h = MachineHarness()
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                        callerCamera: true, calleeCamera: true))
        try h.machine.hangUp()
        h.machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1"))
        h.drain()
        #expect(h.sent.last == .cancel(CallAction(callId: "call_1")))
        #expect(!h.log.contains("media:offer"))
        #expect(!h.machine.isBusy)
    }

    @Test("network loss after the stream started shows only stream stopped, and tells the server")
    func mediaLostWhileStreaming() throws {
        var h = MachineHarness()
        let id = try h.connectedOutgoing()
        h.log = []
        h.machine.mediaLost(callId: id)
        h.drain()
        #expect(h.log == ["streamStopped", "media:stop", "ended media_lost"])
        // The server records a dropped call, not a hang-up (docs/protocol.md).
        #expect(h.sent.last == .hangUp(CallAction(callId: id, reason: .mediaLost)))
    }

    @Test("the peer's session vanishing mid-call shows only stream stopped")
    func peerGoneWhileStreaming() throws {
        var h = MachineHarness()
        let id = try h.connectedOutgoing()
        h.log = []
        h.machine.callEvent(CallEventMessage(callId: id, event: .peerGone), now: h.now)
        h.drain()
        #expect(h.log == ["streamStopped", "media:stop", "ended peer_gone"])
    }

    @Test("media that never connects after the answer ends the call with P2P_PEER_ERROR at the timeout")
    func mediaConnectTimeout() throws {
        var h = MachineHarness()
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                        callerCamera: true, calleeCamera: true))
        h.machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1"))
        h.machine.callEvent(CallEventMessage(callId: "call_1", event: .answer), now: .milliseconds(1000))
        h.drain()
        #expect(h.machine.nextDeadline() == .milliseconds(16_000))
        h.machine.handleTimeout(now: .milliseconds(15_999))
        h.drain()
        #expect(h.machine.isBusy)
        h.machine.handleTimeout(now: .milliseconds(16_000))
        h.drain()
        #expect(Array(h.log.suffix(3)) == ["notify P2P_PEER_ERROR", "media:stop", "ended media_lost"])
        #expect(!h.machine.isBusy)
    }

    @Test("a user's call: join notify, accept, stream, then the user hangs up")
    func incomingAccepted() throws {
        var h = MachineHarness()
        h.machine.joinNotify(JoinNotify(callId: "call_9", openId: "oid_u1", kind: .video, iceServers: []))
        h.machine.mediaReady(callId: "call_9", format: MachineHarness.audioVideo)
        h.receive(.video, key: true, call: "call_9")  // before the answer: not delivered
        try h.machine.join(callId: "call_9", answer: .accept, now: h.now)
        h.receive(.video, key: false, call: "call_9")  // not a keyframe: held back, a keyframe is asked for
        h.receive(.video, key: true, call: "call_9")
        h.machine.callEvent(CallEventMessage(callId: "call_9", event: .hangUp), now: h.now)
        h.drain()
        #expect(h.log == [
            "joinRequested call_9", "media:answer", "media:keyframe?", "streamStarted", "media:keyframe?",
            "receiveStarted video", "frame video #0", "command CALL_HANG_UP", "receiveStopped", "streamStopped",
            "media:stop", "ended remote_hang_up",
        ])
        #expect(h.sent.contains(.join(JoinRequest(callId: "call_9", answer: .accept))))
    }

    @Test("a user's call refused or busy: join sent, call over, no stream", arguments: [JoinAnswer.refuse, .busy])
    func incomingDeclined(answer: JoinAnswer) throws {
        var h = MachineHarness()
        h.machine.joinNotify(JoinNotify(callId: "call_9", openId: "oid_u1", kind: .audio, iceServers: []))
        try h.machine.join(callId: "call_9", answer: answer, now: h.now)
        h.drain()
        #expect(h.log == ["joinRequested call_9", "media:answer", "media:stop", "ended declined"])
        #expect(h.sent == [.join(JoinRequest(callId: "call_9", answer: answer))])
    }

    @Test("a user cancels before the device answers: cancel notify, then CALL_CANCEL")
    func incomingCancelled() throws {
        var h = MachineHarness()
        h.machine.joinNotify(JoinNotify(callId: "call_9", openId: "oid_u1", kind: .audio, iceServers: []))
        h.machine.callEvent(CallEventMessage(callId: "call_9", event: .cancel), now: h.now)
        h.drain()
        #expect(h.log == ["joinRequested call_9", "media:answer", "callCancelled call_9", "command CALL_CANCEL",
                          "media:stop", "ended cancelled"])
        #expect(throws: DeviceError.self) { try h.machine.join(callId: "call_9", answer: .accept, now: h.now) }
    }

    @Test("a user's call while busy is answered busy at once")
    func incomingWhileBusy() throws {
        var h = MachineHarness()
        _ = try h.connectedOutgoing()
        h.machine.joinNotify(JoinNotify(callId: "call_2", openId: "oid_u2", kind: .audio, iceServers: []))
        h.drain()
        #expect(h.sent.last == .join(JoinRequest(callId: "call_2", answer: .busy)))
        #expect(h.machine.call?.id == "call_1")
    }

    @Test("commands and camera/microphone state become USR_DATA and CALL_AV_* during the call")
    func commandsDuringCall() throws {
        var h = MachineHarness()
        let id = try h.connectedOutgoing()
        h.log = []
        h.machine.command(CustomCommand(callId: id, name: "usr_data", data: "Open door"))
        h.machine.avState(AVState(callId: id, camera: false, microphone: true))
        h.machine.avState(AVState(callId: id, camera: false, microphone: false))
        h.machine.keyframeRequested(callId: id)
        h.machine.command(CustomCommand(callId: "call_other", name: "usr_data", data: "ignored"))
        h.drain()
        #expect(h.log == ["command USR_DATA Open door", "command CALL_AV_AUDIO_ONLY", "command CALL_AV_CLOSE",
                          "command REQ_IFRAME"])
    }

    @Test("losing the signaling connection ends every phase with its callback", arguments: [0, 1, 2, 3])
    func signalingLost(phase: Int) throws {
        var h = MachineHarness()
        var expected: [String]
        switch phase {
        case 0:
            try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                            callerCamera: true, calleeCamera: true))
            expected = []
        case 1:
            try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                            callerCamera: true, calleeCamera: true))
            h.machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1"))
            expected = ["media:offer", "command CALL_TIMEOUT", "media:stop", "ended signaling_lost"]
        case 2:
            h.machine.joinNotify(JoinNotify(callId: "call_1", openId: "oid_u1", kind: .video, iceServers: []))
            expected = ["joinRequested call_1", "media:answer", "callCancelled call_1", "command CALL_CANCEL",
                        "media:stop", "ended signaling_lost"]
        default:
            _ = try h.connectedOutgoing()
            h.log = []
            expected = ["streamStopped", "media:stop", "ended signaling_lost"]
        }
        h.machine.signalingLost()
        h.drain()
        #expect(h.log == expected)
        #expect(!h.machine.isBusy)
        if phase == 0 {
            guard case .failure(let e)? = h.placed["r1"] else { Issue.record("the request did not fail"); return }
            #expect(e.code == .offline)
        }
    }

    @Test("visitors count up per call; a finished stream refuses further finishing")
    func visitorsAndFinish() throws {
        var h = MachineHarness()
        _ = try h.connectedOutgoing()
        let first = h.machine.streamContext?.visitor
        try h.machine.finishStream()
        #expect(h.machine.streamContext == nil)
        #expect(throws: DeviceError.self) { try h.machine.finishStream() }
        try h.machine.hangUp()
        h.machine.joinNotify(JoinNotify(callId: "call_2", openId: "oid_u1", kind: .audio, iceServers: []))
        #expect(h.machine.call?.visitor == (first ?? 0) + 1)
        #expect(h.machine.call?.context?.resType == .audioOnly)
        #expect(first != nil)
    }

    @Test("a video call whose peer declined video streams as IV_AVT_VIDEO_AUDIO, with the negotiated audio")
    func videoDeclined() throws {
        var h = MachineHarness()
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                        callerCamera: true, calleeCamera: true))
        h.machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1", iceServers: []))
        #expect(h.machine.call?.context?.resType == .fluent)
        h.machine.callEvent(CallEventMessage(callId: "call_1", event: .answer), now: h.now)
        h.machine.mediaReady(callId: "call_1", format: StreamFormat(audio: .opus, video: nil))
        h.machine.callEvent(CallEventMessage(callId: "call_1", event: .hangUp), now: h.now)
        h.drain()
        #expect(h.log == [
            "media:offer", "command CALL_ANSWER", "streamStarted OPUS/- res 4", "command CALL_HANG_UP", "streamStopped",
            "media:stop", "ended remote_hang_up",
        ])
    }
}

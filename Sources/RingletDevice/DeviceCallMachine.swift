import RingletCore
import RingletSignaling

/// The device's side of one call at a time, as a sans-IO machine (STYLE.md §3): it takes the application's
/// requests, the server's messages and the media engine's milestones, and says what to send, what to do with
/// media, and which events (the seed's callbacks) fire — in the seed's order (DESIGN.md "Calls",
/// tencent-sdk-notes §4.4–4.5).
///
/// ```
///            place ──▶ placing ──call_result 0──▶ ringing ──answer──▶ active ──hang-up / loss──▶ idle
///   idle ──┤                 └──refused──▶ idle      └──reject/busy/timeout/cancel──▶ idle
///            join_notify ──▶ incoming ──join accept──▶ active
///                                   └──refuse/busy/cancel/timeout──▶ idle
/// ```
///
/// Within `active`, the stream starts (``DeviceEvent/streamStarted(_:_:)``: `onGetAvEncInfo` → `onStartRealPlay`,
/// with the negotiated ``StreamFormat``) once the call is answered *and* the media is connected; each received kind starts with
/// ``DeviceEvent/receiveStarted(_:_:)`` on its first frame. How a call ends decides what fires:
///
/// | end | events |
/// |---|---|
/// | the peer hangs up | `CALL_HANG_UP` → receive stopped (if started) → stream stopped (if started) |
/// | the device hangs up | receive stopped (if started) → stream stopped (if started) |
/// | media lost, peer gone, signaling lost after the stream started | stream stopped only |
/// | media lost or never connected before the stream started | `P2P_PEER_ERROR` notification |
/// | reject / busy / timeout while ringing | `CALL_REJECT` / `CALL_BUSY` / `CALL_TIMEOUT` |
/// | the peer's session vanishes while ringing out | `CALL_TIMEOUT` |
/// | the caller cancels (or vanishes) before `join` | `onCancelNotify` → `CALL_CANCEL` |
///
/// Every call ends with ``DeviceEvent/callEnded(callId:reason:)`` (native API only). Frames received before
/// the device answered are not delivered (and a keyframe is asked for when it answers).
///
/// Early video (``DeviceConfiguration/earlyVideo``): a placed video call's stream starts while it rings, once a
/// ringing page took the offer and the media connected — `onGetAvEncInfo` → `onStartRealPlay` before
/// `CALL_ANSWER`. A call that ends while it rings then stops its stream (stream stopped after the end's
/// command). When the page that answers is not the one that took the early video (`restartMedia`), the media
/// starts again with a new offer; the stream goes on, and a keyframe is asked for once the new media is up.
struct DeviceCallMachine {
    enum Direction: Hashable { case outgoing, incoming }
    enum Phase: Hashable { case placing, ringing, incoming, active }

    struct Call {
        var id: String?
        let requestId: String?
        let direction: Direction
        let kind: CallKind
        let peerOpenId: String
        let visitor: UInt32
        var phase: Phase
        var cancelRequested = false
        var answeredAt: Instant?
        var mediaReady = false
        /// What the media negotiated, once it is connected.
        var format: StreamFormat?
        var streaming = false
        var streamFinished = false
        var receiving: Set<StreamKind> = []
        var receivedCount: [StreamKind: Int64] = [:]
        var awaitingKeyframe = false
        var peerAddress: String?

        /// The stream's identity: a video call whose peer declined video is an audio stream (`IV_AVT_VIDEO_AUDIO`)
        /// from the moment its media connected.
        var context: StreamContext? {
            guard let id else { return nil }
            let video = kind == .video && (format.map { $0.video != nil } ?? true)
            return StreamContext(callId: id, visitor: visitor, channel: 0, resType: video ? .fluent : .audioOnly,
                                 kind: kind)
        }
    }

    /// What the machine asks of its shell.
    enum Output {
        /// Send a signaling message.
        case send(ClientMessage)
        /// Make the call's peer connection (with the ICE servers the call's `call_result` or `join_notify`
        /// carried); offer when `offer`.
        case startMedia(callId: String, offer: Bool)
        /// Close the call's peer connection.
        case stopMedia(callId: String)
        /// Ask the peer for a keyframe (frames before the answer were not shown).
        case requestKeyframe(callId: String)
        /// Report an event to the application.
        case event(DeviceEvent)
        /// The placed call's request is decided: the call id, or why not.
        case placed(requestId: String, Result<String, DeviceError>)
    }

    let mediaConnectTimeout: Duration
    /// Whether placed video calls stream while they ring.
    let earlyVideo: Bool
    private(set) var call: Call?
    private var nextVisitor: UInt32 = 1
    private var outputs = FIFOQueue<Output>()

    init(mediaConnectTimeout: Duration, earlyVideo: Bool = false) {
        self.mediaConnectTimeout = mediaConnectTimeout
        self.earlyVideo = earlyVideo
    }

    /// Whether the current call streams while it rings (early video): audio is held back until the answer.
    var isEarlyStreaming: Bool {
        guard let call else { return false }
        return call.phase == .ringing && call.streaming
    }

    /// Whether a call is placing, ringing or in progress.
    var isBusy: Bool { call != nil }

    /// The current stream, once it started and until it stops.
    var streamContext: StreamContext? {
        guard let call, call.streaming, !call.streamFinished else { return nil }
        return call.context
    }

    mutating func pollOutput() -> Output? { outputs.popFirst() }

    /// When the answered call gives up waiting for media.
    func nextDeadline() -> Instant? {
        guard let call, call.phase == .active, !call.streaming, let t = call.answeredAt else { return nil }
        return t + mediaConnectTimeout
    }

    mutating func handleTimeout(now: Instant) {
        guard let d = nextDeadline(), d <= now else { return }
        mediaLost()
    }

    // MARK: The application

    /// Places a call (the request is sent; ``Output/placed(requestId:_:)`` follows).
    /// - Throws: `busy` when a call exists.
    mutating func place(_ request: CallRequest) throws(DeviceError) {
        guard call == nil else { throw DeviceError(.busy, "a call is already in progress") }
        call = Call(id: nil, requestId: request.requestId, direction: .outgoing, kind: request.kind,
                    peerOpenId: request.openId, visitor: takeVisitor(), phase: .placing)
        emit(.send(.call(request)))
    }

    /// The placed call's request failed before a `call_result` (timeout, offline, error message).
    mutating func placeFailed(requestId: String, _ error: DeviceError) {
        guard let c = call, c.phase == .placing, c.requestId == requestId else { return }
        call = nil
        emit(.placed(requestId: requestId, .failure(error)))
    }

    /// Ends the current call from this side: cancel while ringing, refuse while a user's call waits, hang up
    /// when active.
    /// - Throws: `noCall` when there is none.
    mutating func hangUp() throws(DeviceError) {
        guard var c = call else { throw DeviceError(.noCall, "there is no call to hang up") }
        switch c.phase {
        case .placing:
            c.cancelRequested = true
            call = c
        case .ringing:
            if let id = c.id { emit(.send(.cancel(CallAction(callId: id)))) }
            end(c, .localHangUp, stopEvents: c.streaming)
        case .incoming:
            if let id = c.id { emit(.send(.join(JoinRequest(callId: id, answer: .refuse)))) }
            end(c, .declined, stopEvents: false)
        case .active:
            if let id = c.id { emit(.send(.hangUp(CallAction(callId: id)))) }
            end(c, .localHangUp, stopEvents: true)
        }
    }

    /// Answers a user's call (the seed's `join`).
    /// - Throws: `unknownCall` when `callId` is not the waiting call.
    mutating func join(callId: String, answer: JoinAnswer, now: Instant) throws(DeviceError) {
        guard var c = call, c.phase == .incoming, c.id == callId else {
            throw DeviceError(.unknownCall, "no user call \(callId) is waiting for an answer")
        }
        emit(.send(.join(JoinRequest(callId: callId, answer: answer))))
        guard answer == .accept else {
            end(c, .declined, stopEvents: false)
            return
        }
        c.phase = .active
        c.answeredAt = now
        call = c
        if c.mediaReady { emit(.requestKeyframe(callId: callId)) }
        startStreamIfReady()
    }

    /// The application ended its send stream (the seed's `sendFinishStream`); the call goes on.
    mutating func finishStream() throws(DeviceError) {
        guard var c = call, c.streaming, !c.streamFinished else { throw DeviceError(.noStream, "no stream is sending") }
        c.streamFinished = true
        call = c
    }

    // MARK: The server

    mutating func callResult(_ r: CallResult) {
        guard var c = call, c.phase == .placing, c.requestId == r.requestId else { return }
        guard r.code == .ok, let id = r.callId else {
            call = nil
            let error = DeviceError(r.code == .busy ? .busy : .refused, seedCode: r.code,
                                    r.message ?? "the server refused the call")
            emit(.placed(requestId: r.requestId, .failure(error)))
            return
        }
        c.id = id
        emit(.placed(requestId: r.requestId, .success(id)))
        if c.cancelRequested {
            emit(.send(.cancel(CallAction(callId: id))))
            end(c, .localHangUp, stopEvents: false)
            return
        }
        c.phase = .ringing
        call = c
        emit(.startMedia(callId: id, offer: true))
    }

    /// A user is calling: a new call waits for ``join(callId:answer:now:)``; when busy the server is told at once.
    mutating func joinNotify(_ j: JoinNotify) {
        guard call == nil else {
            emit(.send(.join(JoinRequest(callId: j.callId, answer: .busy))))
            return
        }
        let c = Call(id: j.callId, requestId: nil, direction: .incoming, kind: j.kind, peerOpenId: j.openId,
                     visitor: takeVisitor(), phase: .incoming)
        call = c
        emit(.event(.joinRequested(callId: j.callId, openId: j.openId, kind: j.kind)))
        emit(.startMedia(callId: j.callId, offer: false))
    }

    mutating func callEvent(_ m: CallEventMessage, now: Instant) {
        guard var c = call, c.id == m.callId else { return }
        switch (c.phase, m.event) {
        case (.ringing, .answer):
            c.phase = .active
            c.answeredAt = now
            if m.restartMedia == true, let id = c.id {
                // Another page took the early video: the answering one gets fresh media.
                c.mediaReady = false
                c.receiving = []
                call = c
                emit(.stopMedia(callId: id))
                emit(.startMedia(callId: id, offer: true))
            }
            call = c
            emit(.event(.command(.callAnswer, c.context, args: nil)))
            startStreamIfReady()
        case (.ringing, .reject), (.ringing, .busy), (.ringing, .timeout), (.ringing, .cancel):
            if let command = AVTCommand(m.event) { emit(.event(.command(command, c.context, args: nil))) }
            end(c, reason(m.event), stopEvents: c.streaming)
        case (.ringing, .hangUp), (.ringing, .peerGone):
            emit(.event(.command(.callTimeout, c.context, args: nil)))
            end(c, m.event == .peerGone ? .peerGone : .rejected, stopEvents: c.streaming)
        case (.incoming, .cancel), (.incoming, .timeout), (.incoming, .peerGone), (.incoming, .hangUp):
            emit(.event(.callCancelled(callId: m.callId)))
            emit(.event(.command(m.event == .timeout ? .callTimeout : .callCancel, c.context, args: nil)))
            end(c, m.event == .timeout ? .timeout : .cancelled, stopEvents: false)
        case (.active, .hangUp), (.active, .cancel):
            emit(.event(.command(.callHangUp, c.context, args: nil)))
            end(c, .remoteHangUp, stopEvents: true)
        case (.active, .peerGone):
            endByLoss(c, .peerGone)
        default:
            break  // e.g. a second answer: nothing changes
        }
    }

    mutating func command(_ m: CustomCommand) {
        guard let c = call, c.phase == .active, c.id == m.callId else { return }
        emit(.event(.command(.userData, c.context, args: m.data)))
    }

    mutating func avState(_ m: AVState) {
        guard let c = call, c.phase == .active, c.id == m.callId else { return }
        emit(.event(.command(.avState(camera: m.camera, microphone: m.microphone), c.context, args: nil)))
    }

    /// The signaling connection was lost: the server ended the call with `peer_gone` on its side.
    mutating func signalingLost() {
        guard let c = call else { return }
        switch c.phase {
        case .placing:
            call = nil
            if let r = c.requestId {
                emit(.placed(requestId: r, .failure(DeviceError(.offline, "the signaling connection was lost"))))
            }
        case .ringing:
            emit(.event(.command(.callTimeout, c.context, args: nil)))
            end(c, .signalingLost, stopEvents: c.streaming)
        case .incoming:
            if let id = c.id { emit(.event(.callCancelled(callId: id))) }
            emit(.event(.command(.callCancel, c.context, args: nil)))
            end(c, .signalingLost, stopEvents: false)
        case .active:
            endByLoss(c, .signalingLost)
        }
    }

    // MARK: The media

    /// DTLS is connected for `callId` (the engine's `readyToSend`), carrying `format` (what offer/answer chose).
    mutating func mediaReady(callId: String, format: StreamFormat) {
        guard var c = call, c.id == callId, !c.mediaReady else { return }
        c.mediaReady = true
        c.format = format
        call = c
        // Media started again under a running stream (early video taken by another page): a keyframe first.
        if c.streaming, let ctx = c.context { emit(.event(.command(.requestIFrame, ctx, args: nil))) }
        startStreamIfReady()
    }

    /// ICE selected a path; `address` is the peer's public address.
    mutating func pathSelected(callId: String, address: String) {
        guard var c = call, c.id == callId, c.peerAddress != address else { return }
        c.peerAddress = address
        call = c
        if c.streaming, let ctx = c.context { emit(.event(.peerAddress(ctx, address))) }
    }

    /// The media path of `callId` was lost (consent expired) or failed.
    mutating func mediaLost(callId: String) {
        guard let c = call, c.id == callId else { return }
        if c.phase == .active { mediaLost() }
    }

    /// A whole frame arrived. Returns the event to deliver, or nil (before the answer, before a keyframe).
    mutating func frameReceived(callId: String, kind: StreamKind, data: [UInt8], ptsMilliseconds: Int64,
                                isKeyframe: Bool, info: ReceivedStreamInfo) {
        guard var c = call, c.id == callId, c.phase == .active, let ctx = c.context else { return }
        if kind == .video, c.awaitingKeyframe || !c.receiving.contains(.video) {
            guard isKeyframe else {
                if !c.awaitingKeyframe {
                    c.awaitingKeyframe = true
                    call = c
                    emit(.requestKeyframe(callId: callId))
                }
                return
            }
            c.awaitingKeyframe = false
        }
        if !c.receiving.contains(kind) {
            c.receiving.insert(kind)
            emit(.event(.receiveStarted(ctx, info)))
        }
        let sequence = c.receivedCount[kind, default: 0]
        c.receivedCount[kind] = sequence + 1
        call = c
        emit(.event(.frame(ctx, ReceivedFrame(kind: kind, data: data, ptsMilliseconds: ptsMilliseconds,
                                              sequence: sequence, isKeyframe: isKeyframe))))
    }

    /// The peer asked for a keyframe.
    mutating func keyframeRequested(callId: String) {
        guard let c = call, c.id == callId, c.streaming, let ctx = c.context else { return }
        emit(.event(.command(.requestIFrame, ctx, args: nil)))
    }

    // MARK: Internals

    private mutating func takeVisitor() -> UInt32 {
        defer { nextVisitor = nextVisitor == UInt32.max ? 1 : nextVisitor + 1 }
        return nextVisitor
    }

    private mutating func startStreamIfReady() {
        guard var c = call, c.phase == .active || (earlyVideo && c.phase == .ringing && c.kind == .video),
              c.mediaReady, !c.streaming, let ctx = c.context, let format = c.format else { return }
        c.streaming = true
        call = c
        emit(.event(.streamStarted(ctx, format)))
        if let address = c.peerAddress { emit(.event(.peerAddress(ctx, address))) }
    }

    private mutating func mediaLost() {
        guard let c = call, c.phase == .active else { return }
        if let id = c.id { emit(.send(.hangUp(CallAction(callId: id, reason: .mediaLost)))) }
        endByLoss(c, .mediaLost)
    }

    /// A network end: after the stream started only "stream stopped"; before it, a peer-error notification.
    private mutating func endByLoss(_ c: Call, _ reason: CallEndReason) {
        if c.streaming, let ctx = c.context {
            emit(.event(.streamStopped(ctx)))
        } else {
            emit(.event(.notification(.peerError, c.context)))
        }
        finish(c, reason)
    }

    private mutating func end(_ c: Call, _ reason: CallEndReason, stopEvents: Bool) {
        if stopEvents, let ctx = c.context {
            if !c.receiving.isEmpty { emit(.event(.receiveStopped(ctx))) }
            if c.streaming { emit(.event(.streamStopped(ctx))) }
        }
        finish(c, reason)
    }

    private mutating func finish(_ c: Call, _ reason: CallEndReason) {
        call = nil
        guard let id = c.id else { return }
        emit(.stopMedia(callId: id))
        emit(.event(.callEnded(callId: id, reason: reason)))
    }

    private func reason(_ e: CallEvent) -> CallEndReason {
        switch e {
        case .reject: .rejected
        case .busy: .busy
        case .timeout: .timeout
        case .cancel: .cancelled
        case .hangUp: .remoteHangUp
        case .peerGone: .peerGone
        case .answer: .remoteHangUp
        }
    }

    private mutating func emit(_ o: Output) { outputs.append(o) }
}

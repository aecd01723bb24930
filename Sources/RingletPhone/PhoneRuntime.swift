import Foundation
import Logging
import NIOCore
import RingletCall
import RingletCore
import RingletDTLS
import RingletEngine
import RingletNIO
import RingletSampleMedia
import RingletSignaling

/// The phone's state, confined to its event loop: rings, the current call and its media, the counters.
final class PhoneRuntime {
    enum Role { case callee, caller }

    final class Call {
        let callId: String
        let role: Role
        let kind: CallKind
        let slot: CallMediaSlot
        let ice: ICEServerSet
        var startedAt: Instant
        /// The clip and tone, paced, once the media is connected.
        var pump: MediaPump?
        var video: FileHandle?
        var audio: FileHandle?
        init(callId: String, role: Role, kind: CallKind, slot: CallMediaSlot, ice: ICEServerSet, startedAt: Instant) {
            self.callId = callId
            self.role = role
            self.kind = kind
            self.slot = slot
            self.ice = ice
            self.startedAt = startedAt
        }
    }

    struct Ringing {
        let ring: Ring
        let ice: ICEServerSet
        let slot: CallMediaSlot
    }

    let configuration: RingletPhone.Configuration
    let driver: DatagramDriver<MediaPeer>
    let certificate: DTLSCertificate
    let clip: SampleClip?
    let ntpOffset: Duration
    let logger: Logger
    let emit: @Sendable (RingletPhone.Event) -> Void
    let send: @Sendable (ClientMessage) -> Bool

    var welcomeICE = ICEServerSet()
    var ringing: [String: Ringing] = [:]
    var current: Call?
    var placing: [String: (CallResult) -> Void] = [:]
    var placingKind: [String: CallKind] = [:]
    var nextRequest = 0
    var stats = RingletPhone.Statistics()
    /// When the newest offer arrived and, once it did, its end-of-candidates (which may both come while ringing).
    private var peerGathering: (callId: String, offerAt: Instant, endMs: Int64?)?

    init(configuration: RingletPhone.Configuration, driver: DatagramDriver<MediaPeer>, certificate: DTLSCertificate,
         clip: SampleClip?, ntpOffset: Duration, logger: Logger,
         emit: @escaping @Sendable (RingletPhone.Event) -> Void, send: @escaping @Sendable (ClientMessage) -> Bool) {
        self.configuration = configuration
        self.driver = driver
        self.certificate = certificate
        self.clip = clip
        self.ntpOffset = ntpOffset
        self.logger = logger
        self.emit = emit
        self.send = send
    }

    var loop: any EventLoop { driver.eventLoop }
    var now: Instant { DatagramDriver<MediaPeer>.now() }

    // MARK: Signaling

    func online(_ w: Welcome, ice: ICEServerSet) {
        welcomeICE = ice
        emit(.online(w))
    }

    func offline() {
        for (_, r) in ringing { r.slot.close() }
        ringing = [:]
        if let c = current { end(c, reason: "signaling_lost", notify: false) }
        for (id, done) in placing { done(CallResult(requestId: id, code: .notRegistered, message: "offline")) }
        placing = [:]
        emit(.offline)
    }

    func handle(_ message: ServerMessage, ice: ICEServerSet?) {
        switch message {
        case .ring(let r):
            guard current == nil, ringing.isEmpty else {
                _ = send(.busy(CallAction(callId: r.callId)))
                return
            }
            ringing[r.callId] = Ringing(ring: r, ice: ice ?? welcomeICE, slot: CallMediaSlot(callId: r.callId, logger: logger))
            emit(.ringing(r))
            applyPolicy(r.callId)
        case .ringStop(let s):
            ringing.removeValue(forKey: s.callId)?.slot.close()
            emit(.ringStopped(s))
        case .sdp(let s):
            if s.sdpType == .offer { peerGathering = (s.callId, now, nil) }
            route(message, callId: s.callId)
        case .candidate(let c):
            if c.isEndOfCandidates, let g = peerGathering, g.callId == c.callId, g.endMs == nil {
                let ms = (now.nanoseconds - g.offerAt.nanoseconds) / 1_000_000
                peerGathering?.endMs = ms
                if stats.callId == c.callId { stats.peerEndOfCandidatesMs = ms }
            }
            route(message, callId: c.callId)
        case .callResult(let r):
            guard let done = placing.removeValue(forKey: r.requestId) else { return }
            let kind = placingKind.removeValue(forKey: r.requestId) ?? .video
            if r.code == .ok, let id = r.callId, current == nil {
                startCall(callId: id, role: .caller, kind: kind, ice: ice ?? welcomeICE,
                          slot: CallMediaSlot(callId: id, logger: logger))
            }
            done(r)
        case .callEvent(let e):
            emit(.callEvent(e))
            if let c = current, c.callId == e.callId {
                switch e.event {
                case .answer:
                    c.startedAt = now  // timings of a user's call count from the device's accept
                default:
                    end(c, reason: e.event.rawValue, notify: true)
                }
            } else if let r = ringing.removeValue(forKey: e.callId) {
                r.slot.close()
            }
        case .command(let c):
            emit(.command(c))
        case .notice(let n):
            emit(.notice(n))
        case .error(let e):
            if let id = e.requestId, let done = placing.removeValue(forKey: id) {
                placingKind.removeValue(forKey: id)
                done(CallResult(requestId: id, code: e.seedCode ?? .failed, message: e.message))
            }
            emit(.error(e))
        case .welcome, .challenge, .joinNotify, .avState, .authorization, .authorizedUsers, .ack, .ping, .pong:
            break
        }
    }

    private func route(_ message: ServerMessage, callId: String) {
        if let c = current, c.callId == callId {
            c.slot.deliver(message)
        } else if let r = ringing[callId] {
            r.slot.deliver(message)
        }
    }

    private func applyPolicy(_ callId: String) {
        let delay: Duration
        let action: (PhoneRuntime) -> Void
        switch configuration.answerPolicy {
        case .answer(let d):
            delay = d
            action = { $0.answer(callId: callId) }
        case .reject(let d):
            delay = d
            action = { $0.decline(callId: callId, busy: false) }
        case .busy(let d):
            delay = d
            action = { $0.decline(callId: callId, busy: true) }
        case .ignore:
            return
        }
        loop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [weak self] in if let self { action(self) } }
    }

    // MARK: Actions

    func answer(callId: String) {
        guard current == nil, let r = ringing.removeValue(forKey: callId) else { return }
        _ = send(.answer(CallAction(callId: callId)))
        startCall(callId: callId, role: .callee, kind: r.ring.kind, ice: r.ice, slot: r.slot)
    }

    func decline(callId: String, busy: Bool) {
        guard let r = ringing.removeValue(forKey: callId) else { return }
        r.slot.close()
        _ = send(busy ? .busy(CallAction(callId: callId)) : .reject(CallAction(callId: callId)))
    }

    func callDevice(sn: String, kind: CallKind, completion: @escaping (CallResult) -> Void) {
        nextRequest += 1
        let id = "p\(nextRequest)"
        guard current == nil else {
            completion(CallResult(requestId: id, code: .busy, message: "the phone is in a call"))
            return
        }
        guard send(.callDevice(CallDeviceRequest(requestId: id, sn: sn, kind: kind))) else {
            completion(CallResult(requestId: id, code: .notRegistered, message: "offline"))
            return
        }
        placing[id] = completion
        placingKind[id] = kind
    }

    func hangUp() {
        guard let c = current else { return }
        _ = send(.hangUp(CallAction(callId: c.callId)))
        end(c, reason: "local", notify: true)
    }

    func sendCommand(_ text: String) {
        guard let c = current else { return }
        _ = send(.command(CustomCommand(callId: c.callId, name: "usr_data", data: text)))
    }

    func requestKeyframe() {
        guard let session = current?.slot.session else { return }
        try? session.run { pc, now in pc.requestKeyframe(now: now) }
    }

    func sendAVState(camera: Bool, microphone: Bool) {
        guard let c = current else { return }
        _ = send(.avState(AVState(callId: c.callId, camera: camera, microphone: microphone)))
    }

    // MARK: Media

    private func startCall(callId: String, role: Role, kind: CallKind, ice: ICEServerSet, slot: CallMediaSlot) {
        let call = Call(callId: callId, role: role, kind: kind, slot: slot, ice: ice, startedAt: now)
        current = call
        stats = RingletPhone.Statistics(callId: callId)
        if let g = peerGathering, g.callId == callId { stats.peerEndOfCandidatesMs = g.endMs }
        if let folder = configuration.recordFolder {
            call.video = Self.openRecording(folder, "\(callId).h264")
            call.audio = Self.openRecording(folder, "\(callId).audio")
        }
        var settings = CallMediaSession.Settings(
            certificate: certificate,
            hostAddresses: configuration.hostAddresses
                ?? LocalInterfaces.addresses(forServer: (try? HTTPJSONClient.BaseURL(parsing: configuration.server).host) ?? ""))
        settings.iceTransportPolicy = configuration.iceTransportPolicy
        settings.audio = .init(codecs: configuration.audioCodecs)
        settings.video = kind == .video && !configuration.videoCodecs.isEmpty ? .init(codecs: configuration.videoCodecs) : nil
        settings.tlsConfiguration = configuration.tlsConfiguration
        let send = self.send
        CallMediaSession.start(callId: callId, settings: settings, iceServers: ice, driver: driver, ntpOffset: ntpOffset,
                               sendSignal: { _ = send($0) }) { [weak self] result in
            guard let self else { return }
            switch result {
            case .failure(let error):
                logger.error("media session failed to start", metadata: ["error": "\(error)"])
                if current === call { hangUp() }
            case .success(let session):
                // The call may end (and go) before its session closes: weak.
                session.onEvent = { [weak self, weak call] event in
                    if let self, let call { mediaEvent(event, call: call) }
                }
                guard current === call, slot.attach(session) else { return }
                if role == .caller {
                    do {
                        try session.offer()
                    } catch {
                        logger.error("offer failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    private func mediaEvent(_ event: PeerConnectionEvent, call: Call) {
        guard current === call else { return }
        switch event {
        case .readyToSend:
            stats.connectedMs = (now.nanoseconds - call.startedAt.nanoseconds) / 1_000_000
            if let session = call.slot.session {
                let media = session.peer.pc.negotiatedMedia
                stats.audioCodec = media.first { $0.kind == .audio }?.codec.rawValue
                stats.video = media.contains { $0.kind == .video }
                stats.remoteAudioCodecs = Self.audioCodecNames(session.remoteDescription ?? "")
                if configuration.sendsMedia, call.pump == nil { startPump(call, session) }
            }
        case .selectedPath(let p):
            let first = stats.relayed == nil
            stats.relayed = p.relayed
            if first { emit(.mediaConnected(callId: call.callId, relayed: p.relayed)) }
        case .videoFrame(let f):
            if stats.videoReceived == 0 {
                stats.firstVideoMs = (now.nanoseconds - call.startedAt.nanoseconds) / 1_000_000
                emit(.firstFrame(callId: call.callId, video: true))
            }
            stats.videoReceived += 1
            if f.isKeyframe { stats.videoKeyframesReceived += 1 }
            call.video?.write(Data(f.data))
        case .audioFrame(let f):
            if stats.audioReceived == 0 {
                stats.firstAudioMs = (now.nanoseconds - call.startedAt.nanoseconds) / 1_000_000
                emit(.firstFrame(callId: call.callId, video: false))
            }
            stats.audioReceived += 1
            call.audio?.write(Data(f.data))
        case .keyframeRequested:
            call.pump?.requestKeyframe()
        case .connectionStateChanged(let s):
            if s == .disconnected || s == .failed {
                _ = send(.hangUp(CallAction(callId: call.callId, reason: .mediaLost)))
                end(call, reason: "media_lost", notify: true)
            }
        case .localCandidate, .gatheringComplete, .iceConnectionStateChanged, .watermark, .framesDropped:
            break
        }
    }

    /// Starts sending the clip (when video is sent) and a 660 Hz tone in the negotiated codec, paced by a
    /// ``MediaPump`` on the phone's loop (started from an engine event: the pump sends from tasks of its own).
    private func startPump(_ call: Call, _ session: CallMediaSession) {
        guard let clip else { return }
        let media = session.peer.pc.negotiatedMedia
        let audio: SampleAudio? = switch media.first(where: { $0.kind == .audio && $0.sends })?.codec {
        case .pcmu?: .muLaw
        case .pcma?: .aLaw
        case .opus?: .opus
        default: nil
        }
        let video = media.contains { $0.kind == .video && $0.sends && $0.codec == .h264 }  // the clip is H.264
        let pump = MediaPump(eventLoop: loop)
        call.pump = pump
        let bound = NIOLoopBound(session, eventLoop: loop)
        let counted = NIOLoopBound(self, eventLoop: loop)
        pump.start(sources: {
            SampleClipSource.sampleSources(clip: clip, audio: audio, video: video, hertz: 660)
        }, send: { frame in
            let sent: Void? = try? bound.value.run { pc, now in
                if frame.kind == .video {
                    try pc.sendVideo(frame: frame.bytes, ptsMilliseconds: frame.ptsMilliseconds, isKeyframe: frame.isKeyframe, now: now)
                } else {
                    try pc.sendAudio(frame: frame.bytes, ptsMilliseconds: frame.ptsMilliseconds, now: now)
                }
            }
            guard sent != nil else { return .refused }
            if frame.kind == .video { counted.value.stats.videoSent += 1 } else { counted.value.stats.audioSent += 1 }
            return .sent
        })
    }

    private func end(_ call: Call, reason: String, notify: Bool) {
        guard current === call else { return }
        current = nil
        call.pump?.stop()
        call.pump = nil
        call.slot.close()
        try? call.video?.close()
        try? call.audio?.close()
        if notify { emit(.callEnded(callId: call.callId, reason: reason)) }
    }

    /// The audio codec names of a description's `a=rtpmap` lines in its first audio m-section, lowercased.
    static func audioCodecNames(_ sdp: String) -> [String] {
        var inAudio = false
        var names: [String] = []
        for line in sdp.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("m=") { inAudio = line.hasPrefix("m=audio") && names.isEmpty }
            if inAudio, line.hasPrefix("a=rtpmap:"), let space = line.firstIndex(of: " ") {
                names.append(line[line.index(after: space)...].split(separator: "/").first.map { $0.lowercased() } ?? "")
            }
        }
        return names
    }

    private static func openRecording(_ folder: String, _ name: String) -> FileHandle? {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: nil) else { return nil }
        return FileHandle(forWritingAtPath: path)
    }
}

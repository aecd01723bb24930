import NIOCore
import NIOSSL
import RingletCore
import RingletDTLS
import RingletEngine
import RingletNIO
import RingletSignaling

/// The media side of one call: its own UDP sockets on a `DatagramDriver`, a ``PeerConnection`` built from the
/// call's ICE servers, local candidates trickled to the signaling as `candidate` messages (end-of-candidates as
/// `""`), and the peer's `sdp` / `candidate` messages applied (an offer is answered at once).
///
/// Confined to the driver's event loop: every method must be called on it. ``onEvent`` receives the
/// connection's events while the driver is inside the machine; code there must not call back into this
/// session synchronously (defer with `eventLoop.execute`).
public final class CallMediaSession {
    /// What a session needs besides the call's ICE servers.
    public struct Settings: Sendable {
        /// The DTLS certificate (made once per device or phone, reused by every call).
        public var certificate: DTLSCertificate
        /// The local addresses to gather host candidates on (one socket each, kernel-chosen port).
        public var hostAddresses: [IPAddress]
        /// Which candidates to use.
        public var iceTransportPolicy: PeerConnection.ICETransportPolicy = .all
        /// Audio codecs in order of preference, nil for none.
        public var audio: PeerConnection.MediaConfiguration? = .init(codecs: [.pcmu, .pcma, .opus])
        /// Video codecs in order of preference, nil for none.
        public var video: PeerConnection.MediaConfiguration? = .init(codecs: [.h264])
        /// How long without consent before the path counts as lost (RFC 7675; the engine's default is 5 s).
        public var consentLossTimeout: Duration = .seconds(5)
        /// Pacer watermarks (bytes): low, warn, high; nil keeps the engine's defaults.
        public var watermarks: (low: Int, warn: Int, high: Int)?
        /// TLS for `turns:` servers (trust roots; nil: the system's, as for the signaling's `wss://`).
        public var tlsConfiguration: TLSConfiguration?

        /// Settings with the defaults above.
        public init(certificate: DTLSCertificate, hostAddresses: [IPAddress]) {
            self.certificate = certificate
            self.hostAddresses = hostAddresses
        }
    }

    /// The call this session carries.
    public let callId: String
    /// The driver its sockets live on.
    public let driver: DatagramDriver<MediaPeer>
    /// The machine id of its peer.
    public let machine: MachineID
    /// The driven connection.
    public let peer: MediaPeer
    /// The local socket addresses.
    public let locals: [TransportAddress]
    /// The ICE servers it was built with (URLs that were left out are in `skipped`).
    public let iceServers: ICEServerSet
    private let sendSignal: (ClientMessage) -> Void
    private var closed = false
    private var mid = "0"
    /// The peer's last description applied (offer or answer).
    public private(set) var remoteDescription: String?

    /// Sees every connection event (after the session trickled candidates).
    public var onEvent: (PeerConnectionEvent) -> Void = { _ in }

    private init(callId: String, driver: DatagramDriver<MediaPeer>, machine: MachineID, peer: MediaPeer,
                 locals: [TransportAddress], iceServers: ICEServerSet, sendSignal: @escaping (ClientMessage) -> Void) {
        self.callId = callId
        self.driver = driver
        self.machine = machine
        self.peer = peer
        self.locals = locals
        self.iceServers = iceServers
        self.sendSignal = sendSignal
    }

    /// Binds the sockets and makes the connection; `completion` runs on the driver's loop. Call on the loop.
    /// - Parameters:
    ///   - ntpOffset: NTP time at `Instant.zero`, for sender reports.
    ///   - sendSignal: sends a signaling message for this call (on the loop).
    public static func start(
        callId: String, settings: Settings, iceServers: ICEServerSet, driver: DatagramDriver<MediaPeer>,
        ntpOffset: Duration, sendSignal: @escaping (ClientMessage) -> Void,
        completion: @escaping (Result<CallMediaSession, any Error>) -> Void
    ) {
        let loop = driver.eventLoop
        loop.preconditionInEventLoop()
        let binds = settings.hostAddresses.map { driver.bindUDP(TransportAddress($0, 0)) }
        EventLoopFuture.whenAllSucceed(binds, on: loop).assumeIsolated().whenComplete { result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let locals):
                do {
                    let session = try make(callId: callId, settings: settings, iceServers: iceServers, locals: locals,
                                           driver: driver, ntpOffset: ntpOffset, sendSignal: sendSignal)
                    completion(.success(session))
                } catch {
                    for l in locals { _ = driver.closeUDP(l) }
                    completion(.failure(error))
                }
            }
        }
    }

    private static func make(
        callId: String, settings: Settings, iceServers: ICEServerSet, locals: [TransportAddress],
        driver: DatagramDriver<MediaPeer>, ntpOffset: Duration, sendSignal: @escaping (ClientMessage) -> Void
    ) throws -> CallMediaSession {
        for server in iceServers.tlsServers {
            try driver.useTLSOnLoop(toward: server.address, serverName: server.serverName,
                                    configuration: settings.tlsConfiguration ?? .makeClientConfiguration())
        }
        var c = PeerConnection.Configuration(certificate: settings.certificate, hostAddresses: locals)
        c.stunServers = iceServers.stunServers
        c.turnServers = iceServers.turnServers
        c.iceTransportPolicy = settings.iceTransportPolicy
        c.audio = settings.audio
        c.video = settings.video
        c.ice.consentLossTimeout = settings.consentLossTimeout
        if let w = settings.watermarks {
            c.send.lowWatermark = w.low
            c.send.warnWatermark = w.warn
            c.send.highWatermark = w.high
            c.send.maxQueueBytes = max(c.send.maxQueueBytes, w.high * 2)
        }
        c.ntpOffset = ntpOffset
        var rng = SystemRandomNumberGenerator()
        let peer = MediaPeer(pc: try PeerConnection(configuration: c, using: &rng))
        let id = try driver.addMachineOnLoop(peer, owning: locals)
        let session = CallMediaSession(callId: callId, driver: driver, machine: id, peer: peer, locals: locals,
                                       iceServers: iceServers, sendSignal: sendSignal)
        peer.onEvent = { [weak session] in session?.observe($0) }
        return session
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { closed }

    /// Makes the offer and sends it.
    /// - Throws: the engine's error (the session stays usable).
    public func offer() throws {
        let sdp = try run { pc, now in try pc.createOffer(now: now) }
        sendSignal(.sdp(SessionDescription(callId: callId, sdpType: .offer, sdp: sdp)))
    }

    /// Applies the peer's description; an offer is answered at once (the answer is sent).
    /// - Throws: the engine's error for a description it cannot use.
    public func handleRemoteDescription(type: SDPType, sdp: String) throws {
        try run { pc, now in
            // An answer only to this session's own offer, an offer only when none of ours is out: a description
            // meant for an earlier negotiation (an answer to the offer a media restart replaced) is refused rather
            // than taken as the peer's new offer, which would restart ICE with credentials the peer never learns.
            guard (type == .answer) == (pc.signalingState == .haveLocalOffer) else {
                throw EngineError(.invalidState, field: "setRemoteDescription",
                                  "\(type.rawValue) refused in signaling state \(pc.signalingState)")
            }
            try pc.setRemoteDescription(sdp, now: now)
        }
        remoteDescription = sdp
        if let first = peer.pc.negotiatedMedia.first?.mid { mid = first }
        guard type == .offer else { return }
        let answer = try run { pc, now in try pc.createAnswer(now: now) }
        if let first = peer.pc.negotiatedMedia.first?.mid { mid = first }
        sendSignal(.sdp(SessionDescription(callId: callId, sdpType: .answer, sdp: answer)))
    }

    /// Adds the peer's trickled candidate (`""`: end of candidates). Returns whether ICE took it.
    @discardableResult
    public func addRemoteCandidate(_ line: String) -> Bool {
        if line.isEmpty {
            try? run { pc, now in pc.endOfRemoteCandidates(now: now) }
            return true
        }
        return (try? run { pc, now in try pc.addRemoteCandidate(line, now: now) }) ?? false
    }

    /// Runs `body` on the connection at the driver's instant, then lets the driver send what it produced.
    /// Must not be called from ``onEvent``.
    public func run<R>(_ body: (PeerConnection, Instant) throws -> R) throws -> R {
        try driver.withMachineOnLoop(machine) { peer, now in try peer.signal(now) { pc in try body(pc, now) } }
    }

    /// Closes the connection (DTLS close_notify, TURN deallocation), removes the machine and closes its sockets.
    /// Idempotent. Must not be called from ``onEvent``.
    public func close() -> EventLoopFuture<Void> {
        guard !closed else { return driver.eventLoop.makeSucceededVoidFuture() }
        closed = true
        try? run { pc, now in pc.close(now: now) }
        let driver = self.driver
        let locals = self.locals
        let machine = self.machine
        // Give the close_notify and the TURN deallocation a moment to leave before the sockets go.
        return driver.eventLoop.scheduleTask(in: .milliseconds(50)) {}.futureResult
            .flatMap { driver.removeMachine(machine) }
            .flatMap { EventLoopFuture.andAllComplete(locals.map { driver.closeUDP($0) }, on: driver.eventLoop) }
    }

    private func observe(_ event: PeerConnectionEvent) {
        switch event {
        case .localCandidate(let line):
            sendSignal(.candidate(ICECandidate(callId: callId, candidate: line, mid: mid, mLineIndex: 0)))
        case .gatheringComplete:
            sendSignal(.candidate(ICECandidate(callId: callId, candidate: "", mid: mid, mLineIndex: 0)))
        default:
            break
        }
        onEvent(event)
    }
}

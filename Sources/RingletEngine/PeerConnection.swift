import RingletCore
import RingletDTLS
import RingletICE
import RingletRTP
import RingletSDP
import RingletSRTP
import RingletTURN

/// One WebRTC peer connection (RFC 8829/9429 JSEP in Chromium's dialect, BUNDLE + rtcp-mux, one ICE component)
/// as a sans-IO machine: it composes `ICEAgent`, `TURNClient`s, `DTLSTransport`, two `SRTPContext`s, an
/// `RTPSendSession` and `RTPReceiveStream`s, and demultiplexes datagrams between them (RFC 7983).
///
/// ## Drain contract (``DatagramDriven``)
/// The caller owns the sockets and the clock. After **every** input — ``handle(_:now:)``,
/// ``handleTimeout(now:)``, the signaling calls (``createOffer(now:)``, ``setRemoteDescription(_:now:)``,
/// ``createAnswer(now:)``, ``addRemoteCandidate(_:now:)``, ``endOfRemoteCandidates(now:)``,
/// ``restartICE(now:)``), the media calls (``sendVideo(frame:ptsMilliseconds:isKeyframe:now:)``,
/// ``sendAudio(frame:ptsMilliseconds:now:)``) and ``close(now:)`` — it drains ``pollTransmit()`` until nil,
/// sending each datagram from its `source` (one of ``Configuration/hostAddresses``; `transport` `.tcp` means
/// "write to the TCP connection to that TURN server"), drains ``pollEvent()`` until nil, then arms a timer for
/// ``nextDeadline()`` and calls ``handleTimeout(now:)`` when it passes (a deadline at or before `now` means at
/// once). Nothing is lost if events are drained later, but datagrams should leave promptly.
///
/// ## States (`RTCPeerConnectionState`)
/// ```
///                 negotiation (ICE checking)             ICE selected pair + DTLS connected
///   new ──────────────────────────────────▶ connecting ───────────────────────────────────▶ connected
///                                             │    ▲                                          │    ▲
///      ICE failed / DTLS failed (fingerprint) │    └──── ICE restart or consent back ─────────┤    │ consent back
///                                             ▼                                               ▼    │
///                                           failed ◀──── consent expired (30 s) ──────── disconnected
///   any ──close()──▶ closed                         (no consent response for 5 s)
/// ```
/// Signaling follows JSEP (RFC 9429 §3.2): `stable ──createOffer──▶ haveLocalOffer ──answer──▶ stable`,
/// `stable ──remote offer──▶ haveRemoteOffer ──createAnswer──▶ stable`.
///
/// ## Data path
/// Datagrams from a TURN server on the TURN flow (allocation traffic, Data indications, ChannelData) go to that
/// TURN client, whose relayed data re-enters ICE as if received on the relayed address; STUN Binding goes to
/// ICE; DTLS, SRTP and SRTCP are accepted only from a known candidate pair. DTLS starts when ICE selects a pair
/// (the client sends its ClientHello); on `connected` the exporter keys are split by role and the two SRTP
/// contexts are made, and ``PeerConnectionEvent/readyToSend`` tells the app to send its first IDR.
///
/// Not `Sendable`: it owns OpenSSL objects (the DTLS `SSL`, SRTP cipher contexts, ICE/TURN HMAC keys) whose
/// state must not be touched from two threads. One owner (an event loop, or the simulation) drives it.
public final class PeerConnection: DatagramDriven {
    /// The JSEP signaling state (RFC 9429 §3.2, W3C `RTCSignalingState`).
    public enum SignalingState: String, Hashable, Sendable {
        /// No offer pending.
        case stable
        /// This side made an offer and waits for the answer.
        case haveLocalOffer
        /// The peer's offer was applied; ``PeerConnection/createAnswer(now:)`` is next.
        case haveRemoteOffer
    }

    /// The validated configuration.
    public let configuration: Configuration
    /// The connection state.
    public internal(set) var connectionState: PeerConnectionState = .new
    /// The signaling state.
    public internal(set) var signalingState: SignalingState = .stable
    /// What the negotiation agreed, per media kind (empty before the first complete offer/answer).
    public internal(set) var negotiatedMedia: [NegotiatedMedia] = []
    /// This side's DTLS role, once the offer/answer fixed it.
    public var dtlsRole: DTLSRole? { dtls?.role }
    /// Counters of dropped input and traffic.
    public internal(set) var counters = PeerConnectionCounters()

    var rng: SeededRandom
    var ice: ICEAgent?
    var turn: [TURNSlot] = []
    var turnStarted = false
    /// When TURN allocation (and so gathering) started, and when the first relayed candidate came: the
    /// gathering deadline counts from them (``Configuration/gatheringGrace``, ``Configuration/gatheringTimeout``).
    var gatheringStartedAt: Instant?
    var firstRelayedAt: Instant?
    var localEndOfCandidates = false
    var gatheringComplete = false
    var dtls: DTLSTransport?
    var dtlsStarted = false
    var dtlsFailed = false
    var srtpSend: SRTPContext?
    var srtpReceive: SRTPContext?
    var sender: RTPSendSession?
    /// Why the send session could not be made from the negotiated media, if it could not: what `sendAudio` and
    /// `sendVideo` throw then, rather than `noSuchMedia`.
    var senderFailure: EngineError?
    var receivers: [UInt32: ReceiveSlot] = [:]
    var receiverOrder: [UInt32] = []
    var demux = RTPReceiveDemultiplexer<RTPSendMedia>()
    var transportFeedback: TransportFeedbackGenerator?
    var nextReceiverReport: Instant?
    var pendingFeedback: [RTCPPacket] = []
    var lastDTLSPair: ICECandidatePair.ID?
    var localOffer: SessionDescription?
    var pendingAnswer: SessionDescription?
    var restartPending = false

    let audioSSRC: UInt32
    let videoSSRC: UInt32
    let cname: String
    let sessionID: UInt64
    var sessionVersion: UInt64 = 1

    var transmits = FIFOQueue<Datagram>()
    var events = FIFOQueue<PeerConnectionEvent>()
    var scratch: [UInt8] = []

    /// Makes a peer connection; nothing is sent until the first offer or remote offer.
    /// - Parameters:
    ///   - configuration: validated here.
    ///   - rng: the random source (a `SeededRandom` in tests); the connection draws a seed from it, its SSRCs,
    ///     CNAME and SDP session id, and every component's randomness comes from that seed.
    /// - Throws: `invalidConfiguration`.
    public init(configuration: Configuration, using rng: inout some RandomNumberGenerator) throws(EngineError) {
        try configuration.validate()
        do {
            try configuration.ice.validate()
        } catch {
            throw EngineError(.invalidConfiguration, field: "ice." + error.field, error.message, underlying: error)
        }
        self.configuration = configuration
        self.rng = SeededRandom(seed: rng.next())
        var a = UInt32(truncatingIfNeeded: self.rng.next())
        var v = UInt32(truncatingIfNeeded: self.rng.next())
        while a == 0 { a = UInt32(truncatingIfNeeded: self.rng.next()) }
        while v == 0 || v == a { v = UInt32(truncatingIfNeeded: self.rng.next()) }
        audioSSRC = a
        videoSSRC = v
        sessionID = self.rng.next() >> 2
        if let c = configuration.cname {
            cname = c
        } else {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
            var bytes = [UInt8]()
            for _ in 0..<16 { bytes.append(alphabet[Int(self.rng.next() % UInt64(alphabet.count))]) }
            cname = String(decoding: bytes, as: UTF8.self)
        }
    }

    // MARK: DatagramDriven

    /// Takes a datagram that arrived on one of the local sockets (or the TURN TCP connection). Never traps;
    /// what cannot be used is counted in ``counters``.
    public func handle(_ datagram: Datagram, now: Instant) {
        counters.datagramsReceived &+= 1
        counters.bytesReceived &+= Int64(datagram.payload.count)
        receive(datagram, now: now)
        pump(now: now)
    }

    /// The next datagram to send, or nil.
    public func pollTransmit() -> Datagram? { transmits.popFirst() }

    /// The next event, or nil.
    public func pollEvent() -> PeerConnectionEvent? { events.popFirst() }

    /// The earliest deadline of every component, or nil.
    public func nextDeadline() -> Instant? {
        var next: Instant?
        func consider(_ t: Instant?) {
            guard let t else { return }
            if next.map({ t < $0 }) ?? true { next = t }
        }
        consider(ice?.pollTimeout())
        for slot in turn { consider(slot.client.pollTimeout()) }
        if dtlsStarted { consider(dtls?.pollTimeout()) }
        consider(sender?.pollTimeout())
        for ssrc in receiverOrder { consider(receivers[ssrc]?.stream.pollTimeout()) }
        if !receivers.isEmpty { consider(nextReceiverReport) }
        consider(transportFeedback?.nextDeadline)
        consider(gatheringDeadline)
        return next
    }

    /// When gathering still under way is given up, or nil when it is complete (or has not started).
    var gatheringDeadline: Instant? {
        guard !gatheringComplete, let start = gatheringStartedAt, ice != nil else { return nil }
        let timeout = start + configuration.gatheringTimeout
        guard let first = firstRelayedAt else { return timeout }
        return min(timeout, first + configuration.gatheringGrace)
    }

    /// Runs every component whose deadline has passed.
    public func handleTimeout(now: Instant) {
        if let t = ice?.pollTimeout(), t <= now { ice?.handleTimeout(now: now) }
        for i in turn.indices {
            if let t = turn[i].client.pollTimeout(), t <= now { turn[i].client.handleTimeout(now: now) }
        }
        if dtlsStarted, let d = dtls, let t = d.pollTimeout(), t <= now { d.handleTimeout(now: now) }
        if let t = sender?.pollTimeout(), t <= now { sender?.handleTimeout(now: now) }
        for ssrc in receiverOrder {
            if let t = receivers[ssrc]?.stream.pollTimeout(), t <= now { receivers[ssrc]?.stream.handleTimeout(now: now) }
        }
        if let t = nextReceiverReport, t <= now, !receivers.isEmpty { sendReceiverReport(now: now) }
        if let t = transportFeedback?.nextDeadline, t <= now { sendTransportFeedback(now: now) }
        if let t = gatheringDeadline, t <= now { cutGathering(now: now) }
        pump(now: now)
    }

    // MARK: Internals shared by the extensions

    func emit(_ event: PeerConnectionEvent) { events.append(event) }

    func enqueue(_ datagram: Datagram) {
        counters.datagramsSent &+= 1
        counters.bytesSent &+= Int64(datagram.payload.count)
        transmits.append(datagram)
    }

    /// Drains every component until none produces anything more, then updates the connection state.
    func pump(now: Instant) {
        var rounds = 0
        while rounds < 64 {
            rounds &+= 1
            var progressed = drainICE(now: now)
            progressed = drainTURN(now: now) || progressed
            progressed = drainDTLS(now: now) || progressed
            progressed = drainSender(now: now) || progressed
            progressed = drainReceivers(now: now) || progressed
            progressed = flushFeedback(now: now) || progressed
            if !progressed { break }
        }
        updateConnectionState()
    }

    func updateConnectionState() {
        let next: PeerConnectionState
        if connectionState == .closed {
            return
        } else if dtlsFailed || ice?.connectionState == .failed {
            next = .failed
        } else if let ice {
            switch ice.connectionState {
            case .new: next = dtlsStarted ? .connecting : (signalingState == .stable && !negotiatedMedia.isEmpty
                                                             ? .connecting : .new)
            case .checking: next = .connecting
            case .connected, .completed: next = srtpSend != nil ? .connected : .connecting
            case .disconnected: next = .disconnected
            case .failed: next = .failed
            case .closed: next = .closed
            }
        } else {
            next = .new
        }
        guard next != connectionState else { return }
        connectionState = next
        emit(.connectionStateChanged(next))
    }
}

/// One TURN client, the local socket it uses, and what it allocated.
struct TURNSlot {
    var client: TURNClient
    let local: TransportAddress
    var relayed: TransportAddress?
    var finished = false
    var server: TransportAddress { client.configuration.server }
}

/// One remote SSRC's receive stream and the media kind it belongs to.
struct ReceiveSlot {
    let kind: RTPSendMedia
    let codec: RingletCodec
    var stream: RTPReceiveStream
}

import RingletCore
import RingletSTUN

/// A STUN (RFC 8489 Binding, RFC 3489 classic Binding) and TURN (RFC 8656, UDP relaying) server as a sans-IO
/// state machine: it never touches a socket or a clock.
///
/// ## Driving it
/// The shell (a SwiftNIO server) listens on UDP and TCP and feeds every input with the current instant:
/// - ``handleFromClient(_:flow:now:)-(ArraySlice<UInt8>,_,_)``: bytes from a client. A UDP datagram is one
///   message; TCP bytes are given as they arrive, and the server frames the stream itself (RFC 8656 §12.5).
/// - ``handleClientConnectionClosed(_:now:)``: a client's TCP connection ended (its allocation goes too).
/// - ``handleFromPeer(_:relay:peer:now:)-(ArraySlice<UInt8>,_,_,_)``: a datagram that arrived on a relay socket.
/// - ``handleRelayOpened(_:relay:now:)`` / ``handleRelayFailed(_:now:)``: the answer to an
///   ``Output/openRelay(_:)`` request (the shell binds one UDP socket per allocation, asynchronously).
/// - ``handleTimeout(now:)``: when ``pollTimeout()`` has passed.
///
/// After every input, call ``pollOutput()`` until it returns nil and carry out each ``Output``; then arm a
/// timer for ``pollTimeout()``. Outputs keep their order. The server is not `Sendable` (it caches OpenSSL MAC
/// contexts): confine it to one event loop.
///
/// ## Allocation life cycle (RFC 8656 §5, §7)
/// ```
///                 Allocate (authenticated, quota ok)
///   (none) ───────────────────────────────────────────▶ pending ──openRelay──▶ shell
///      ▲                                                   │
///      │          handleRelayFailed → 508                  │ handleRelayOpened → Allocate success
///      ├───────────────────────────────────────────────────┤
///      │                                                   ▼
///      │   expiry / Refresh LIFETIME=0 / TCP closed     active ◀──┐ Refresh (lifetime reset),
///      └───────────────────────────────────────────────────┘──────┘ CreatePermission, ChannelBind,
///                                                                   Send/ChannelData ⇄ Data/ChannelData
/// ```
/// Permissions (per peer IP) last 300 s and channel bindings 600 s from their last refresh; an expired
/// channel's number and peer stay reserved for each other for 300 s more (RFC 8656 §9, §12).
///
/// ## Authentication (RFC 8489 §9.2, TURN REST convention)
/// Every TURN request needs MESSAGE-INTEGRITY under the long-term key of `USERNAME = "<expiry>:<id>"`,
/// `REALM = configuration.realm`, `password = base64(HMAC-SHA1(sharedSecret, USERNAME))`. Without it: 401 with
/// REALM and NONCE; with a stale nonce: 438 with a fresh NONCE; expired username or wrong key: 401. Responses
/// to authenticated requests carry MESSAGE-INTEGRITY (and FINGERPRINT when the request had one).
public struct TURNServer {
    /// How long a permission lasts (RFC 8656 §9).
    public static let permissionLifetime: Duration = .seconds(300)
    /// How long a channel binding lasts (RFC 8656 §12).
    public static let channelLifetime: Duration = .seconds(600)
    /// How long an expired channel's number and peer stay reserved for each other (RFC 8656 §12).
    public static let channelReuseDelay: Duration = .seconds(300)
    /// The shortest interval between two sweeps of expired state (expiry is still exact on the data path).
    static let sweepGranularity: Duration = .seconds(1)

    /// The validated configuration.
    public let configuration: Configuration
    /// Running totals for metrics.
    public internal(set) var counters = Counters()

    var random: any RandomNumberGenerator
    /// Transaction IDs of Data indications: not security-relevant, so a fast generator seeded from `random`.
    var indicationIDs: SeededRandom
    /// HMAC-SHA1 under the shared secret, for REST passwords.
    let secretKey: STUNIntegrityKey
    let softwareAttribute: STUNAttribute?

    var unixAnchor: Int64
    var instantAnchor: Instant

    /// HMAC-SHA1 under a random per-process key: a NONCE is a period index and this MAC of it with the client's
    /// IP, so a nonce works only from the address it was given to and only for ``Configuration/nonceLifetime``.
    let nonceKey: STUNIntegrityKey
    /// Answers to unauthenticated UDP requests, per source IP (reflection limit).
    var unauthenticatedAnswers: KeyedTokenBuckets<IPAddress>
    /// All allocations' relayed bytes together (nil: unlimited).
    var totalBandwidth: TokenBucket?
    /// The IPs of ``Configuration/deniedPeerAddresses`` and ``Configuration/ownAddresses``: a Send indication to
    /// one of them is checked further (any other peer costs one lookup).
    let guardedPeerIPs: Set<IPAddress>
    /// The instant of the input being handled (for answers that are rate limited).
    var inputInstant: Instant

    var slots: [TURNServerAllocation?] = []
    var freeSlots: [Int] = []
    var byFlow: [ClientFlow: Int] = [:]
    var byRelay: [TransportAddress: Int] = [:]
    var byRelayRequest: [UInt64: Int] = [:]
    var perUser: [String: Int] = [:]
    var nextRelayRequestID: UInt64 = 1

    var streamBuffers: [ClientFlow: [UInt8]] = [:]
    var outputs = FIFOQueue<Output>()
    /// The earliest instant some allocation state may end (possibly early, never late), or nil.
    var deadline: Instant?

    /// Makes a server.
    /// - Parameters:
    ///   - configuration: checked with ``Configuration/validate()``.
    ///   - now: the current instant of the shell's monotonic clock.
    ///   - unixTime: the wall-clock time at `now`, Unix seconds (REST usernames carry a Unix expiry).
    ///   - random: the source of NONCE values (pass `SystemRandomNumberGenerator()` in production).
    /// - Throws: `invalidConfiguration`, or `crypto` if OpenSSL cannot key an HMAC.
    public init(configuration: Configuration, now: Instant, unixTime: Int64,
                random: some RandomNumberGenerator) throws(TURNError)
    {
        try configuration.validate()
        do {
            secretKey = try STUNIntegrityKey(key: configuration.sharedSecret.value)
        } catch {
            throw TURNError(.crypto, field: "sharedSecret", error.description)
        }
        self.configuration = configuration
        softwareAttribute = configuration.software.flatMap { try? STUNAttribute(type: .software, value: Array($0.utf8)) }
        var generator = random
        indicationIDs = SeededRandom(seed: generator.next())
        do {
            nonceKey = try STUNIntegrityKey(key: generator.bytes(20))
        } catch {
            throw TURNError(.crypto, field: "nonceKey", error.description)
        }
        self.random = generator
        unixAnchor = unixTime
        instantAnchor = now
        inputInstant = now
        unauthenticatedAnswers = KeyedTokenBuckets(capacity: configuration.unauthenticatedAnswerBurst,
                                                   refillPerSecond: configuration.unauthenticatedAnswersPerSecond,
                                                   maximumKeys: 65_536, whenFull: .refuse)
        if configuration.totalBytesPerSecond > 0 {
            let rate = Double(configuration.totalBytesPerSecond)
            totalBandwidth = TokenBucket(capacity: rate, refillPerSecond: rate, now: now)
        }
        guardedPeerIPs = Set(configuration.deniedPeerAddresses.map(\.ip)).union(configuration.ownAddresses)
    }

    /// Tells the server the wall-clock time again (after the system clock was stepped).
    public mutating func synchronizeWallClock(unixTime: Int64, now: Instant) {
        unixAnchor = unixTime
        instantAnchor = now
    }

    /// Unix seconds at `now`.
    func unixTime(at now: Instant) -> Int64 {
        unixAnchor &+ (now.nanoseconds &- instantAnchor.nanoseconds) / 1_000_000_000
    }

    // MARK: Inputs

    /// Takes bytes from a client: one datagram over UDP, or the next bytes of the connection over TCP.
    public mutating func handleFromClient(_ bytes: ArraySlice<UInt8>, flow: ClientFlow, now: Instant) {
        inputInstant = now
        if flow.transport == .tcp {
            handleStream(bytes, flow: flow, now: now)
        } else {
            handleMessage(bytes, flow: flow, now: now)
        }
    }

    /// Takes bytes from a client; see ``handleFromClient(_:flow:now:)-(ArraySlice<UInt8>,_,_)``.
    public mutating func handleFromClient(_ bytes: [UInt8], flow: ClientFlow, now: Instant) {
        handleFromClient(bytes[...], flow: flow, now: now)
    }

    /// A client's TCP connection closed: its stream buffer and its allocation go (RFC 8656 §7).
    public mutating func handleClientConnectionClosed(_ flow: ClientFlow, now: Instant) {
        streamBuffers[flow] = nil
        if let i = byFlow[flow] { deleteAllocation(i, reason: .connectionClosed) }
    }

    /// The shell opened the relay socket asked for by ``Output/openRelay(_:)``: the allocation becomes active
    /// and the client gets its Allocate success response. If the allocation has gone meanwhile (or the address
    /// is already in use), the server asks to close the socket again.
    public mutating func handleRelayOpened(_ id: UInt64, relay: TransportAddress, now: Instant) {
        guard let i = byRelayRequest.removeValue(forKey: id), let pending = slots[i]?.pending else {
            outputs.append(.closeRelay(relay))
            return
        }
        guard byRelay[relay] == nil, slots[i]?.family == relay.ip.family else {
            failPendingAllocation(i, pending: pending)
            return
        }
        slots[i]?.pending = nil
        slots[i]?.relay = relay
        slots[i]?.expiry = now + pending.lifetime
        byRelay[relay] = i
        guard let a = slots[i] else { return }
        counters.allocationsCreated &+= 1
        outputs.append(.event(.allocationCreated(flow: a.flow, relay: relay)))
        sendAllocateSuccess(a, relay: relay, transactionID: a.allocateTransaction, fingerprint: pending.fingerprint)
        noteDeadline(a.expiry)
    }

    /// The shell could not open the relay socket: the client gets 508 (Insufficient Capacity) and the pending
    /// allocation goes.
    public mutating func handleRelayFailed(_ id: UInt64, now: Instant) {
        guard let i = byRelayRequest.removeValue(forKey: id), let pending = slots[i]?.pending else { return }
        failPendingAllocation(i, pending: pending)
    }

    /// Call when ``pollTimeout()`` has passed: allocations, permissions and channels whose time is up end.
    public mutating func handleTimeout(now: Instant) {
        guard let d = deadline, d <= now else { return }
        var next: Instant?
        for i in slots.indices {
            guard let expiry = slots[i]?.expiry else { continue }
            if expiry <= now {
                deleteAllocation(i, reason: .expired)
                continue
            }
            slots[i]?.sweep(now: now)
            if let d = slots[i]?.nextDeadline() { next = next.map { min($0, d) } ?? d }
        }
        deadline = next.map { max($0, now + TURNServer.sweepGranularity) }
    }

    // MARK: Outputs

    /// The next thing to do, or nil when there is nothing more until the next input.
    public mutating func pollOutput() -> Output? { outputs.popFirst() }

    /// When to call ``handleTimeout(now:)`` next, or nil if no allocation exists.
    public func pollTimeout() -> Instant? { deadline }

    /// The relayed transport address of the allocation on `flow`, if it is active.
    public func relayAddress(for flow: ClientFlow) -> TransportAddress? {
        guard let i = byFlow[flow] else { return nil }
        return slots[i]?.relay
    }

    /// Whether `flow` has an allocation (active or waiting for its relay): a TCP connection without one is
    /// closed by the shell after a few seconds.
    public func hasAllocation(for flow: ClientFlow) -> Bool {
        byFlow[flow] != nil
    }

    // MARK: Internals

    mutating func noteDeadline(_ instant: Instant) {
        deadline = deadline.map { min($0, instant) } ?? instant
    }

    mutating func failPendingAllocation(_ i: Int, pending: TURNServerAllocation.Pending) {
        guard let a = slots[i] else { return }
        byRelayRequest[pending.relayRequestID] = nil
        slots[i]?.pending = nil
        sendError(method: .allocate, transactionID: a.allocateTransaction, flow: a.flow, code: 508,
                  reason: "Insufficient Capacity", key: a.key, fingerprint: pending.fingerprint)
        deleteAllocation(i, reason: .relayFailed)
    }

    mutating func deleteAllocation(_ i: Int, reason: DeletionReason) {
        guard i >= 0, i < slots.count, let a = slots[i] else { return }
        slots[i] = nil
        freeSlots.append(i)
        if byFlow[a.flow] == i { byFlow[a.flow] = nil }
        if let relay = a.relay {
            byRelay[relay] = nil
            outputs.append(.closeRelay(relay))
        }
        if let p = a.pending { byRelayRequest[p.relayRequestID] = nil }
        let left = (perUser[a.quotaKey] ?? 1) &- 1
        perUser[a.quotaKey] = left > 0 ? left : nil
        counters.allocations &-= 1
        counters.allocationsDeleted &+= 1
        outputs.append(.event(.allocationDeleted(flow: a.flow, relay: a.relay, reason: reason)))
        if counters.allocations == 0 { deadline = nil }
    }

    mutating func handleStream(_ bytes: ArraySlice<UInt8>, flow: ClientFlow, now: Instant) {
        if var buffer = streamBuffers.removeValue(forKey: flow) {
            buffer.append(contentsOf: bytes)
            consumeStream(buffer[...], flow: flow, now: now)
        } else {
            consumeStream(bytes, flow: flow, now: now)
        }
    }

    /// Handles every whole frame at the front of `stream`; keeps the rest for the next bytes.
    mutating func consumeStream(_ stream: ArraySlice<UInt8>, flow: ClientFlow, now: Instant) {
        var rest = stream
        while true {
            let frame: (kind: TURNStreamFraming.Kind, length: Int)?
            do {
                frame = try TURNStreamFraming.frameLength(rest, accepting: channelNumbers)
            } catch {
                counters.droppedMalformed &+= 1
                outputs.append(.closeClientConnection(flow))
                handleClientConnectionClosed(flow, now: now)
                return
            }
            guard let frame, rest.count >= frame.length else { break }
            let end = rest.startIndex + frame.length
            handleMessage(rest[rest.startIndex..<end], flow: flow, now: now)
            rest = rest[end...]
        }
        if !rest.isEmpty { streamBuffers[flow] = Array(rest) }
    }

    /// One STUN message or ChannelData message from a client (a UDP datagram or a TCP frame). Relayed data
    /// takes the same path as ``relayFromClient(_:flow:now:into:)`` and is queued as an output.
    mutating func handleMessage(_ bytes: ArraySlice<UInt8>, flow: ClientFlow, now: Instant) {
        var writer = ByteWriter(capacity: TURNServer.mayBeData(bytes) ? bytes.count : 0)
        switch relayMessage(bytes, flow: flow, now: now, into: &writer) {
        case .transmit(let transmission):
            queue(transmission, payload: writer.bytes)
            return
        case .dropped:
            return
        case .notData:
            break
        }
        if bytes.first.map({ $0 >> 6 == 0b00 }) == true {
            handleSTUN(bytes, flow: flow, now: now)
        } else {
            counters.droppedMalformed &+= 1 // empty, malformed ChannelData, or first bits 10/11
        }
    }

    mutating func handleSTUN(_ bytes: ArraySlice<UInt8>, flow: ClientFlow, now: Instant) {
        guard let m = try? STUNMessage(parsing: bytes) else {
            if !handleClassicBinding(bytes, flow: flow) { counters.droppedMalformed &+= 1 }
            return
        }
        if m.hasFingerprint, !m.verifyFingerprint() {
            counters.droppedMalformed &+= 1
            return
        }
        switch (m.type.messageClass, m.type.method) {
        case (.request, .binding): handleBinding(m, flow: flow)
        case (.request, .allocate): handleAllocate(m, flow: flow, now: now)
        case (.request, .refresh): handleRefresh(m, flow: flow, now: now)
        case (.request, .createPermission): handleCreatePermission(m, flow: flow, now: now)
        case (.request, .channelBind): handleChannelBind(m, flow: flow, now: now)
        case (.request, _):
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: nil)
        default:
            // Binding indications are keepalives; responses and other indications are not for a server. (Send
            // indications never get here: `relayMessage` takes every well-formed one.)
            break
        }
    }
}

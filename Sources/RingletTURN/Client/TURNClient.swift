import RingletCore
import RingletSTUN

/// A TURN client (RFC 8656) as a sans-IO state machine, over UDP or TCP to the server.
///
/// It allocates a relayed address with long-term credentials (the 401 challenge, then USERNAME, REALM, NONCE
/// and MESSAGE-INTEGRITY, or MESSAGE-INTEGRITY-SHA256 when the server offers PASSWORD-ALGORITHMS; RFC 8489 §9.2),
/// retries on 438 Stale Nonce, refreshes the allocation before it expires, creates and refreshes permissions,
/// binds and refreshes channels, relays data through Send/Data indications or ChannelData, and deallocates
/// (Refresh with LIFETIME 0) on close.
///
/// ```
///            start                401 (realm, nonce)          success
///   idle ───────────▶ allocating ──────────▶ allocating ─────────────▶ allocated ◀─┐ Refresh
///                        │          (with credentials)                    │  │    │ (lifetime − 60 s)
///                        │ error / timeout                                │  └────┘
///                        ▼                                 error/timeout  │ close: Refresh LIFETIME 0
///                      failed ◀───────────────────────────────────────────┤
///                                                                         ▼
///                                          closed ◀──── response/timeout ── closing
/// ```
///
/// Drain contract: after every input (``start(now:)``, ``sendToPeer(_:to:now:)``, ``createPermission(for:now:)``,
/// ``bindChannel(to:now:)``, ``handleIncoming(_:now:)-(ArraySlice<UInt8>,_)``, ``handleTimeout(now:)``,
/// ``close(now:)``) the caller calls ``pollOutput()`` until it returns nil, transmitting
/// ``Output/transmit(_:)`` bytes to ``Configuration/server`` and acting on ``Output/event(_:)``; then it asks
/// ``pollTimeout()`` for the next deadline and calls ``handleTimeout(now:)`` once that instant has passed.
/// Over TCP the caller hands every received chunk of the stream to ``handleIncoming(_:now:)-(ArraySlice<UInt8>,_)``;
/// the client reassembles STUN and ChannelData frames itself (RFC 8656 §12.5).
///
/// Bytes from the network never trap: malformed input, unknown transactions and bad integrity are dropped and
/// counted in ``statistics``. The client holds a reference-type integrity key and a random source, so it is not
/// `Sendable`; one owner drives it.
public struct TURNClient {
    /// The configuration given at creation.
    public let configuration: Configuration
    /// Where the client is.
    public internal(set) var state: State = .idle
    /// The relayed transport address, once allocated (a relayed ICE candidate).
    public internal(set) var relayedAddress: TransportAddress?
    /// The server-reflexive address the server reported in XOR-MAPPED-ADDRESS (a server-reflexive ICE candidate).
    public internal(set) var mappedAddress: TransportAddress?
    /// When the allocation expires unless refreshed.
    public internal(set) var allocationExpiry: Instant?
    /// Counters of dropped input and retransmissions.
    public internal(set) var statistics = Statistics()

    var random: any RandomNumberGenerator
    // Long-term credential state (RFC 8489 §9.2).
    var realm: String?
    var nonce: String?
    var key: STUNIntegrityKey?
    var passwordAlgorithms: STUNAttribute?
    var passwordAlgorithm: STUNPasswordAlgorithm?
    var transactions: [STUNTransactionID: Transaction] = [:]
    var refreshAt: Instant?
    var permissions: [IPAddress: Permission] = [:]
    var channels: [TransportAddress: Channel] = [:]
    var peerByChannel: [UInt16: TransportAddress] = [:]
    var nextChannelNumber: UInt16 = 0x4000
    var outputs = FIFOQueue<Output>()
    var stream: [UInt8] = []
    var streamHead = 0

    /// Makes a client; nothing is sent until ``start(now:)``.
    /// - Parameters:
    ///   - configuration: server, transport, credentials and timers.
    ///   - random: the source of transaction IDs (RFC 8489 §6: use the system generator in production, a
    ///     seeded one in tests); the client keeps it.
    /// - Throws: `invalidArgument` if the configuration is invalid.
    public init(configuration: Configuration, random: any RandomNumberGenerator) throws(TURNError) {
        try configuration.validate()
        self.configuration = configuration
        self.random = random
    }

    /// Sends the first Allocate (without credentials, expecting the 401 challenge; RFC 8656 §7.1).
    /// Does nothing unless the client is idle.
    public mutating func start(now: Instant) {
        guard state == .idle else { return }
        state = .allocating
        send(.allocate, now: now, staleRetries: 0)
    }

    /// Sends `data` to `peer` through the relay (RFC 8656 §10–§12): as ChannelData when a channel is bound, as a
    /// Send indication when the peer's IP has a permission, otherwise it queues the data, creates the
    /// permission, and sends the data once the server confirms. With ``Configuration/autoBindChannels`` it
    /// also binds a channel to the peer.
    /// - Throws: `notAllocated` unless the client is allocated; `invalidArgument` for data over 65 535 bytes or a
    ///   peer of another address family than the relayed address.
    public mutating func sendToPeer(_ data: ArraySlice<UInt8>, to peer: TransportAddress, now: Instant)
        throws(TURNError)
    {
        try checkPeer(peer, field: "peer")
        guard data.count <= 0xFFFF - 64 else {
            throw TURNError(.invalidArgument, field: "data", "\(data.count) bytes do not fit a TURN message")
        }
        if let channel = channels[peer], channel.bound {
            transmitChannelData(channel.number, data)
            return
        }
        if let permission = permissions[peer.ip], permission.installed {
            transmitSendIndication(data, to: peer)
            if configuration.autoBindChannels { startChannelBind(peer, now: now) }
            return
        }
        enqueue(data, for: peer)
        requestPermission(peer.ip, peer: peer, now: now)
    }

    /// Sends `data` to `peer`; see ``sendToPeer(_:to:now:)-(ArraySlice<UInt8>,_,_)``.
    public mutating func sendToPeer(_ data: [UInt8], to peer: TransportAddress, now: Instant) throws(TURNError) {
        try sendToPeer(data[...], to: peer, now: now)
    }

    /// Creates a permission for `ip` (RFC 8656 §9) unless one exists or is being created; it is then refreshed
    /// every ``Configuration/permissionRefreshInterval`` while the allocation lives. ICE calls this for each
    /// remote candidate before checks arrive through the relay.
    /// - Throws: `notAllocated` unless allocated; `invalidArgument` for the wrong address family.
    public mutating func createPermission(for ip: IPAddress, now: Instant) throws(TURNError) {
        try checkPeer(TransportAddress(ip, 0), field: "ip")
        requestPermission(ip, now: now)
    }

    /// Creates a permission for `peer`'s IP, naming the whole address in XOR-PEER-ADDRESS (servers ignore the port
    /// for the permission itself, but may judge it: a relayed address on the server's own IP is allowed where the
    /// server's other ports are not); see ``createPermission(for:now:)-(IPAddress,_)``.
    /// - Throws: `notAllocated` unless allocated; `invalidArgument` for the wrong address family.
    public mutating func createPermission(for peer: TransportAddress, now: Instant) throws(TURNError) {
        try checkPeer(peer, field: "peer")
        requestPermission(peer.ip, peer: peer, now: now)
    }

    /// Binds a channel to `peer` (RFC 8656 §11) unless one is bound or being bound; it is refreshed every
    /// ``Configuration/channelRefreshInterval``.
    /// - Throws: `notAllocated` unless allocated; `invalidArgument` for the wrong address family, or when all
    ///   4096 channel numbers are in use.
    public mutating func bindChannel(to peer: TransportAddress, now: Instant) throws(TURNError) {
        try checkPeer(peer, field: "peer")
        guard channels[peer] != nil || peerByChannel.count < ChannelData.channelNumberRange.count else {
            throw TURNError(.invalidArgument, field: "channel", "all channel numbers are in use")
        }
        channels[peer]?.failed = false
        startChannelBind(peer, now: now)
    }

    /// Releases the allocation: a Refresh with LIFETIME 0 (RFC 8656 §8); ``Event/closed`` follows its answer or
    /// its timeout. Without an allocation the client closes at once.
    public mutating func close(now: Instant) {
        switch state {
        case .allocated:
            state = .closing
            transactions.removeAll()
            permissions.removeAll()
            channels.removeAll()
            peerByChannel.removeAll()
            refreshAt = nil
            send(.refresh(lifetime: 0), now: now, staleRetries: 0)
        case .idle, .allocating:
            finish(.closed)
        case .closing, .closed, .failed:
            break
        }
    }

    /// Takes bytes received from the server: one datagram over UDP, or the next chunk of the stream over TCP.
    /// Malformed or unexpected input is dropped and counted; never traps.
    public mutating func handleIncoming(_ bytes: ArraySlice<UInt8>, now: Instant) {
        guard state != .closed, state != .failed else { return }
        if configuration.transport == .tcp {
            handleStream(bytes, now: now)
        } else {
            handleMessage(bytes, now: now)
        }
    }

    /// Takes bytes received from the server; see ``handleIncoming(_:now:)-(ArraySlice<UInt8>,_)``.
    public mutating func handleIncoming(_ bytes: [UInt8], now: Instant) {
        handleIncoming(bytes[...], now: now)
    }

    /// Runs the timers due at `now`: retransmissions and timeouts of requests, and refreshes of the
    /// allocation, permissions and channels.
    public mutating func handleTimeout(now: Instant) {
        guard state != .closed, state != .failed else { return }
        runTransactionTimers(now: now)
        guard state == .allocated else { return }
        if let at = refreshAt, at <= now {
            refreshAt = nil
            send(.refresh(lifetime: configuration.requestedLifetime), now: now, staleRetries: 0)
        }
        for (ip, permission) in permissions where permission.installed && !permission.inFlight {
            if let at = permission.refreshAt, at <= now {
                permissions[ip]?.inFlight = true
                send(.createPermission(ip), now: now, staleRetries: 0)
            }
        }
        for (peer, channel) in channels where channel.bound && !channel.inFlight {
            if let at = channel.refreshAt, at <= now {
                channels[peer]?.inFlight = true
                send(.channelBind(channel.number, peer), now: now, staleRetries: 0)
            }
        }
    }

    /// The next output to act on, or nil when there is none (then ask ``pollTimeout()``).
    public mutating func pollOutput() -> Output? { outputs.popFirst() }

    /// The instant at which ``handleTimeout(now:)`` must next be called, or nil if no timer is running.
    public func pollTimeout() -> Instant? {
        guard state != .closed, state != .failed else { return nil }
        var earliest: Instant?
        func consider(_ instant: Instant?) {
            guard let instant else { return }
            if earliest.map({ instant < $0 }) ?? true { earliest = instant }
        }
        for t in transactions.values { consider(t.deadline) }
        consider(refreshAt)
        for p in permissions.values where !p.inFlight { consider(p.refreshAt) }
        for c in channels.values where !c.inFlight { consider(c.refreshAt) }
        return earliest
    }

    /// Whether a channel is bound to `peer` (data to it travels as ChannelData).
    public func channelNumber(for peer: TransportAddress) -> UInt16? {
        guard let c = channels[peer], c.bound else { return nil }
        return c.number
    }

    /// Whether the server has confirmed a permission for `ip`.
    public func hasPermission(for ip: IPAddress) -> Bool { permissions[ip]?.installed ?? false }

    // MARK: Internals shared by the extensions

    mutating func emit(_ event: Event) { outputs.append(.event(event)) }

    mutating func transmit(_ bytes: [UInt8]) { outputs.append(.transmit(bytes)) }

    /// Ends the client with a terminal event, dropping every timer.
    mutating func finish(_ event: Event) {
        if case .failed = event { state = .failed } else { state = .closed }
        transactions.removeAll()
        permissions.removeAll()
        channels.removeAll()
        peerByChannel.removeAll()
        refreshAt = nil
        stream.removeAll()
        streamHead = 0
        emit(event)
    }

    func checkPeer(_ peer: TransportAddress, field: String) throws(TURNError) {
        guard state == .allocated else {
            throw TURNError(.notAllocated, field: field, "the client is \(state), not allocated")
        }
        if let relayed = relayedAddress, relayed.ip.family != peer.ip.family {
            throw TURNError(.invalidArgument, field: field, "the peer's address family differs from the relayed address")
        }
    }
}

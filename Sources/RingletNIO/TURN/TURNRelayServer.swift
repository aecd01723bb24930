#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import RingletCore
public import RingletTURN

/// A STUN/TURN server on real sockets: the shell around the sans-IO ``TURNServer`` core (RFC 8489 Binding,
/// RFC 3489 classic Binding, RFC 8656 UDP relaying; docs/turn-server.md).
///
/// ## Sockets
/// - UDP and a TCP listener at the same address (`listen`; port 0 picks one port for both). When `listen` is
///   `0.0.0.0` (or `::`) the UDP side binds one socket per address of that family that is up at start (so each
///   answer leaves from the address the client reached), and the TCP listener binds the wildcard.
/// - Stream listeners (``StreamListener``): more TCP listeners whose connections first get other handlers —
///   TLS for TURN over TLS (RFC 8656 §3.1, `turns:`) — before the TURN framing.
/// - One UDP relay socket per allocation (``RelayAddressing``: the IP the client reached or a fixed one, an
///   optional port range, and an optional external IP put in XOR-RELAYED-ADDRESS behind 1:1 NAT), opened when
///   the core asks (``TURNServer/Output/openRelay(_:)``) and closed when it says (``TURNServer/Output/closeRelay(_:)``).
/// - One TCP connection per TURN-over-TCP (or TLS) client; the core frames the stream (RFC 8656 §12.5).
///   ``streamHandler()`` serves a connection accepted elsewhere (HTTPS and TURN over TLS on one port).
///
/// ## Threads
/// The core and every UDP socket live on ONE thread of their own (``EpollThread``: epoll, `recvmmsg`,
/// `sendmmsg`), so the data path takes no locks and allocates nothing per datagram: relayed messages are
/// written by the core straight into the send batch (``TURNServer/relayFromClient(_:flow:now:into:)``,
/// ``TURNServer/relayFromPeer(_:relay:peer:now:into:)``). TCP (listeners and connections) stays on SwiftNIO
/// loops of `group`; its bytes are handed to the core's thread as tasks, and the core's answers are written
/// back through the connection's handler (which hops onto the channel's loop).
///
/// ## The drain contract, batched
/// Every input goes to the core and its outputs are drained at once; UDP datagrams are collected and sent with
/// one `sendmmsg` per socket at the end of each epoll turn (or when 64 are waiting), and the next wait is
/// bounded by ``TURNServer/pollTimeout()`` (and the 10 s wall-clock re-sync).
///
/// ## Failure
/// Bad bytes are the core's business (it drops and counts them). A socket error — an ICMP error reported on
/// a relay (ECONNREFUSED, ENETUNREACH), a refused send — is counted and the socket stays open, so one broken
/// peer never ends an allocation; a datagram larger than ``maximumDatagramSize`` is dropped and counted.
public final class TURNRelayServer: @unchecked Sendable {
    // @unchecked Sendable: every `var` below is touched only on `thread` (the epoll thread; the TCP handlers and
    // the public entry points hand work over with `thread.execute`). Cross-thread members are Sendable `let`s
    // or locked (`final`).

    /// Where relay sockets bind and what address they are announced as (RFC 8656 §7.2 XOR-RELAYED-ADDRESS).
    public struct RelayAddressing: Sendable, Hashable {
        /// The IP relay sockets bind to; nil or unspecified: the IP the client reached the server at.
        public var bindIP: IPAddress?
        /// The public IP announced in XOR-RELAYED-ADDRESS instead of the bound one, for a host behind 1:1 NAT
        /// (the NAT keeps ports). Peers that send to it reach the relay through the NAT; a relay sending to
        /// another relay of this server by that IP is delivered locally (no hairpin needed). Default none.
        public var externalIP: IPAddress?
        /// The ports relay sockets are taken from (random within, retried); nil: the kernel's ephemeral ports.
        public var ports: ClosedRange<UInt16>?

        public init(bindIP: IPAddress? = nil, externalIP: IPAddress? = nil, ports: ClosedRange<UInt16>? = nil) {
            self.bindIP = bindIP
            self.externalIP = externalIP
            self.ports = ports
        }
    }

    /// A TCP listener whose connections get `prepare`'s handlers (e.g. TLS) before the TURN framing.
    public struct StreamListener: Sendable {
        /// Where to listen (port 0: any free port).
        public var address: TransportAddress
        /// Adds handlers to a new connection's pipeline, on its loop, before the TURN handler is added. Throwing
        /// closes the connection.
        public var prepare: @Sendable (any Channel) throws -> Void

        public init(address: TransportAddress, prepare: @escaping @Sendable (any Channel) throws -> Void) {
            self.address = address
            self.prepare = prepare
        }
    }

    /// Datagrams read per `recvmmsg` and held per `sendmmsg` batch.
    public static let vectorReadMessageCount = 32
    /// The largest datagram accepted (larger ones are dropped and counted as socket errors).
    static let maximumDatagramSize = 4096
    /// SO_RCVBUF / SO_SNDBUF of the listening UDP socket (the kernel may clamp it to net.core.*mem_max).
    static let listenerBufferSize = 4 << 20
    /// SO_RCVBUF / SO_SNDBUF of each relay socket.
    static let relayBufferSize = 1 << 20
    /// How often the wall clock is read again for REST expiries.
    static let clockSyncInterval: Duration = .seconds(10)
    /// Random ports tried in ``RelayAddressing/ports`` before an allocation fails (508).
    static let relayPortAttempts = 32

    /// The first UDP address clients send STUN/TURN to (the kernel's port when the configured one was 0).
    public var udpAddress: TransportAddress { udpListeners[0].address }
    /// Every UDP listening address (several when listening on `0.0.0.0` or `::`).
    public var udpAddresses: [TransportAddress] { udpListeners.map(\.address) }
    /// The TCP address clients connect to (same IP and port as ``udpAddress``; the wildcard when listening on
    /// every address).
    public var tcpAddress: TransportAddress { tcp.withLockedValue { $0.address } }
    /// The bound addresses of the stream listeners, in the order given.
    public var streamAddresses: [TransportAddress] { tcp.withLockedValue { $0.streams.map(\.address) } }
    let logger: Logger
    let relay: RelayAddressing
    let thread: EpollThread
    /// The TCP listeners and their addresses, set once at start and read at shutdown.
    let tcp: NIOLockedValueBox<(listener: (any Channel)?, address: TransportAddress,
                                streams: [(listener: any Channel, address: TransportAddress)])>
    /// The core's counters when the thread ended (``counters()`` after shutdown).
    let finalCounters = NIOLockedValueBox(TURNServer.Counters())
    /// The limits of TURN-over-TCP connections.
    let tcpLimits: TCPLimits
    /// Counts TCP connections in total and per IP.
    let tcpLimiter: ConnectionLimiter
    /// What the TCP side refused and closed.
    let tcpCounters = NIOLockedValueBox(TCPCounters())

    // Exclusivity is not checked at run time on the hot properties: they are touched only on the epoll thread,
    // and no access to one overlaps another access to the same property (no reentrancy into the core).
    @exclusivity(unchecked) var core: TURNServer
    /// The UDP listening sockets.
    let udpListeners: [(fd: Int32, address: TransportAddress)]
    /// Listening addresses by descriptor (index = fd).
    let listenerByFD: [TransportAddress?]
    var relayFDs: [TransportAddress: Int32] = [:]
    /// Relay addresses (as announced) by descriptor (index = fd).
    var relayByFD: [TransportAddress?] = []
    /// With an external IP: the announced relay address of each bound one, and back.
    var announcedByBound: [TransportAddress: TransportAddress] = [:]
    var boundByAnnounced: [TransportAddress: TransportAddress] = [:]
    var tcpConnections: [TURNServer.ClientFlow: ClientTCPHandler] = [:]
    let receiveBatch = DatagramReceiveBatch(count: vectorReadMessageCount, slotSize: maximumDatagramSize)
    let sendBatch = DatagramSendBatch(capacity: 2 * vectorReadMessageCount, arenaLimit: 64 << 10)
    var nextClockSync: Instant
    var isShutDown = false
    /// Socket errors seen (ICMP errors on relays, refused sends, oversized datagrams); for logs and tests.
    var socketErrors = 0
    /// Datagrams dropped because a socket's send buffer was full.
    var droppedSends = 0
    /// Where relay ports are drawn from (``RelayAddressing/ports``); epoll thread only.
    var portRandom = SystemRandomNumberGenerator()

    init(core: TURNServer, udpListeners: [(fd: Int32, address: TransportAddress)], relay: RelayAddressing,
         thread: EpollThread, logger: Logger, tcpLimits: TCPLimits)
    {
        self.tcpLimits = tcpLimits
        tcpLimiter = ConnectionLimiter(maximumTotal: tcpLimits.maxConnections, maximumPerIP: tcpLimits.maxConnectionsPerIP)
        self.core = core
        self.udpListeners = udpListeners
        var byFD: [TransportAddress?] = []
        for (fd, address) in udpListeners {
            if byFD.count <= Int(fd) { byFD += Array(repeating: nil, count: Int(fd) + 1 - byFD.count) }
            byFD[Int(fd)] = address
        }
        listenerByFD = byFD
        self.relay = relay
        self.thread = thread
        self.logger = logger
        tcp = NIOLockedValueBox((nil, udpListeners[0].address, []))
        nextClockSync = Self.now() + Self.clockSyncInterval
    }

    /// Binds the listening sockets and starts serving, relays bound to `relayIP` (see
    /// ``start(configuration:listen:relay:streamListeners:group:logger:tcpLimits:)``).
    public static func start(configuration: TURNServer.Configuration, listen: TransportAddress, relayIP: IPAddress,
                             group: any EventLoopGroup, logger: Logger, tcpLimits: TCPLimits = TCPLimits()) async throws
        -> TURNRelayServer
    {
        try await start(configuration: configuration, listen: listen, relay: RelayAddressing(bindIP: relayIP),
                        group: group, logger: logger, tcpLimits: tcpLimits)
    }

    /// Binds the listening sockets and starts serving.
    ///
    /// - Parameters:
    ///   - configuration: the core's configuration (secret, realm, quotas, peer policy); validated here.
    ///   - listen: where to listen on UDP and TCP; port 0 picks a free port (the same for both); `0.0.0.0` or
    ///     `::` listens on every address of that family (one UDP socket per address that is up now).
    ///   - relay: where relay sockets bind and the address they are announced as.
    ///   - streamListeners: more TCP listeners (TURN over TLS), each with its own handlers.
    ///   - group: one loop of it serves TCP clients.
    ///   - logger: start/stop at info, socket errors at debug; peer addresses are never logged.
    ///   - tcpLimits: the limits of TURN-over-TCP connections (docs/security.md).
    /// - Throws: ``TURNError`` for a bad configuration; ``NIOShellError`` or NIO errors if a socket cannot be
    ///   bound or the thread cannot start.
    public static func start(configuration: TURNServer.Configuration, listen: TransportAddress,
                             relay: RelayAddressing, streamListeners: [StreamListener] = [],
                             group: any EventLoopGroup, logger: Logger, tcpLimits: TCPLimits = TCPLimits()) async throws
        -> TURNRelayServer
    {
        try configuration.validate()
        let ips = listen.ip.isUnspecified
            ? InterfaceAddresses.current().filter { $0.family == listen.ip.family } : [listen.ip]
        guard !ips.isEmpty else { throw NIOShellError(.socketFailed, "no \(listen.ip.family) address is up") }
        // With port 0 the UDP port is the kernel's; TCP must get the same one, which may be taken: retry.
        var lastError: (any Error)?
        for _ in 0..<(listen.port == 0 ? 8 : 1) {
            var udp: [(fd: Int32, address: TransportAddress)] = []
            do {
                for ip in ips {
                    let bound = try UDPSocket.bind(TransportAddress(ip, udp.first?.address.port ?? listen.port),
                                                   bufferSize: listenerBufferSize)
                    udp.append((bound.fd, bound.local))
                }
            } catch {
                for socket in udp { close(socket.fd) }
                lastError = error
                if listen.port == 0 { continue }
                throw error
            }
            // Peers may never be these listeners themselves (a relay must not reach the server's own service).
            var configuration = configuration
            for socket in udp { configuration.deniedPeerAddresses.insert(socket.address) }
            for stream in streamListeners where stream.address.port != 0 {
                for ip in stream.address.ip.isUnspecified ? ips : [stream.address.ip] {
                    configuration.deniedPeerAddresses.insert(TransportAddress(ip, stream.address.port))
                }
            }
            let core: TURNServer
            do {
                core = try TURNServer(configuration: configuration, now: now(), unixTime: unixTimeNow(),
                                      random: SystemRandomNumberGenerator())
            } catch {
                for socket in udp { close(socket.fd) }
                throw error
            }
            let thread: EpollThread
            do {
                thread = try EpollThread()
            } catch {
                for socket in udp { close(socket.fd) }
                throw error
            }
            let server = TURNRelayServer(core: core, udpListeners: udp, relay: relay, thread: thread, logger: logger,
                                         tcpLimits: tcpLimits)
            do {
                let port = udp[0].address.port
                let listener = try await bindTCP(TransportAddress(listen.ip, port), loop: group.next(), server: server)
                let address = listener.localAddress.flatMap(TransportAddress.init) ?? TransportAddress(listen.ip, port)
                server.tcp.withLockedValue { $0.listener = listener; $0.address = address }
            } catch {
                lastError = error
                server.abandon()
                continue
            }
            do {
                for stream in streamListeners {
                    let listener = try await bindTCP(stream.address, loop: group.next(), server: server,
                                                     prepare: stream.prepare)
                    let address = listener.localAddress.flatMap(TransportAddress.init) ?? stream.address
                    server.tcp.withLockedValue { $0.streams.append((listener, address)) }
                }
                for socket in udp {
                    guard thread.watch(socket.fd) else { throw NIOShellError(.socketFailed, "epoll_ctl: errno \(errno)") }
                }
                try thread.start(name: "TURN-UDP", handler: server)
            } catch {
                server.abandon()
                throw error
            }
            logger.info("TURN server listening", metadata: [
                "udp": "\(udp.count == 1 ? "\(udp[0].address.port)" : "\(udp.count) addresses, port \(udp[0].address.port)")",
                "tcp": "\(server.tcpAddress.port)",
                "streams": "\(server.streamAddresses.map { "\($0.port)" }.joined(separator: ","))",
            ])
            return server
        }
        throw lastError ?? NIOShellError(.addressInUse, "no port free for both UDP and TCP")
    }

    /// Closes what `start` opened when the thread never ran.
    private func abandon() {
        isShutDown = true
        for socket in udpListeners { close(socket.fd) }
        thread.discard()
        let (listener, streams) = tcp.withLockedValue { ($0.listener, $0.streams) }
        listener?.close(promise: nil)
        for stream in streams { stream.listener.close(promise: nil) }
    }

    /// A snapshot of the core's counters.
    public func counters() async -> TURNServer.Counters {
        await withCheckedContinuation { continuation in
            let queued = thread.execute { continuation.resume(returning: self.core.counters) }
            if !queued { continuation.resume(returning: finalCounters.withLockedValue { $0 }) }
        }
    }

    /// Closes every socket (listeners, TCP connections, relays) and ends the thread. Idempotent. Does not shut
    /// down the event loop group (the caller owns it).
    public func shutdown() async {
        let closes: [EventLoopFuture<Void>] = await withCheckedContinuation { continuation in
            let queued = thread.execute { continuation.resume(returning: self.closeEverything()) }
            if !queued { continuation.resume(returning: []) }
        }
        if let first = closes.first {
            try? await EventLoopFuture.andAllComplete(closes, on: first.eventLoop).get()
        }
        logger.info("TURN server stopped")
    }

    /// On the thread: closes every socket, asks the thread to end, and returns the TCP closes to wait for.
    private func closeEverything() -> [EventLoopFuture<Void>] {
        guard !isShutDown else { return [] }
        flushSends()
        isShutDown = true
        for fd in relayFDs.values {
            thread.unwatch(fd)
            close(fd)
        }
        relayFDs.removeAll()
        relayByFD.removeAll()
        announcedByBound.removeAll()
        boundByAnnounced.removeAll()
        for socket in udpListeners {
            thread.unwatch(socket.fd)
            close(socket.fd)
        }
        var channels: [any Channel] = tcpConnections.values.compactMap(\.channel)
        tcpConnections.removeAll()
        let (listener, streams) = tcp.withLockedValue { ($0.listener, $0.streams) }
        if let listener { channels.append(listener) }
        channels += streams.map(\.listener)
        finalCounters.withLockedValue { $0 = core.counters }
        thread.stop()
        return channels.map { $0.close().recover { _ in } }
    }

    // MARK: Clock

    /// Monotonic nanoseconds (CLOCK_MONOTONIC, the clock NIO schedules with).
    static func now() -> Instant {
        Instant(nanoseconds: Int64(clamping: NIODeadline.now().uptimeNanoseconds))
    }

    /// Wall-clock Unix seconds (REST usernames carry a Unix expiry).
    static func unixTimeNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    func log(_ event: TURNServer.Event) {
        switch event {
        case .allocationCreated:
            logger.debug("TURN allocation created")
        case .allocationDeleted(let flow, _, let reason):
            logger.debug("TURN allocation deleted", metadata: ["reason": "\(reason)"])
            tcpAllocationEnded(flow)
        }
    }

    func countSocketError(_ context: StaticString, _ error: Int32) {
        socketErrors &+= 1
        logger.debug("TURN socket error", metadata: ["where": "\(context)", "errno": "\(error)"])
    }
}

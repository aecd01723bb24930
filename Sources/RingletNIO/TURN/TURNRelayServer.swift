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
/// - One UDP socket and one TCP listener at the same address (`listen`; port 0 picks one port for both).
/// - One UDP relay socket per allocation, bound to `relayIP` with an ephemeral port, opened when the core asks
///   (``TURNServer/Output/openRelay(_:)``) and closed when it says (``TURNServer/Output/closeRelay(_:)``).
/// - One TCP connection per TURN-over-TCP client; the core frames the stream (RFC 8656 §12.5).
///
/// ## Threads
/// The core and every UDP socket live on ONE thread of their own (``EpollThread``: epoll, `recvmmsg`,
/// `sendmmsg`), so the data path takes no locks and allocates nothing per datagram: relayed messages are
/// written by the core straight into the send batch (``TURNServer/relayFromClient(_:flow:now:into:)``,
/// ``TURNServer/relayFromPeer(_:relay:peer:now:into:)``). TCP (listener and connections) stays on one loop of
/// `group` (SwiftNIO); its bytes are handed to the core's thread as tasks, and the core's answers are written
/// back with `writeAndFlush` (which hops onto the channel's loop).
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

    /// The UDP address clients send STUN/TURN to (the kernel's port when the configured one was 0).
    public let udpAddress: TransportAddress
    /// The TCP address clients connect to (same IP and port as ``udpAddress``).
    public var tcpAddress: TransportAddress { tcp.withLockedValue { $0.address } }
    let logger: Logger
    let relayIP: IPAddress
    let thread: EpollThread
    /// The TCP listener and its address, set once at start and read at shutdown.
    let tcp: NIOLockedValueBox<(listener: (any Channel)?, address: TransportAddress)>
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
    let udpFD: Int32
    var relayFDs: [TransportAddress: Int32] = [:]
    /// Relay addresses by descriptor (index = fd).
    var relayByFD: [TransportAddress?] = []
    var tcpConnections: [TURNServer.ClientFlow: any Channel] = [:]
    let receiveBatch = DatagramReceiveBatch(count: vectorReadMessageCount, slotSize: maximumDatagramSize)
    let sendBatch = DatagramSendBatch(capacity: 2 * vectorReadMessageCount, arenaLimit: 64 << 10)
    var nextClockSync: Instant
    var isShutDown = false
    /// Socket errors seen (ICMP errors on relays, refused sends, oversized datagrams); for logs and tests.
    var socketErrors = 0
    /// Datagrams dropped because a socket's send buffer was full.
    var droppedSends = 0

    init(core: TURNServer, udpFD: Int32, udpAddress: TransportAddress, relayIP: IPAddress, thread: EpollThread,
         logger: Logger, tcpLimits: TCPLimits)
    {
        self.tcpLimits = tcpLimits
        tcpLimiter = ConnectionLimiter(maximumTotal: tcpLimits.maxConnections, maximumPerIP: tcpLimits.maxConnectionsPerIP)
        self.core = core
        self.udpFD = udpFD
        self.udpAddress = udpAddress
        self.relayIP = relayIP
        self.thread = thread
        self.logger = logger
        tcp = NIOLockedValueBox((nil, udpAddress))
        nextClockSync = Self.now() + Self.clockSyncInterval
    }

    /// Binds the listening sockets and starts serving.
    ///
    /// - Parameters:
    ///   - configuration: the core's configuration (secret, realm, quotas, peer policy); validated here.
    ///   - listen: where to listen on UDP and TCP; port 0 picks a free port (the same for both).
    ///   - relayIP: the IP relay sockets bind to (the relayed transport address clients are given).
    ///   - group: one loop of it serves TCP clients.
    ///   - logger: start/stop at info, socket errors at debug; peer addresses are never logged.
    ///   - tcpLimits: the limits of TURN-over-TCP connections (docs/security.md).
    /// - Throws: ``TURNError`` for a bad configuration; ``NIOShellError`` or NIO errors if a socket cannot be
    ///   bound or the thread cannot start.
    public static func start(configuration: TURNServer.Configuration, listen: TransportAddress, relayIP: IPAddress,
                             group: any EventLoopGroup, logger: Logger, tcpLimits: TCPLimits = TCPLimits()) async throws
        -> TURNRelayServer
    {
        try configuration.validate()
        // With port 0 the UDP port is the kernel's; TCP must get the same one, which may be taken: retry.
        var lastError: (any Error)?
        for _ in 0..<(listen.port == 0 ? 8 : 1) {
            let udp = try UDPSocket.bind(listen, bufferSize: listenerBufferSize)
            // Peers may never be this listener itself (a relay must not reach the server's own service).
            var configuration = configuration
            if !listen.ip.isUnspecified { configuration.deniedPeerAddresses.insert(TransportAddress(listen.ip, udp.local.port)) }
            let core: TURNServer
            do {
                core = try TURNServer(configuration: configuration, now: now(), unixTime: unixTimeNow(),
                                      random: SystemRandomNumberGenerator())
            } catch {
                close(udp.fd)
                throw error
            }
            let thread: EpollThread
            do {
                thread = try EpollThread()
            } catch {
                close(udp.fd)
                throw error
            }
            let server = TURNRelayServer(core: core, udpFD: udp.fd, udpAddress: udp.local, relayIP: relayIP,
                                         thread: thread, logger: logger, tcpLimits: tcpLimits)
            do {
                let listener = try await bindTCP(TransportAddress(listen.ip, udp.local.port), loop: group.next(),
                                                 server: server)
                let address = listener.localAddress.flatMap(TransportAddress.init)
                    ?? TransportAddress(listen.ip, udp.local.port)
                server.tcp.withLockedValue { $0 = (listener, address) }
            } catch {
                lastError = error
                server.abandon()
                continue
            }
            do {
                guard thread.watch(udp.fd) else { throw NIOShellError(.socketFailed, "epoll_ctl: errno \(errno)") }
                try thread.start(name: "TURN-UDP", handler: server)
            } catch {
                server.abandon()
                throw error
            }
            logger.info("TURN server listening",
                        metadata: ["udp": "\(udp.local.port)", "tcp": "\(server.tcpAddress.port)"])
            return server
        }
        throw lastError ?? NIOShellError(.addressInUse, "no port free for both UDP and TCP")
    }

    /// Closes what `start` opened when the thread never ran.
    private func abandon() {
        isShutDown = true
        close(udpFD)
        thread.discard()
        tcp.withLockedValue { $0.listener }?.close(promise: nil)
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
        thread.unwatch(udpFD)
        close(udpFD)
        var channels: [any Channel] = Array(tcpConnections.values)
        tcpConnections.removeAll()
        if let listener = tcp.withLockedValue({ $0.listener }) { channels.append(listener) }
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

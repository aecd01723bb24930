#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
public import NIOCore
import NIOPosix
public import RingletCore
public import RingletTURN

/// A STUN/TURN server on real sockets: the SwiftNIO shell around the sans-IO ``TURNServer`` core
/// (RFC 8489 Binding, RFC 3489 classic Binding, RFC 8656 UDP relaying; docs/turn-server.md).
///
/// ## Sockets
/// - One UDP socket and one TCP listener at the same address (`listen`; port 0 picks one port for both).
/// - One UDP relay socket per allocation, bound to `relayIP` with an ephemeral port, opened when the core asks
///   (``TURNServer/Output/openRelay(_:)``) and closed when it says (``TURNServer/Output/closeRelay(_:)``).
/// - One TCP connection per TURN-over-TCP client; the core frames the stream (RFC 8656 §12.5).
///
/// ## Concurrency
/// The core, every socket and the timer live on ONE event loop, chosen from `group` at start. All mutable
/// state below is read and written only on that loop (handlers run there; public entry points hop onto it), so
/// the hot path takes no locks.
///
/// ## The drain contract, batched
/// Every input (a datagram, TCP bytes, a relay opened, a timer) goes to the core, whose outputs are drained at
/// once and written without a flush; the sockets written to are flushed once per read burst (NIO's
/// `channelReadComplete`, after up to ``vectorReadMessageCount`` datagrams from one `recvmmsg`), and the timer
/// is re-armed from ``TURNServer/pollTimeout()`` then.
///
/// ## Failure
/// Bad bytes are the core's business (it drops and counts them). A socket error is logged at debug and counted;
/// a relay socket that NIO closes on an error is bound again at the same address once; if that fails, that
/// allocation relays nothing more until it expires — the other allocations are untouched.
public final class TURNRelayServer: @unchecked Sendable {
    // @unchecked Sendable: every `var` below is touched only on `eventLoop` (handlers run on it; `counters()`,
    // `shutdown()` and `start` hop onto it with submit/flatSubmit). Cross-thread members are Sendable `let`s.

    /// Datagrams read per `recvmmsg` (`ChannelOptions.datagramVectorReadMessageCount`).
    public static let vectorReadMessageCount = 32
    /// The largest datagram accepted (larger ones are truncated by the kernel, then dropped by the core).
    static let maximumDatagramSize = 2048
    /// SO_RCVBUF / SO_SNDBUF of the listening sockets (the kernel may clamp it to net.core.*mem_max).
    static let listenerBufferSize = 4 << 20
    /// SO_RCVBUF / SO_SNDBUF of each relay socket.
    static let relayBufferSize = 1 << 20

    /// The UDP address clients send STUN/TURN to (the kernel's port when the configured one was 0).
    public let udpAddress: TransportAddress
    /// The TCP address clients connect to (same IP and port as ``udpAddress``).
    public let tcpAddress: TransportAddress
    /// The loop everything runs on.
    let eventLoop: any EventLoop
    let logger: Logger
    let relayIP: IPAddress

    var core: TURNServer
    var udpChannel: (any Channel)?
    var tcpListener: (any Channel)?
    var tcpConnections: [TURNServer.ClientFlow: any Channel] = [:]
    var relays: [TransportAddress: any Channel] = [:]
    /// Relay addresses being bound again after an error (see `relayClosed`).
    var rebinding: Set<TransportAddress> = []
    /// Channels written to since the last flush.
    var pendingFlush: [any Channel] = []
    /// Reused input buffer: received bytes are copied here, so a datagram costs no array allocation.
    var scratch: [UInt8] = []
    /// NIO socket addresses of recent destinations (building one allocates).
    var socketAddresses: [TransportAddress: SocketAddress] = [:]
    var timer: Scheduled<Void>?
    var timerDeadline: Instant?
    var clockSync: RepeatedTask?
    /// The handlers' way back to this server; cleared at shutdown (breaks the handler → server cycle).
    var reference: ServerReference?
    var isShutDown = false
    /// Socket errors seen (all sockets); for logs and tests.
    var socketErrors = 0

    init(core: TURNServer, udpAddress: TransportAddress, tcpAddress: TransportAddress, relayIP: IPAddress,
         eventLoop: any EventLoop, logger: Logger)
    {
        self.core = core
        self.udpAddress = udpAddress
        self.tcpAddress = tcpAddress
        self.relayIP = relayIP
        self.eventLoop = eventLoop
        self.logger = logger
        scratch.reserveCapacity(Self.maximumDatagramSize)
    }

    /// Binds the listening sockets and starts serving.
    ///
    /// - Parameters:
    ///   - configuration: the core's configuration (secret, realm, quotas, peer policy); validated here.
    ///   - listen: where to listen on UDP and TCP; port 0 picks a free port (the same for both).
    ///   - relayIP: the IP relay sockets bind to (the relayed transport address clients are given).
    ///   - group: one loop of it is used for everything.
    ///   - logger: start/stop at info, socket errors at debug; peer addresses are never logged.
    /// - Throws: ``TURNError`` for a bad configuration; NIO errors if a socket cannot be bound.
    public static func start(configuration: TURNServer.Configuration, listen: TransportAddress, relayIP: IPAddress,
                             group: any EventLoopGroup, logger: Logger) async throws -> TURNRelayServer
    {
        let loop = group.next()
        let core = try TURNServer(configuration: configuration, now: now(), unixTime: unixTimeNow(),
                                  random: SystemRandomNumberGenerator())
        // With port 0 the UDP port is the kernel's; TCP must get the same one, which may be taken: retry.
        var lastError: (any Error)?
        for _ in 0..<(listen.port == 0 ? 8 : 1) {
            let reference = ServerReference()
            let udp = try await bindUDP(listen, loop: loop, bufferSize: listenerBufferSize) { ClientUDPHandler(reference) }
            guard let udpLocal = udp.localAddress.flatMap(TransportAddress.init) else {
                try? await udp.close()
                throw NIOShellError(.unsupportedAddress, "bound UDP socket has no IP address")
            }
            let tcp: any Channel
            do {
                tcp = try await bindTCP(TransportAddress(listen.ip, udpLocal.port), loop: loop, reference: reference)
            } catch {
                lastError = error
                try? await udp.close()
                continue
            }
            let tcpLocal = tcp.localAddress.flatMap(TransportAddress.init) ?? TransportAddress(listen.ip, udpLocal.port)
            let server = TURNRelayServer(core: core, udpAddress: udpLocal, tcpAddress: tcpLocal, relayIP: relayIP,
                                         eventLoop: loop, logger: logger)
            try await loop.submit {
                server.udpChannel = udp
                server.tcpListener = tcp
                server.reference = reference
                reference.server = server
                server.clockSync = loop.scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { _ in
                    server.core.synchronizeWallClock(unixTime: unixTimeNow(), now: now())
                }
            }.get()
            logger.info("TURN server listening", metadata: ["udp": "\(udpLocal.port)", "tcp": "\(tcpLocal.port)"])
            return server
        }
        throw lastError ?? NIOShellError(.addressInUse, "no port free for both UDP and TCP")
    }

    /// A snapshot of the core's counters.
    public func counters() async -> TURNServer.Counters {
        (try? await eventLoop.submit { self.core.counters }.get()) ?? TURNServer.Counters()
    }

    /// Closes every socket (listeners, TCP connections, relays) and stops the timers. Idempotent. Does not shut
    /// down the event loop group (the caller owns it).
    public func shutdown() async {
        let closing = eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            guard !self.isShutDown else { return self.eventLoop.makeSucceededVoidFuture() }
            self.isShutDown = true
            self.reference?.server = nil
            self.timer?.cancel()
            self.timer = nil
            self.clockSync?.cancel()
            self.clockSync = nil
            var channels: [any Channel] = [self.udpChannel, self.tcpListener].compactMap { $0 }
            channels += self.tcpConnections.values
            channels += self.relays.values
            self.tcpConnections.removeAll()
            self.relays.removeAll()
            let closes = channels.map { $0.close().recover { _ in } }
            return EventLoopFuture.andAllComplete(closes, on: self.eventLoop)
        }
        try? await closing.get()
        logger.info("TURN server stopped")
    }

    // MARK: Clock

    /// Monotonic nanoseconds, the clock NIO schedules with (so deadlines convert without drift).
    static func now() -> Instant {
        Instant(nanoseconds: Int64(clamping: NIODeadline.now().uptimeNanoseconds))
    }

    /// Wall-clock Unix seconds (REST usernames carry a Unix expiry).
    static func unixTimeNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    // MARK: Driving (on the loop)

    /// Copies `buffer`'s readable bytes into ``scratch`` and runs `body` with them.
    @inline(__always)
    func withScratch(_ buffer: ByteBuffer, _ body: (inout TURNServer, ArraySlice<UInt8>) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        buffer.withUnsafeReadableBytes { scratch.append(contentsOf: $0) }
        body(&core, scratch[...])
    }

    /// Carries out every output of the core. Writes are not flushed here (see ``finishBurst()``).
    func drain() {
        while let output = core.pollOutput() {
            switch output {
            case .toClient(let flow, let payload):
                sendToClient(flow, payload)
            case .toPeer(let datagram):
                sendFromRelay(datagram)
            case .openRelay(let request):
                openRelay(request)
            case .closeRelay(let address):
                rebinding.remove(address)
                relays.removeValue(forKey: address)?.close(promise: nil)
            case .closeClientConnection(let flow):
                tcpConnections.removeValue(forKey: flow)?.close(promise: nil)
            case .event(let event):
                log(event)
            }
        }
    }

    /// Ends a read burst (or a single input outside one): flushes written sockets and re-arms the timer.
    func finishBurst() {
        drain()
        if !pendingFlush.isEmpty {
            for channel in pendingFlush { channel.flush() }
            pendingFlush.removeAll(keepingCapacity: true)
        }
        armTimer()
    }

    func armTimer() {
        guard !isShutDown else { return }
        let deadline = core.pollTimeout()
        guard deadline != timerDeadline || (deadline != nil && timer == nil) else { return }
        timer?.cancel()
        timer = nil
        timerDeadline = deadline
        guard let deadline else { return }
        timer = eventLoop.scheduleTask(deadline: .uptimeNanoseconds(UInt64(clamping: max(0, deadline.nanoseconds)))) {
            self.timer = nil
            self.timerDeadline = nil
            self.core.handleTimeout(now: Self.now())
            self.finishBurst()
        }
    }

    @inline(__always)
    func markForFlush(_ channel: any Channel) {
        // A burst writes to few channels (usually one or two): a linear scan beats hashing.
        for c in pendingFlush where c === channel { return }
        pendingFlush.append(channel)
    }

    /// The NIO address for `address`, cached (bounded) because building one allocates.
    @inline(__always)
    func socketAddress(_ address: TransportAddress) -> SocketAddress {
        if let cached = socketAddresses[address] { return cached }
        if socketAddresses.count >= 4096 { socketAddresses.removeAll(keepingCapacity: true) }
        let made = address.socketAddress
        socketAddresses[address] = made
        return made
    }

    func sendToClient(_ flow: TURNServer.ClientFlow, _ payload: [UInt8]) {
        let channel: (any Channel)?
        switch flow.transport {
        case .udp: channel = udpChannel
        case .tcp: channel = tcpConnections[flow]
        }
        guard let channel else { return }
        var buffer = channel.allocator.buffer(capacity: payload.count)
        buffer.writeBytes(payload)
        if flow.transport == .udp {
            channel.write(AddressedEnvelope(remoteAddress: socketAddress(flow.client), data: buffer), promise: nil)
        } else {
            channel.write(buffer, promise: nil)
        }
        markForFlush(channel)
    }

    func sendFromRelay(_ datagram: Datagram) {
        guard let channel = relays[datagram.source] else { return }
        var buffer = channel.allocator.buffer(capacity: datagram.payload.count)
        buffer.writeBytes(datagram.payload)
        channel.write(AddressedEnvelope(remoteAddress: socketAddress(datagram.destination), data: buffer), promise: nil)
        markForFlush(channel)
    }

    func log(_ event: TURNServer.Event) {
        switch event {
        case .allocationCreated:
            logger.debug("TURN allocation created")
        case .allocationDeleted(_, _, let reason):
            logger.debug("TURN allocation deleted", metadata: ["reason": "\(reason)"])
        }
    }

    func countSocketError(_ context: String, _ error: any Error) {
        socketErrors &+= 1
        logger.debug("TURN socket error", metadata: ["where": "\(context)", "error": "\(error)"])
    }
}

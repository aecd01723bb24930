import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
import NIOTLS
import RingletCore
import RingletTURN

// TURN over TCP and TLS (RFC 8656 §3.1): the listeners and connections are SwiftNIO channels on loops of the
// group; their bytes go to the core on the epoll thread, and the core's answers come back through the
// connection's handler.
//
// Limits (docs/security.md), each in ``TURNRelayServer/TCPLimits``: connections in total and per client IP
// (refused at accept), a few seconds to get an allocation (else closed), bytes handed to the epoll thread but
// not yet handled (reading pauses past it), and writes only while the connection is writable (a client that
// stops reading loses what it would have been sent, and is closed when it stays so). They hold for every
// stream the server serves: its TCP listener, its TLS listeners (``StreamListener``) and connections handed
// over by another listener (``streamHandler(afterTLSHandshake:)``, TURN over TLS on the HTTPS port).
extension TURNRelayServer {
    /// The limits of TURN-over-TCP connections. Designed so that a TLS listener can reuse them: they count
    /// connections and bytes, not what is inside.
    public struct TCPLimits: Sendable {
        /// Connections at once; more are closed at accept. Default 1024.
        public var maxConnections = 1024
        /// Connections from one IP address. Default 64.
        public var maxConnectionsPerIP = 64
        /// How long a connection may stay without an allocation (before its first, after its last; over TLS,
        /// counted from the end of the handshake, which has its own deadline). Default 5 s.
        public var idleWithoutAllocation: TimeAmount = .seconds(5)
        /// How long a connection may stay unwritable (its client does not read) before it is closed. Default 15 s.
        public var writeStall: TimeAmount = .seconds(15)
        /// Bytes of one connection handed to the epoll thread and not yet handled; reading pauses past it.
        /// Default 64 KiB.
        public var maxBytesInFlight = 64 << 10

        /// The defaults.
        public init() {}
    }

    /// What the TCP side refused or closed since start.
    public struct TCPCounters: Sendable, Hashable {
        /// Connections refused at accept: over the total cap, over the per-IP cap.
        public var refusedTotal: UInt64 = 0
        public var refusedPerIP: UInt64 = 0
        /// Connections closed for having no allocation.
        public var closedIdle: UInt64 = 0
        /// Connections closed for not reading (unwritable for too long).
        public var closedStalled: UInt64 = 0
        /// Writes dropped because the connection was not writable.
        public var droppedWrites: UInt64 = 0
        /// Connections open now.
        public var open = 0

        /// All zero.
        public init() {}
    }

    /// A TCP listener; each accepted connection gets `prepare`'s handlers (TLS), then a ``ClientTCPHandler``
    /// (whose allocation deadline then starts when the TLS handshake is done).
    static func bindTCP(_ address: TransportAddress, loop: any EventLoop, server: TURNRelayServer,
                        prepare: (@Sendable (any Channel) throws -> Void)? = nil) async throws -> any Channel
    {
        try await ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try prepare?(channel)
                    try channel.pipeline.syncOperations.addHandler(ClientTCPHandler(server, awaitsHandshake: prepare != nil))
                }
            }
            .bind(to: address.socketAddress).get()
    }

    /// A handler that serves the connection it is added to as a TURN-over-TCP client (RFC 8656 §3.1): every byte
    /// that reaches it is TURN framing, and it writes the core's answers from its own place in the pipeline (so
    /// handlers after it — an HTTP server's, when one port serves HTTPS and TURN over TLS — never see them). Add
    /// it to an active or inactive channel; it consumes what it reads. The connection is held to ``TCPLimits``
    /// like any other (admitted when the handler is added to an active channel); with `afterTLSHandshake` its
    /// allocation deadline waits for the TLS handshake to complete (a handler before it fires `TLSUserEvent`).
    public func streamHandler(afterTLSHandshake: Bool = false) -> any ChannelHandler {
        ClientTCPHandler(self, awaitsHandshake: afterTLSHandshake)
    }

    /// On the epoll thread: writes `bytes` to the client's TCP connection, unless the connection is not writable
    /// (its client is not reading): then the bytes are dropped and counted, as a full UDP socket would drop them,
    /// so NIO's buffer never grows for it.
    func writeTCP(_ flow: TURNServer.ClientFlow, _ bytes: ArraySlice<UInt8>) {
        guard let handler = tcpConnections[flow], let channel = handler.channel else { return }
        guard channel.isWritable else {
            tcpCounters.withLockedValue { $0.droppedWrites &+= 1 }
            return
        }
        handler.write(bytes)
    }

    /// On the epoll thread: a connection opened; it has ``TCPLimits/idleWithoutAllocation`` to get one (from now,
    /// or over TLS from the end of the handshake: ``tcpHandshakeCompleted(_:_:)``).
    func tcpOpened(_ flow: TURNServer.ClientFlow, _ handler: ClientTCPHandler, startDeadline: Bool) {
        guard !isShutDown else {
            handler.channel?.close(promise: nil)
            return
        }
        tcpConnections[flow] = handler
        if startDeadline { scheduleAllocationCheck(flow, handler) }
    }

    /// On the epoll thread: the TLS handshake of `flow`'s connection completed; its allocation deadline starts.
    func tcpHandshakeCompleted(_ flow: TURNServer.ClientFlow, _ handler: ClientTCPHandler) {
        guard !isShutDown, let current = tcpConnections[flow], current === handler else { return }
        scheduleAllocationCheck(flow, handler)
    }

    /// On the epoll thread: stream bytes from a connection; the connection's handler is told when they are
    /// handled (it pauses reading while too many wait).
    func tcpReceived(_ bytes: [UInt8], flow: TURNServer.ClientFlow, handler: ClientTCPHandler, loop: any EventLoop) {
        if !isShutDown, tcpConnections[flow] != nil {
            core.handleFromClient(bytes, flow: flow, now: Self.now())
            drain()
        }
        let count = bytes.count
        loop.execute { handler.handled(count) }
    }

    /// On the epoll thread: a connection closed; its allocation goes.
    func tcpClosed(_ flow: TURNServer.ClientFlow, _ handler: ClientTCPHandler) {
        guard !isShutDown else { return }
        if let current = tcpConnections[flow], current === handler { tcpConnections[flow] = nil }
        core.handleClientConnectionClosed(flow, now: Self.now())
        drain()
    }

    /// Closes `flow`'s connection after ``TCPLimits/idleWithoutAllocation`` unless it has an allocation then.
    func scheduleAllocationCheck(_ flow: TURNServer.ClientFlow, _ handler: ClientTCPHandler) {
        guard let channel = handler.channel else { return }
        channel.eventLoop.scheduleTask(in: tcpLimits.idleWithoutAllocation) { [self] in
            _ = thread.execute { [self] in
                guard !isShutDown, let current = tcpConnections[flow], current === handler,
                      !core.hasAllocation(for: flow)
                else { return }
                tcpCounters.withLockedValue { $0.closedIdle &+= 1 }
                tcpConnections[flow] = nil
                channel.close(promise: nil)
            }
        }
    }

    /// On the epoll thread: an allocation of a TCP flow ended while its connection stays; the connection gets
    /// the same time to make a new one.
    func tcpAllocationEnded(_ flow: TURNServer.ClientFlow) {
        guard flow.transport == .tcp, let handler = tcpConnections[flow] else { return }
        scheduleAllocationCheck(flow, handler)
    }

    /// A snapshot of the TCP side's counters.
    public func tcpCountersSnapshot() -> TCPCounters {
        var counters = tcpCounters.withLockedValue { $0 }
        let refused = tcpLimiter.refused
        counters.refusedTotal = refused.total
        counters.refusedPerIP = refused.perIP
        counters.open = tcpLimiter.open
        return counters
    }
}

/// One TURN-over-TCP (or TLS) client connection (RFC 8656 §3.1), on its channel's loop; hands everything to the
/// server's epoll thread, and writes the core's answers from its own context. It is admitted by the server's
/// ``ConnectionLimiter``, pauses reading while more than ``TURNRelayServer/TCPLimits/maxBytesInFlight`` of its
/// bytes wait for the epoll thread, and closes a connection that stays unwritable for
/// ``TURNRelayServer/TCPLimits/writeStall``.
final class ClientTCPHandler: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked Sendable: `flow`, `context`, `inFlight`, `readPending`, `ip`, `admitted`, `stall` and
    // `handshakeDone` are touched only on the channel's loop (`handled` and `write` hop onto it); `server` is
    // Sendable, and `channel` is set once before the handler is shared.
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: TURNRelayServer
    /// Whether the allocation deadline waits for a TLS handshake (`TLSUserEvent.handshakeCompleted`).
    let awaitsHandshake: Bool
    /// Set when the handler is added (before the server knows of it).
    private(set) var channel: (any Channel)?
    private var flow: TURNServer.ClientFlow?
    private var context: ChannelHandlerContext?
    private var admitted = false
    private var ip: String?
    private var inFlight = 0
    private var readPending = false
    private var stall: Scheduled<Void>?
    private var handshakeDone = false

    init(_ server: TURNRelayServer, awaitsHandshake: Bool = false) {
        self.server = server
        self.awaitsHandshake = awaitsHandshake
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        self.context = context
        if context.channel.isActive { open(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        open(context)
        context.fireChannelActive()
    }

    /// Tells the server of the connection once it has both addresses.
    private func open(_ context: ChannelHandlerContext) {
        guard flow == nil else { return }
        guard let client = context.channel.remoteAddress.flatMap(TransportAddress.init),
              let local = context.channel.localAddress.flatMap(TransportAddress.init)
        else {
            context.close(promise: nil)
            return
        }
        ip = context.channel.remoteAddress?.ipAddress
        guard server.tcpLimiter.admit(ip) == nil else {
            context.close(promise: nil)
            return
        }
        admitted = true
        let flow = TURNServer.ClientFlow(client: client, server: local, transport: .tcp)
        self.flow = flow
        let server = self.server
        let startDeadline = !awaitsHandshake || handshakeDone
        if !server.thread.execute({ server.tcpOpened(flow, self, startDeadline: startDeadline) }) {
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let flow else { return }
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        inFlight += bytes.count
        let server = self.server
        let loop = context.eventLoop
        server.thread.execute { server.tcpReceived(bytes, flow: flow, handler: self, loop: loop) }
    }

    /// Reading waits while too many bytes wait for the epoll thread.
    func read(context: ChannelHandlerContext) {
        if inFlight >= server.tcpLimits.maxBytesInFlight {
            readPending = true
        } else {
            context.read()
        }
    }

    /// On the channel's loop: `count` of the bytes handed to the epoll thread were handled.
    func handled(_ count: Int) {
        inFlight -= count
        if readPending, inFlight < server.tcpLimits.maxBytesInFlight {
            readPending = false
            context?.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stall?.cancel()
            stall = nil
        } else if stall == nil {
            let channel = context.channel
            let server = self.server
            stall = context.eventLoop.scheduleTask(in: server.tcpLimits.writeStall) {
                server.tcpCounters.withLockedValue { $0.closedStalled &+= 1 }
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stall?.cancel()
        stall = nil
        if admitted {
            admitted = false
            server.tcpLimiter.release(ip)
        }
        if let flow {
            let server = self.server
            server.thread.execute { server.tcpClosed(flow, self) }
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// A server shutting down asks its connections to quiesce (SwiftNIO's `ChannelShouldQuiesceEvent`, sent by the
    /// HTTP server to every connection it accepted — TURN over TLS on the HTTPS port among them): TURN has no
    /// request to finish, so the connection closes now (its allocation goes), rather than holding the shutdown
    /// until the client leaves.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        if awaitsHandshake, !handshakeDone, let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            handshakeDone = true
            if let flow {
                let server = self.server
                server.thread.execute { server.tcpHandshakeCompleted(flow, self) }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// From any thread: writes `bytes` to the client (after the handlers before this one, e.g. TLS).
    func write(_ bytes: ArraySlice<UInt8>) {
        guard let channel else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let loop = channel.eventLoop
        let send: @Sendable () -> Void = { [self, buffer] in
            guard let context = self.context else { return }
            context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
        }
        if loop.inEventLoop { send() } else { loop.execute(send) }
    }
}

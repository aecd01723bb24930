import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RingletCore
import RingletTURN

// TURN over TCP (RFC 8656 §3.1): the listener and connections are SwiftNIO channels on one loop of the group;
// their bytes go to the core on the epoll thread, and the core's answers come back with `writeAndFlush`.
//
// Limits (docs/security.md), each in ``TURNRelayServer/TCPLimits``: connections in total and per client IP
// (refused at accept), a few seconds to get an allocation (else closed), bytes handed to the epoll thread but
// not yet handled (reading pauses past it), and writes only while the connection is writable (a client that
// stops reading loses what it would have been sent, and is closed when it stays so).
extension TURNRelayServer {
    /// The limits of TURN-over-TCP connections. Designed so that a TLS listener can reuse them: they count
    /// connections and bytes, not what is inside.
    public struct TCPLimits: Sendable {
        /// Connections at once; more are closed at accept. Default 1024.
        public var maxConnections = 1024
        /// Connections from one IP address. Default 64.
        public var maxConnectionsPerIP = 64
        /// How long a connection may stay without an allocation (before its first, after its last). Default 5 s.
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

    /// The TCP listener; each accepted connection is served by a ``ClientTCPHandler``.
    static func bindTCP(_ address: TransportAddress, loop: any EventLoop, server: TURNRelayServer) async throws
        -> any Channel
    {
        try await ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ClientTCPHandler(server))
                }
            }
            .bind(to: address.socketAddress).get()
    }

    /// On the epoll thread: writes `bytes` to the client's TCP connection (any thread may write to a channel),
    /// unless the connection is not writable (its client is not reading): then the bytes are dropped and
    /// counted, as a full UDP socket would drop them, so NIO's buffer never grows for it.
    func writeTCP(_ flow: TURNServer.ClientFlow, _ bytes: ArraySlice<UInt8>) {
        guard let channel = tcpConnections[flow] else { return }
        guard channel.isWritable else {
            tcpCounters.withLockedValue { $0.droppedWrites &+= 1 }
            return
        }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// On the epoll thread: a connection opened; it has ``TCPLimits/idleWithoutAllocation`` to get one.
    func tcpOpened(_ flow: TURNServer.ClientFlow, _ channel: any Channel) {
        guard !isShutDown else {
            channel.close(promise: nil)
            return
        }
        tcpConnections[flow] = channel
        scheduleAllocationCheck(flow, channel)
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
    func tcpClosed(_ flow: TURNServer.ClientFlow, _ channel: any Channel) {
        guard !isShutDown else { return }
        if let current = tcpConnections[flow], current === channel { tcpConnections[flow] = nil }
        core.handleClientConnectionClosed(flow, now: Self.now())
        drain()
    }

    /// Closes `flow`'s connection after ``TCPLimits/idleWithoutAllocation`` unless it has an allocation then.
    func scheduleAllocationCheck(_ flow: TURNServer.ClientFlow, _ channel: any Channel) {
        channel.eventLoop.scheduleTask(in: tcpLimits.idleWithoutAllocation) { [self] in
            _ = thread.execute { [self] in
                guard !isShutDown, let current = tcpConnections[flow], current === channel,
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
        guard flow.transport == .tcp, let channel = tcpConnections[flow] else { return }
        scheduleAllocationCheck(flow, channel)
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

/// One TURN-over-TCP client connection (RFC 8656 §3.1), on its channel's loop; hands everything to the server's
/// epoll thread. It is admitted by the server's ``ConnectionLimiter``, pauses reading while more than
/// ``TURNRelayServer/TCPLimits/maxBytesInFlight`` of its bytes wait for the epoll thread, and closes a
/// connection that stays unwritable for ``TURNRelayServer/TCPLimits/writeStall``.
final class ClientTCPHandler: ChannelDuplexHandler, @unchecked Sendable {
    // @unchecked Sendable: `flow`, `inFlight`, `readPending`, `ip` and `stall` are touched only on the channel's
    // loop (`handled` hops onto it); `server` is Sendable.
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    let server: TURNRelayServer
    var flow: TURNServer.ClientFlow?
    private var admitted = false
    private var ip: String?
    private var inFlight = 0
    private var readPending = false
    private var context: ChannelHandlerContext?
    private var stall: Scheduled<Void>?

    init(_ server: TURNRelayServer) { self.server = server }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
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
        let channel = context.channel
        let server = self.server
        if !server.thread.execute({ server.tcpOpened(flow, channel) }) { context.close(promise: nil) }
        context.fireChannelActive()
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
            let channel = context.channel
            let server = self.server
            server.thread.execute { server.tcpClosed(flow, channel) }
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

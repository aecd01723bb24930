public import NIOCore
import NIOPosix
import RingletCore
import RingletTURN

// TURN over TCP and TLS (RFC 8656 §3.1): the listeners and connections are SwiftNIO channels on loops of the
// group; their bytes go to the core on the epoll thread, and the core's answers come back through the
// connection's handler.
extension TURNRelayServer {
    /// A TCP listener; each accepted connection gets `prepare`'s handlers (TLS), then a ``ClientTCPHandler``.
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
                    try channel.pipeline.syncOperations.addHandler(ClientTCPHandler(server))
                }
            }
            .bind(to: address.socketAddress).get()
    }

    /// A handler that serves the connection it is added to as a TURN-over-TCP client (RFC 8656 §3.1): every byte
    /// that reaches it is TURN framing, and it writes the core's answers from its own place in the pipeline (so
    /// handlers after it — an HTTP server's, when one port serves HTTPS and TURN over TLS — never see them). Add
    /// it to an active or inactive channel; it consumes what it reads.
    public func streamHandler() -> any ChannelHandler { ClientTCPHandler(self) }

    /// On the epoll thread: writes `bytes` to the client's TCP connection.
    func writeTCP(_ flow: TURNServer.ClientFlow, _ bytes: ArraySlice<UInt8>) {
        tcpConnections[flow]?.write(bytes)
    }

    /// On the epoll thread: a connection opened.
    func tcpOpened(_ flow: TURNServer.ClientFlow, _ handler: ClientTCPHandler) {
        guard !isShutDown else {
            handler.channel?.close(promise: nil)
            return
        }
        tcpConnections[flow] = handler
    }

    /// On the epoll thread: stream bytes from a connection.
    func tcpReceived(_ bytes: [UInt8], flow: TURNServer.ClientFlow) {
        guard !isShutDown, tcpConnections[flow] != nil else { return }
        core.handleFromClient(bytes, flow: flow, now: Self.now())
        drain()
    }

    /// On the epoll thread: a connection closed; its allocation goes.
    func tcpClosed(_ flow: TURNServer.ClientFlow, _ handler: ClientTCPHandler) {
        guard !isShutDown else { return }
        if let current = tcpConnections[flow], current === handler { tcpConnections[flow] = nil }
        core.handleClientConnectionClosed(flow, now: Self.now())
        drain()
    }
}

/// One TURN-over-TCP (or TLS) client connection (RFC 8656 §3.1), on its channel's loop; hands everything to the
/// server's epoll thread, and writes the core's answers from its own context.
final class ClientTCPHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked Sendable: `flow` and `context` are touched only on the channel's loop; `server` is Sendable, and
    // `channel` is set once before the handler is shared.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: TURNRelayServer
    /// Set when the handler is added (before the server knows of it).
    private(set) var channel: (any Channel)?
    private var flow: TURNServer.ClientFlow?
    private var context: ChannelHandlerContext?

    init(_ server: TURNRelayServer) { self.server = server }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        self.context = context
        if context.channel.isActive { open(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
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
        let flow = TURNServer.ClientFlow(client: client, server: local, transport: .tcp)
        self.flow = flow
        let server = self.server
        if !server.thread.execute({ server.tcpOpened(flow, self) }) { context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let flow else { return }
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        let server = self.server
        server.thread.execute { server.tcpReceived(bytes, flow: flow) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let flow {
            let server = self.server
            server.thread.execute { server.tcpClosed(flow, self) }
        }
        context.fireChannelInactive()
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

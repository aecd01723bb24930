import NIOCore
import NIOPosix
import RingletCore
import RingletTURN

// TURN over TCP (RFC 8656 §3.1): the listener and connections are SwiftNIO channels on one loop of the group;
// their bytes go to the core on the epoll thread, and the core's answers come back with `writeAndFlush`.
extension TURNRelayServer {
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

    /// On the epoll thread: writes `bytes` to the client's TCP connection (any thread may write to a channel).
    func writeTCP(_ flow: TURNServer.ClientFlow, _ bytes: ArraySlice<UInt8>) {
        guard let channel = tcpConnections[flow] else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// On the epoll thread: a connection opened.
    func tcpOpened(_ flow: TURNServer.ClientFlow, _ channel: any Channel) {
        guard !isShutDown else {
            channel.close(promise: nil)
            return
        }
        tcpConnections[flow] = channel
    }

    /// On the epoll thread: stream bytes from a connection.
    func tcpReceived(_ bytes: [UInt8], flow: TURNServer.ClientFlow) {
        guard !isShutDown, tcpConnections[flow] != nil else { return }
        core.handleFromClient(bytes, flow: flow, now: Self.now())
        drain()
    }

    /// On the epoll thread: a connection closed; its allocation goes.
    func tcpClosed(_ flow: TURNServer.ClientFlow, _ channel: any Channel) {
        guard !isShutDown else { return }
        if let current = tcpConnections[flow], current === channel { tcpConnections[flow] = nil }
        core.handleClientConnectionClosed(flow, now: Self.now())
        drain()
    }
}

/// One TURN-over-TCP client connection (RFC 8656 §3.1), on its channel's loop; hands everything to the server's
/// epoll thread.
final class ClientTCPHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: `flow` is touched only on the channel's loop; `server` is Sendable.
    typealias InboundIn = ByteBuffer

    let server: TURNRelayServer
    var flow: TURNServer.ClientFlow?
    init(_ server: TURNRelayServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        guard let client = context.channel.remoteAddress.flatMap(TransportAddress.init),
              let local = context.channel.localAddress.flatMap(TransportAddress.init)
        else {
            context.close(promise: nil)
            return
        }
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
        let server = self.server
        server.thread.execute { server.tcpReceived(bytes, flow: flow) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let flow {
            let channel = context.channel
            let server = self.server
            server.thread.execute { server.tcpClosed(flow, channel) }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

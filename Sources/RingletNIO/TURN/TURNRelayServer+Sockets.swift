#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import RingletCore
import RingletTURN

/// The handlers' way back to their server, set on the loop once the server exists and cleared at shutdown.
final class ServerReference: @unchecked Sendable {
    // @unchecked Sendable: `server` is written and read only on the server's event loop.
    var server: TURNRelayServer?
}

extension TURNRelayServer {
    // MARK: Binding

    /// A UDP socket with vector reads and large buffers, its handler made on the loop.
    static func bindUDP(_ address: TransportAddress, loop: any EventLoop, bufferSize: Int,
                        options: [(ChannelOptions.Types.SocketOption, SocketOptionValue)] = [],
                        handler: @escaping @Sendable () -> any ChannelHandler) async throws -> any Channel
    {
        try await udpBootstrap(loop: loop, bufferSize: bufferSize, options: options, handler: handler)
            .bind(to: address.socketAddress).get()
    }

    static func udpBootstrap(loop: any EventLoop, bufferSize: Int,
                             options: [(ChannelOptions.Types.SocketOption, SocketOptionValue)],
                             handler: @escaping @Sendable () -> any ChannelHandler) -> DatagramBootstrap
    {
        var bootstrap = DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(bufferSize))
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(bufferSize))
            .channelOption(.datagramVectorReadMessageCount, value: vectorReadMessageCount)
            .channelOption(
                .recvAllocator,
                value: FixedSizeRecvByteBufferAllocator(capacity: maximumDatagramSize * vectorReadMessageCount))
        for (option, value) in options { bootstrap = bootstrap.channelOption(option, value: value) }
        return bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(handler())
            }
        }
    }

    /// The TCP listener; each accepted connection is served on the same loop.
    static func bindTCP(_ address: TransportAddress, loop: any EventLoop, reference: ServerReference) async throws
        -> any Channel
    {
        try await ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ClientTCPHandler(reference))
                }
            }
            .bind(to: address.socketAddress).get()
    }

    // MARK: Relays (on the loop)

    /// Opens the relay socket the core asked for, then answers it (RFC 8656 §7.2).
    func openRelay(_ request: TURNServer.RelayRequest) {
        guard !isShutDown, request.family == relayIP.family else {
            core.handleRelayFailed(request.id, now: Self.now())
            return
        }
        bindRelay(request, attemptsLeft: request.evenPort ? 16 : 1)
    }

    private func bindRelay(_ request: TURNServer.RelayRequest, attemptsLeft: Int) {
        let reference = self.reference ?? ServerReference()
        var options: [(ChannelOptions.Types.SocketOption, SocketOptionValue)] = []
        if request.dontFragment, relayIP.family == .v4 {
            // DONT-FRAGMENT (RFC 8656 §14.8): set DF on every datagram the relay sends.
            options.append((.init(level: SocketOptionLevel(IPPROTO_IP), name: SocketOptionName(IP_MTU_DISCOVER)),
                            SocketOptionValue(IP_PMTUDISC_DO)))
        }
        Self.udpBootstrap(loop: eventLoop, bufferSize: Self.relayBufferSize, options: options) {
            RelayUDPHandler(reference)
        }
        .bind(to: TransportAddress(relayIP, 0).socketAddress)
        .whenComplete { result in
            switch result {
            case .success(let channel):
                guard !self.isShutDown, let local = channel.localAddress.flatMap(TransportAddress.init) else {
                    channel.close(promise: nil)
                    if !self.isShutDown { self.core.handleRelayFailed(request.id, now: Self.now()) }
                    self.finishBurst()
                    return
                }
                if request.evenPort, local.port % 2 == 1, attemptsLeft > 1 {
                    channel.close(promise: nil)
                    self.bindRelay(request, attemptsLeft: attemptsLeft - 1)
                    return
                }
                if request.evenPort, local.port % 2 == 1 {
                    channel.close(promise: nil)
                    self.core.handleRelayFailed(request.id, now: Self.now())
                } else {
                    self.relays[local] = channel
                    channel.closeFuture.whenComplete { _ in self.relayClosed(local, channel, rebind: true) }
                    self.core.handleRelayOpened(request.id, relay: local, now: Self.now())
                }
                self.finishBurst()
            case .failure(let error):
                self.countSocketError("relay bind", error)
                if !self.isShutDown { self.core.handleRelayFailed(request.id, now: Self.now()) }
                self.finishBurst()
            }
        }
    }

    /// NIO closes a datagram channel on most read errors (e.g. ENETUNREACH): bind the same address again once,
    /// so one broken send does not end the allocation; if that fails, only this allocation stops relaying.
    private func relayClosed(_ local: TransportAddress, _ channel: any Channel, rebind: Bool) {
        guard !isShutDown, let current = relays[local], current === channel else { return }
        relays[local] = nil
        socketErrors &+= 1
        guard rebind, let reference else { return }
        rebinding.insert(local)
        logger.debug("TURN relay socket closed by an error; binding it again")
        Self.udpBootstrap(loop: eventLoop, bufferSize: Self.relayBufferSize, options: []) {
            RelayUDPHandler(reference)
        }
        .channelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(to: local.socketAddress)
        .whenComplete { result in
            switch result {
            case .success(let channel):
                // `.closeRelay` meanwhile (the allocation ended) removed `local` from `rebinding`.
                guard !self.isShutDown, self.rebinding.remove(local) != nil else {
                    channel.close(promise: nil)
                    return
                }
                self.relays[local] = channel
                channel.closeFuture.whenComplete { _ in self.relayClosed(local, channel, rebind: false) }
            case .failure(let error):
                self.rebinding.remove(local)
                self.countSocketError("relay rebind", error)
            }
        }
    }
}

// MARK: Handlers (all on the server's loop)

/// Datagrams from clients on the listening UDP socket.
final class ClientUDPHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: used only on its channel's loop, the server's loop.
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let reference: ServerReference
    init(_ reference: ServerReference) { self.reference = reference }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let server = reference.server else { return }
        let envelope = unwrapInboundIn(data)
        guard let client = TransportAddress(envelope.remoteAddress) else { return }
        let flow = TURNServer.ClientFlow(client: client, server: server.udpAddress, transport: .udp)
        let now = TURNRelayServer.now()
        server.withScratch(envelope.data) { core, bytes in core.handleFromClient(bytes, flow: flow, now: now) }
        server.drain()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reference.server?.finishBurst()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like: count and carry on; the socket stays open.
        reference.server?.countSocketError("client UDP", error)
    }
}

/// Datagrams from peers on one relay socket.
final class RelayUDPHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: used only on its channel's loop, the server's loop.
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let reference: ServerReference
    var local: TransportAddress?
    init(_ reference: ServerReference) { self.reference = reference }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let server = reference.server else { return }
        let envelope = unwrapInboundIn(data)
        if local == nil { local = context.channel.localAddress.flatMap(TransportAddress.init) }
        guard let relay = local, let peer = TransportAddress(envelope.remoteAddress) else { return }
        let now = TURNRelayServer.now()
        server.withScratch(envelope.data) { core, bytes in core.handleFromPeer(bytes, relay: relay, peer: peer, now: now) }
        server.drain()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reference.server?.finishBurst()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reference.server?.countSocketError("relay UDP", error)
    }
}

/// One TURN-over-TCP client connection (RFC 8656 §3.1); the core frames the stream.
final class ClientTCPHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: used only on its channel's loop, the server's loop.
    typealias InboundIn = ByteBuffer

    let reference: ServerReference
    var flow: TURNServer.ClientFlow?
    init(_ reference: ServerReference) { self.reference = reference }

    func channelActive(context: ChannelHandlerContext) {
        guard let server = reference.server,
              let client = context.channel.remoteAddress.flatMap(TransportAddress.init),
              let local = context.channel.localAddress.flatMap(TransportAddress.init)
        else {
            context.close(promise: nil)
            return
        }
        let flow = TURNServer.ClientFlow(client: client, server: local, transport: .tcp)
        self.flow = flow
        server.tcpConnections[flow] = context.channel
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let server = reference.server, let flow else { return }
        let buffer = unwrapInboundIn(data)
        let now = TURNRelayServer.now()
        server.withScratch(buffer) { core, bytes in core.handleFromClient(bytes, flow: flow, now: now) }
        server.drain()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reference.server?.finishBurst()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let server = reference.server, let flow {
            if let current = server.tcpConnections[flow], current === context.channel {
                server.tcpConnections[flow] = nil
            }
            server.core.handleClientConnectionClosed(flow, now: TURNRelayServer.now())
            server.finishBurst()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reference.server?.countSocketError("client TCP", error)
        context.close(promise: nil)
    }
}

import NIOCore
import NIOPosix
import NIOSSL
import RingletCore

extension DatagramDriver {
    // MARK: UDP

    /// Binds a UDP socket on the driver's loop (vector reads, large buffers) and returns its actual local
    /// address (the kernel's port when `address.port` is 0).
    ///
    /// Datagrams arriving on it go to the machine that owns the returned address.
    public func bindUDP(_ address: TransportAddress) -> EventLoopFuture<TransportAddress> {
        eventLoop.flatSubmit { self.bindUDPOnLoop(address) }
    }

    /// Binds on the loop and records the socket; also used to rebind a socket NIO closed under us.
    func bindUDPOnLoop(_ address: TransportAddress) -> EventLoopFuture<TransportAddress> {
        guard !isShutDown else {
            return eventLoop.makeFailedFuture(NIOShellError(.shutDown, "driver is shut down"))
        }
        let config = configuration
        let bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(config.socketBufferSize))
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(config.socketBufferSize))
            .channelOption(.datagramVectorReadMessageCount, value: config.vectorReadMessageCount)
            .channelOption(
                .recvAllocator,
                value: FixedSizeRecvByteBufferAllocator(
                    capacity: config.maximumDatagramSize * max(1, config.vectorReadMessageCount)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPHandler(driver: self))
                }
            }
        return bootstrap.bind(to: address.socketAddress).flatMapThrowing { channel in
            guard let local = channel.localAddress.flatMap(TransportAddress.init) else {
                channel.close(promise: nil)
                throw NIOShellError(.unsupportedAddress, "bound socket has no IP address")
            }
            if self.isShutDown {
                channel.close(promise: nil)
                throw NIOShellError(.shutDown, "driver is shut down")
            }
            self.udpSockets[local] = channel
            channel.closeFuture.whenComplete { _ in self.udpSocketClosed(local, channel) }
            return local
        }
    }

    /// Closes the UDP socket bound to `address` (one a call used, once its machine is removed). Closing an
    /// address with no socket succeeds; the address may be bound again afterwards.
    public func closeUDP(_ address: TransportAddress) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            guard let channel = self.udpSockets.removeValue(forKey: address) else {
                return self.eventLoop.makeSucceededVoidFuture()
            }
            return channel.close().recover { _ in }
        }
    }

    /// NIO closes a datagram channel on any read errno but ECONNREFUSED and ENOMEM — e.g. the ENETUNREACH that an
    /// ICMP "network unreachable" for one ICE check turns into. Losing the machine's only socket would end the
    /// call, so a socket closed while the driver runs is bound again at the same address (SO_REUSEADDR).
    private func udpSocketClosed(_ local: TransportAddress, _ channel: any Channel) {
        guard !isShutDown, let current = udpSockets[local], current === channel else { return }
        udpSockets[local] = nil
        stats.socketErrors += 1
        stats.udpRebinds += 1
        log("UDP socket closed by an error; binding it again")
        bindUDPOnLoop(local).whenFailure { error in
            self.countSocketError("UDP socket could not be bound again", error)
        }
    }

    /// Writes one outgoing datagram to the right socket. On the loop; the caller flushes.
    func send(_ datagram: Datagram, from id: MachineID) {
        switch datagram.transport {
        case .udp:
            guard let channel = udpSockets[datagram.source] else {
                stats.unroutable += 1
                log("no UDP socket bound to a source address a machine used")
                return
            }
            guard hasRoute(to: datagram.destination, now: Self.now()) else {
                stats.unroutable += 1
                return
            }
            var buffer = channel.allocator.buffer(capacity: datagram.payload.count)
            buffer.writeBytes(datagram.payload)
            let envelope = AddressedEnvelope(remoteAddress: datagram.destination.socketAddress, data: buffer)
            channel.write(envelope, promise: nil)
            pendingFlush[ObjectIdentifier(channel)] = channel
            stats.datagramsSent += 1
            stats.bytesSent += datagram.payload.count
        case .tcp:
            sendTCP(datagram, from: id)
        }
    }

    // MARK: TCP

    func sendTCP(_ datagram: Datagram, from id: MachineID) {
        let key = FlowKey(local: datagram.source, remote: datagram.destination)
        let flow: TCPFlow
        if let existing = tcpFlows[key] {
            flow = existing
        } else {
            flow = TCPFlow(owner: id, serial: nextID)
            nextID += 1
            tcpFlows[key] = flow
            connect(key, flow)
        }
        if let channel = flow.channel {
            var buffer = channel.allocator.buffer(capacity: datagram.payload.count)
            buffer.writeBytes(datagram.payload)
            channel.write(buffer, promise: nil)
            pendingFlush[ObjectIdentifier(channel)] = channel
            stats.datagramsSent += 1
            stats.bytesSent += datagram.payload.count
        } else if flow.queuedBytes + datagram.payload.count <= configuration.tcpQueueLimit {
            var buffer = ByteBufferAllocator().buffer(capacity: datagram.payload.count)
            buffer.writeBytes(datagram.payload)
            flow.queue.append(buffer)
            flow.queuedBytes += datagram.payload.count
        } else {
            stats.unroutable += 1
            log("TCP queue full while connecting; payload dropped")
        }
    }

    // MARK: TLS

    /// Runs TLS on every TCP flow toward `remote` from now on (TURN over TLS: `turns:`). The certificate is
    /// verified against `serverName` (also sent as SNI) or, when nil, against `remote`'s IP address, with the trust
    /// roots of `configuration` (`TLSConfiguration.makeClientConfiguration()`: the system's).
    /// - Throws: `.tlsFailed` when `configuration` cannot make a TLS context or `serverName` is not a valid SNI name.
    public func useTLS(toward remote: TransportAddress, serverName: String?, configuration: TLSConfiguration)
        -> EventLoopFuture<Void>
    {
        eventLoop.submit { try self.useTLSOnLoop(toward: remote, serverName: serverName, configuration: configuration) }
    }

    /// ``useTLS(toward:serverName:configuration:)`` from code already on the loop.
    public func useTLSOnLoop(toward remote: TransportAddress, serverName: String?, configuration: TLSConfiguration)
        throws(NIOShellError)
    {
        eventLoop.preconditionInEventLoop()
        do {
            let context = try NIOSSLContext(configuration: configuration)
            _ = try NIOSSLClientHandler(context: context, serverHostname: serverName)  // refuses a name SNI cannot carry
            tlsRemotes[remote] = (context, serverName)
        } catch {
            throw NIOShellError(.tlsFailed, "TLS toward a TURN server cannot be set up: \(error)")
        }
    }

    // MARK: Connecting

    func connect(_ key: FlowKey, _ flow: TCPFlow) {
        let serial = flow.serial
        let tls = tlsRemotes[key.remote]
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(configuration.tcpConnectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(TCPHandler(driver: self, key: key))
                }
            }
        // Bind to the machine's chosen source when it names a port; otherwise only the IP (ephemeral port).
        let local = key.local.ip.isUnspecified ? nil : key.local.socketAddress
        (local.map { bootstrap.bind(to: $0) } ?? bootstrap)
            .connect(to: key.remote.socketAddress)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard let flow = self.tcpFlows[key], flow.serial == serial, !self.isShutDown else {
                        channel.close(promise: nil)
                        return
                    }
                    self.stats.tcpConnectionsOpened += 1
                    flow.channel = channel
                    for buffer in flow.queue {
                        channel.write(buffer, promise: nil)
                        self.stats.datagramsSent += 1
                        self.stats.bytesSent += buffer.readableBytes
                    }
                    flow.queue.removeAll()
                    flow.queuedBytes = 0
                    channel.flush()
                case .failure(let error):
                    if self.tcpFlows[key]?.serial == serial { self.tcpFlows[key] = nil }
                    self.stats.tcpConnectionsClosed += 1
                    self.countSocketError("TCP connect failed", error)
                }
            }
    }

    func tcpClosed(_ key: FlowKey, channel: any Channel) {
        guard let flow = tcpFlows[key], flow.channel === channel else { return }
        tcpFlows[key] = nil
        stats.tcpConnectionsClosed += 1
    }

    // MARK: Shutdown

    /// Closes every socket and cancels every timer; machines are dropped. Later calls fail with `.shutDown`.
    /// Does not shut down the event loop group (the caller owns it).
    public func shutdown() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.isShutDown = true
            for slot in self.slots.values { slot.timer?.cancel() }
            self.slots.removeAll()
            self.owners.removeAll()
            var channels: [any Channel] = Array(self.udpSockets.values)
            channels += self.tcpFlows.values.compactMap(\.channel)
            self.udpSockets.removeAll()
            self.tcpFlows.removeAll()
            let closes = channels.map { channel in
                channel.close().recover { _ in }  // already closed is fine
            }
            return EventLoopFuture.andAllComplete(closes, on: self.eventLoop)
        }
    }

    /// The number of open sockets (UDP and connected TCP); for tests and metrics.
    public func openSocketCount() -> EventLoopFuture<Int> {
        eventLoop.submit {
            self.udpSockets.values.filter(\.isActive).count
                + self.tcpFlows.values.compactMap(\.channel).filter(\.isActive).count
        }
    }
}

/// Reads datagrams from one UDP socket into the driver.
final class UDPHandler<Machine: DatagramDriven & SendableMetatype>: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let driver: DatagramDriver<Machine>
    var local: TransportAddress?

    init(driver: DatagramDriver<Machine>) { self.driver = driver }

    func channelActive(context: ChannelHandlerContext) {
        local = context.channel.localAddress.flatMap(TransportAddress.init)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if local == nil { local = context.channel.localAddress.flatMap(TransportAddress.init) }
        guard let local, let remote = TransportAddress(envelope.remoteAddress) else {
            driver.stats.unroutable += 1
            return
        }
        var data = envelope.data
        let payload = data.readBytes(length: data.readableBytes) ?? []
        driver.deliver(Datagram(source: remote, destination: local, payload: payload), to: driver.owners[local])
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable, ENOBUFS and the like: count and carry on; the socket stays open.
        driver.countSocketError("UDP socket error", error)
    }
}

/// Reads a TURN-over-TCP stream into the driver, unframed and in order.
final class TCPHandler<Machine: DatagramDriven & SendableMetatype>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let driver: DatagramDriver<Machine>
    let key: DatagramDriver<Machine>.FlowKey

    init(driver: DatagramDriver<Machine>, key: DatagramDriver<Machine>.FlowKey) {
        self.driver = driver
        self.key = key
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let payload = buffer.readBytes(length: buffer.readableBytes) ?? []
        let owner = driver.tcpFlows[key]?.owner
        driver.deliver(
            Datagram(source: key.remote, destination: key.local, payload: payload, transport: .tcp), to: owner)
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.tcpClosed(key, channel: context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        driver.countSocketError("TCP socket error", error)
        context.close(promise: nil)
    }
}

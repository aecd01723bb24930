import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RingletCore
import RingletSTUN
import RingletTURN
import RingletWebTestSupport
import RingletTestSupport
import Testing

extension SecurityTests {
    @Test("TURN to the server's own addresses: permissions for its TURN and HTTP ports and for 169.254.169.254 get 403, even with loopback peers allowed; a Send indication to its own port is dropped; a loopback echo peer still relays")
    func turnToOwnAddresses() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let before = await call.frames()
            let echo = try await UDPEcho.start(group: lab.group)
            let probe = try await TURNProbe(serverPort: SecurityLab.turnPort, id: "attacker", secret: SecurityLab.turnSecret,
                                            group: lab.group)
            let relay = try #require(try await probe.allocate(), "no allocation")
            func permit(_ peer: TransportAddress) async throws -> Int? {
                TURNProbe.errorCode(try await probe.request(.createPermission, [TURNProbe.peer(peer)]))
            }
            let loopback = IPAddress.loopbackV4
            let turnPort = try await permit(TransportAddress(loopback, UInt16(SecurityLab.turnPort)))
            let httpPort = try await permit(TransportAddress(loopback, UInt16(SecurityLab.httpPort)))
            let metadata = try await permit(TransportAddress(IPAddress(169, 254, 169, 254), 80))
            let echoPermission = try await permit(TransportAddress(loopback, echo.port))
            #expect(turnPort == 403)
            #expect(httpPort == 403)
            #expect(metadata == 403)
            #expect(echoPermission == nil, "the echo peer (loopback allowed) got \(String(describing: echoPermission))")

            // With a permission for 127.0.0.1 installed, a Send indication to the server's own TURN port is dropped;
            // one to the echo peer comes back as a Data indication.
            let droppedBefore = try await lab.server.metric("ringlet_turn_dropped_total")
            for target in [TransportAddress(loopback, UInt16(SecurityLab.turnPort)), TransportAddress(loopback, echo.port)] {
                let data = try STUNAttribute(type: .data, value: Array("hello \(target.port)".utf8))
                let (_, bytes) = try probe.message(.send, .indication, [TURNProbe.peer(target), data], sign: false)
                probe.send(bytes)
            }
            #expect(await poll(seconds: 10) { echo.received.contains { $0 == Array("hello \(echo.port)".utf8) } })
            #expect(await poll(seconds: 10) {
                ((try? await lab.server.metric("ringlet_turn_dropped_total")) ?? 0) > droppedBefore
            })
            #expect(!echo.received.contains { $0 == Array("hello \(SecurityLab.turnPort)".utf8) })
            let during = await call.expectMediaKeepsFlowing(since: before, "TURN to the server's own addresses")
            SecurityReport.record("TURN to the server's own addresses", limit: "denied peers: the server's service ports on its own addresses, 169.254.169.254/32 (403; Send indications dropped)", [
                "relay": "\(relay)", "turnPort": turnPort ?? 0, "httpPort": httpPort ?? 0, "metadata": metadata ?? 0,
                "echoPeer": echoPermission ?? 0, "callBeside": "\(during)",
            ])
        }
    }

    @Test("TURN reflection: 1 000 unauthenticated Allocates from one address get at most the burst of 401s; another address still gets its 401")
    func turnReflection() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let before = await call.frames()
            let spoofed = try await TURNProbe(serverPort: SecurityLab.turnPort, from: "127.0.4.4", id: "x",
                                              secret: "wrong", group: lab.group)
            let started = ContinuousClock.now
            var requestBytes = 0
            for _ in 0..<1000 {
                let (_, bytes) = try spoofed.message(.allocate, .request, [TURNProbe.udpTransport], sign: false)
                requestBytes += bytes.count
                spoofed.send(bytes)
            }
            let elapsed = ContinuousClock.now - started
            try await Task.sleep(for: .seconds(2))
            let answers = spoofed.received.count
            let answerBytes = spoofed.received.reduce(0) { $0 + $1.count }
            let allowed = 100 + Int(20 * (Double(elapsed.components.seconds) + 3))
            #expect(answers >= 50 && answers <= allowed, "\(answers) answers to 1 000 requests in \(elapsed)")
            let other = try await TURNProbe(serverPort: SecurityLab.turnPort, from: "127.0.4.5", id: "y",
                                            secret: "wrong", group: lab.group)
            #expect(TURNProbe.errorCode(try await other.request(.allocate, [TURNProbe.udpTransport], sign: false)) == 401)
            let dropped = try await lab.server.metric("ringlet_turn_dropped_total", above: 0)
            #expect(dropped >= Double(1000 - allowed))
            let during = await call.expectMediaKeepsFlowing(since: before, "TURN reflection")
            SecurityReport.record("TURN reflection (unauthenticated Allocate)", limit: "turnUnauthenticatedPerSecond 20, burst 100 per source IP", [
                "requests": 1000, "requestBytes": requestBytes, "answers": answers, "answerBytes": answerBytes,
                "droppedMetric": dropped, "callBeside": "\(during)",
            ])
        }
    }
}

extension SecurityTests {
    @Test("a TURN/TCP client that never reads: with an allocation it floods Binding requests and reads nothing back; the server drops what it cannot write and closes it after 15 s, its memory bounded")
    func turnTCPNeverReads() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let before = await call.frames()
            let connection = try await RawConnection.open(port: SecurityLab.turnPort, group: lab.group, keep: 1 << 16,
                                                          receiveBuffer: 4096)
            var credentials = try TURNCredentials(id: "tcp-reader", secret: SecurityLab.turnSecret)
            func answer(_ id: STUNTransactionID) async -> STUNMessage? {
                var found: STUNMessage?
                _ = await poll(seconds: 10) {
                    found = stunMessages(in: connection.received).first { $0.transactionID == id }
                    return found != nil
                }
                return found
            }
            let (first, unsigned) = try credentials.message(.allocate, .request, [TURNProbe.udpTransport], sign: false)
            connection.send(unsigned)
            credentials.nonce = ((try? await answer(first)?.attribute(STUNNonce.self)) ?? nil)?.value
            let (second, signed) = try credentials.message(.allocate, .request, [TURNProbe.udpTransport])
            connection.send(signed)
            let allocated = await answer(second)
            #expect(allocated?.type.messageClass == .successResponse, "no allocation over TCP")

            try await connection.setReading(false)
            let sampler = ResourceSampler(pid: lab.serverPID)
            sampler.start()
            let started = ContinuousClock.now
            // 200 000 Binding requests (4 MB); each answer is larger than its request.
            var flood: [UInt8] = []
            for _ in 0..<1000 { flood += try credentials.message(.binding, .request, [], sign: false).1 }
            for _ in 0..<200 { connection.send(flood) }
            let stalledClosed = await poll(seconds: 60) {
                ((try? await lab.server.metric(#"ringlet_turn_tcp_refused_total{reason="write_stall"}"#)) ?? 0) >= 1
            }
            let closedAfter = ContinuousClock.now - started
            let resources = sampler.stop()
            let during = await call.expectMediaKeepsFlowing(since: before, "a TURN/TCP client that never reads")
            #expect(stalledClosed, "the stalled TURN/TCP connection was not closed")
            #expect(closedAfter < .seconds(45))
            #expect(closedAfter >= .seconds(15), "closed for stalling before the 15 s it is given")
            #expect(growthMB(resources) < 64, "RSS \(resources.baseline) → \(resources.peak)")
            SecurityReport.record("a TURN/TCP client that never reads", limit: "writes only while writable; writeStallSeconds 15, then closed", [
                "requestBytes": flood.count * 200, "closedAfterSeconds": Double(closedAfter.components.seconds),
                "rssGrowthMB": growthMB(resources), "callBeside": "\(during)",
            ])
        }
    }
}

/// A UDP echo peer on 127.0.0.1 in the lab's namespace: sends every datagram back, and keeps what it got.
final class UDPEcho: @unchecked Sendable {
    let channel: any Channel
    let port: UInt16
    private let box: NIOLockedValueBox<[[UInt8]]>

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let box: NIOLockedValueBox<[[UInt8]]>
        init(_ box: NIOLockedValueBox<[[UInt8]]>) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            box.withLockedValue { $0.append(Array(envelope.data.readableBytesView)) }
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: envelope.data)),
                                  promise: nil)
        }
    }

    private init(channel: any Channel, port: UInt16, box: NIOLockedValueBox<[[UInt8]]>) {
        self.channel = channel
        self.port = port
        self.box = box
    }

    static func start(group: any EventLoopGroup) async throws -> UDPEcho {
        let box = NIOLockedValueBox<[[UInt8]]>([])
        let bootstrap = DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(box)) }
            }
        let local = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        // Made on a thread of the lab's namespace (its loops), not on the test's thread.
        let channel = try await group.next().flatSubmit { bootstrap.bind(to: local) }.get()
        return UDPEcho(channel: channel, port: UInt16(channel.localAddress?.port ?? 0), box: box)
    }

    var received: [[UInt8]] { box.withLockedValue { $0 } }
}

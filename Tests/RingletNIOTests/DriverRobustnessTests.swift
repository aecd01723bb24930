#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import RingletCore
import Testing
@testable import RingletNIO

/// A TCP server that echoes every byte back in 3-byte pieces (so the driver sees arbitrary stream boundaries).
final class ChoppingEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        while buffer.readableBytes > 0, let piece = buffer.readSlice(length: min(3, buffer.readableBytes)) {
            context.writeAndFlush(wrapOutboundOut(piece), promise: nil)
        }
    }
}

/// Binds a plain UDP socket (no SO_REUSEADDR) with the C API; returns the fd, or -1 if the port is taken.
func plainUDPBind(port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = port.bigEndian
    a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let rc = withUnsafePointer(to: &a) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 {
        close(fd)
        return -1
    }
    return fd
}

@Suite("DatagramDriver: TCP flows, bad input and shutdown", .timeLimit(.minutes(1)))
final class DriverRobustnessTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    deinit { try? group.syncShutdownGracefully() }

    @Test("TCP stream bytes reach the machine in order, unframed, as .tcp datagrams from the server")
    func tcpFraming() async throws {
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ChoppingEchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let serverAddress = try #require(server.localAddress.flatMap(TransportAddress.init))
        let driver = DatagramDriver<EchoMachine>(eventLoop: group.next())
        let local = TransportAddress(.loopbackV4, 0)
        let id = try await driver.addMachine(owning: [local]) { _ in EchoMachine(echoes: false) }.get()
        var sent: [UInt8] = []
        var messages: [[UInt8]] = []
        for i in 0..<200 {
            let m = (0..<(1 + i % 97)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
            messages.append(m)
            sent += m
        }
        let toSend = messages
        try await driver.withMachine(id) { m, _ in
            for p in toSend {
                m.outbox.append(Datagram(source: local, destination: serverAddress, payload: p, transport: .tcp))
            }
        }.get()
        let total = sent.count
        let done = await eventually {
            try await driver.withMachine(id) { m, _ in m.received.reduce(0) { $0 + $1.payload.count } }.get() == total
        }
        #expect(done)
        let got = try await driver.withMachine(id) { m, _ in m.received }.get()
        #expect(got.flatMap(\.payload) == sent)
        #expect(got.allSatisfy { $0.transport == .tcp && $0.source == serverAddress && $0.destination == local })
        #expect(try await driver.statistics().get().tcpConnectionsOpened == 1)
        try await driver.shutdown().get()
        try await server.close()
    }

    @Test("a TCP connect to a closed port is counted as a socket error and the driver keeps working")
    func tcpRefused() async throws {
        let driver = DatagramDriver<EchoMachine>(eventLoop: group.next())
        let address = try await driver.bindUDP(loopback).get()
        let id = try await driver.addMachine(owning: [address]) { _ in EchoMachine(echoes: true) }.get()
        // A port with nothing listening: a UDP port we own is not a TCP listener.
        try await driver.withMachine(id) { m, _ in
            m.outbox.append(Datagram(source: TransportAddress(.loopbackV4, 0), destination: address, payload: [1],
                                     transport: .tcp))
        }.get()
        let counted = await eventually { try await driver.statistics().get().socketErrors == 1 }
        #expect(counted)
        #expect(try await driver.statistics().get().tcpConnectionsClosed == 1)
        try await driver.shutdown().get()
    }

    @Test("seeded garbage sent to a socket never crashes the driver, and traffic still flows afterwards")
    func garbage() async throws {
        let driver = DatagramDriver<EchoMachine>(eventLoop: group.next())
        let target = try await driver.bindUDP(loopback).get()
        let unowned = try await driver.bindUDP(loopback).get()
        let id = try await driver.addMachine(owning: [target]) { _ in EchoMachine(echoes: false) }.get()
        let sender = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        var rng = SeededRandom(seed: 0x6E10)
        let count = 2000
        for _ in 0..<count {
            let length = Int(rng.next() % 1600)
            var buffer = sender.allocator.buffer(capacity: length)
            buffer.writeBytes(rng.bytes(length))
            let to = (rng.next() & 1 == 0 ? target : unowned).socketAddress
            try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: buffer))
        }
        let settled = await eventually {
            let s = try await driver.statistics().get()
            return s.datagramsReceived + s.unroutable >= count - 50  // loopback may drop a few under load
        }
        #expect(settled)
        let stats = try await driver.statistics().get()
        #expect(stats.unroutable > 0)
        #expect(stats.datagramsReceived > 0)
        // Still alive: one more datagram arrives.
        let before = try await driver.withMachine(id) { m, _ in m.received.count }.get()
        var ok = sender.allocator.buffer(capacity: 2)
        ok.writeBytes([0xAB, 0xCD])
        try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: target.socketAddress, data: ok))
        let alive = await eventually {
            try await driver.withMachine(id) { m, _ in m.received.last?.payload }.get() == [0xAB, 0xCD]
        }
        #expect(alive)
        #expect(try await driver.withMachine(id) { m, _ in m.received.count }.get() > before)
        try await sender.close()
        try await driver.shutdown().get()
    }

    @Test("shutdown closes every socket, drops machines and refuses new binds")
    func shutdownClosesEverything() async throws {
        let driver = DatagramDriver<EchoMachine>(eventLoop: group.next())
        let a = try await driver.bindUDP(loopback).get()
        let b = try await driver.bindUDP(loopback).get()
        let id = try await driver.addMachine(owning: [a]) { now in
            var m = EchoMachine(echoes: false)
            m.deadlines = [now + .seconds(2)]
            return m
        }.get()
        #expect(try await driver.openSocketCount().get() == 2)
        #expect(plainUDPBind(port: a.port) == -1)  // proves the check below can fail
        try await driver.shutdown().get()
        // Under heavy load the set-up above can outlast the deadline; what must hold is that nothing fires after
        // shutdown.
        let firedAtShutdown = try await driver.statistics().get().timeoutsFired
        #expect(try await driver.openSocketCount().get() == 0)
        for port in [a.port, b.port] {
            // The close completes on the loop; under load the kernel may see it a moment later.
            var fd: Int32 = -1
            let freed = await eventually(within: 3) {
                fd = plainUDPBind(port: port)
                return fd >= 0
            }
            #expect(freed)
            if fd >= 0 { close(fd) }
        }
        await #expect(throws: NIOShellError.self) { try await driver.withMachine(id) { _, _ in 0 }.get() }
        await #expect(throws: NIOShellError.self) { try await driver.bindUDP(loopback).get() }
        try await Task.sleep(for: .milliseconds(2_200))  // past the machine's deadline: its timer was cancelled
        #expect(try await driver.statistics().get().timeoutsFired == firedAtShutdown)
    }
}

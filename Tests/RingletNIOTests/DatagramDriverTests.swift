import Foundation
import NIOCore
import NIOPosix
import RingletCore
import Testing
@testable import RingletNIO

@Suite("DatagramDriver over real loopback sockets", .timeLimit(.minutes(1)))
final class DatagramDriverTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    deinit { try? group.syncShutdownGracefully() }

    func makeDriver() -> DatagramDriver<EchoMachine> {
        DatagramDriver<EchoMachine>(eventLoop: group.next())
    }

    /// Two machines, each owning one bound socket: A (recorder) and B (echo).
    func pair(_ driver: DatagramDriver<EchoMachine>) async throws
        -> (a: MachineID, aAddress: TransportAddress, b: MachineID, bAddress: TransportAddress)
    {
        let aAddress = try await driver.bindUDP(loopback).get()
        let bAddress = try await driver.bindUDP(loopback).get()
        let a = try await driver.addMachine(owning: [aAddress]) { _ in EchoMachine(echoes: false) }.get()
        let b = try await driver.addMachine(owning: [bAddress]) { _ in EchoMachine(echoes: true) }.get()
        return (a, aAddress, b, bAddress)
    }

    @Test("two machines exchange datagrams through real sockets, each reaching the machine owning its address")
    func echo() async throws {
        let driver = makeDriver()
        let (a, aAddress, b, bAddress) = try await pair(driver)
        try await driver.withMachine(a) { m, _ in
            for i in 0..<100 {
                m.outbox.append(Datagram(source: aAddress, destination: bAddress, payload: [UInt8(i), 1, 2, 3]))
            }
        }.get()
        let done = await eventually { try await driver.withMachine(a) { m, _ in m.received.count }.get() == 100 }
        #expect(done)
        let got = try await driver.withMachine(a) { m, _ in m.received }.get()
        #expect(got.allSatisfy { $0.source == bAddress && $0.destination == aAddress && $0.transport == .udp })
        #expect(Set(got.map(\.payload)) == Set((0..<100).map { [UInt8($0), 1, 2, 3] }))
        let atB = try await driver.withMachine(b) { m, _ in m.received.count }.get()
        #expect(atB == 100)
        let stats = try await driver.statistics().get()
        #expect(stats.datagramsReceived == 200)
        #expect(stats.datagramsSent == 200)
        try await driver.shutdown().get()
    }

    @Test("a machine whose deadline stays due through its timeout is re-armed later: the loop still reads its sockets")
    func stalledDeadline() async throws {
        let driver = makeDriver()
        let (a, aAddress, _, bAddress) = try await pair(driver)
        try await driver.withMachine(a) { m, _ in
            m.stuck = true
            for i in 0..<50 { m.outbox.append(Datagram(source: aAddress, destination: bAddress, payload: [UInt8(i)])) }
        }.get()
        let done = await eventually { try await driver.withMachine(a) { m, _ in m.received.count }.get() == 50 }
        #expect(done, "the echoes came back while the machine's timer stayed due")
        let stats = try await driver.statistics().get()
        #expect(stats.stalledDeadlines > 0)
        // Re-armed 1 ms later each time, not spun on: a few hundred timeouts a second at most.
        let timeouts = try await driver.withMachine(a) { m, _ in m.timeouts }.get()
        #expect(timeouts < 20_000, "\(timeouts) timeouts")
        try await driver.shutdown().get()
    }

    @Test("a UDP socket closed by an error is bound again at the same address and traffic goes on")
    func socketClosedByErrorIsRebound() async throws {
        // NIO closes a datagram channel on read errors such as the ENETUNREACH of an ICMP "network unreachable"
        // (found by the real-NAT tests: a check to an unreachable private candidate killed the engine's socket).
        let driver = makeDriver()
        let (a, aAddress, _, bAddress) = try await pair(driver)
        let closed = try await driver.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            guard let channel = driver.udpSockets[bAddress] else {
                return driver.eventLoop.makeFailedFuture(NIOShellError(.unknownMachine, "no socket"))
            }
            return channel.close()
        }.get()
        _ = closed
        let rebound = await eventually { try await driver.statistics().get().udpRebinds == 1 }
        #expect(rebound)
        try await driver.withMachine(a) { m, _ in
            m.outbox.append(Datagram(source: aAddress, destination: bAddress, payload: [7, 7, 7]))
        }.get()
        let echoed = await eventually { try await driver.withMachine(a) { m, _ in m.received.count }.get() == 1 }
        #expect(echoed, "the rebound socket at the same address receives and the echo comes back")
        #expect(try await driver.openSocketCount().get() == 2)
        try await driver.shutdown().get()
        #expect(try await driver.statistics().get().udpRebinds == 1, "shutdown closes sockets without rebinding")
    }

    @Test("large datagrams arrive whole with vector reads")
    func largeDatagrams() async throws {
        let driver = makeDriver()
        let (a, aAddress, _, bAddress) = try await pair(driver)
        let payload = (0..<1400).map { UInt8(truncatingIfNeeded: $0) }
        try await driver.withMachine(a) { m, _ in
            for _ in 0..<64 { m.outbox.append(Datagram(source: aAddress, destination: bAddress, payload: payload)) }
        }.get()
        let done = await eventually { try await driver.withMachine(a) { m, _ in m.received.count }.get() == 64 }
        #expect(done)
        let sizes = try await driver.withMachine(a) { m, _ in m.received.map(\.payload) }.get()
        #expect(sizes.allSatisfy { $0 == payload })
        try await driver.shutdown().get()
    }

    @Test("timers fire at (not before) each deadline the machine asks for")
    func timers() async throws {
        let driver = makeDriver()
        let address = try await driver.bindUDP(loopback).get()
        let id = try await driver.addMachine(owning: [address]) { now in
            var m = EchoMachine(echoes: false)
            m.deadlines = [now + .milliseconds(30), now + .milliseconds(80), now + .milliseconds(150)]
            return m
        }.get()
        let done = await eventually { try await driver.withMachine(id) { m, _ in m.fired.count }.get() == 3 }
        #expect(done)
        let fired = try await driver.withMachine(id) { m, _ in m.fired.map { [$0.deadline, $0.at] } }.get()
        #expect(fired.allSatisfy { $0[1] >= $0[0] })
        #expect(fired.allSatisfy { $0[1] - $0[0] < .milliseconds(500) })
        #expect(try await driver.statistics().get().timeoutsFired == 3)
        try await driver.shutdown().get()
    }

    @Test("a deadline set from outside through withMachine is honoured and an earlier one replaces a later one")
    func rearm() async throws {
        let driver = makeDriver()
        let address = try await driver.bindUDP(loopback).get()
        let id = try await driver.addMachine(owning: [address]) { now in
            var m = EchoMachine(echoes: false)
            m.deadlines = [now + .seconds(30)]
            return m
        }.get()
        try await driver.withMachine(id) { m, now in m.deadlines.append(now + .milliseconds(20)) }.get()
        let done = await eventually { try await driver.withMachine(id) { m, _ in m.fired.count }.get() == 1 }
        #expect(done)
        try await driver.shutdown().get()
    }

    @Test("a datagram from a source with no bound socket is counted as unroutable, not sent")
    func unroutableSource() async throws {
        let driver = makeDriver()
        let address = try await driver.bindUDP(loopback).get()
        let id = try await driver.addMachine(owning: [address]) { _ in EchoMachine(echoes: false) }.get()
        try await driver.withMachine(id) { m, _ in
            m.outbox.append(Datagram(source: TransportAddress(.loopbackV4, 1), destination: address, payload: [1]))
        }.get()
        let stats = try await driver.statistics().get()
        #expect(stats.unroutable == 1)
        #expect(stats.datagramsSent == 0)
        try await driver.shutdown().get()
    }

    @Test("two machines cannot own the same local address")
    func addressInUse() async throws {
        let driver = makeDriver()
        let address = try await driver.bindUDP(loopback).get()
        _ = try await driver.addMachine(owning: [address]) { _ in EchoMachine(echoes: false) }.get()
        await #expect(throws: NIOShellError.self) {
            try await driver.addMachine(owning: [address]) { _ in EchoMachine(echoes: false) }.get()
        }
        try await driver.shutdown().get()
    }

    @Test("withMachine on an unknown machine fails with unknownMachine")
    func unknownMachine() async throws {
        let driver = makeDriver()
        await #expect(throws: NIOShellError(.unknownMachine, "machine#42 is not registered")) {
            try await driver.withMachine(MachineID(rawValue: 42)) { _, _ in 0 }.get()
        }
        try await driver.shutdown().get()
    }
}

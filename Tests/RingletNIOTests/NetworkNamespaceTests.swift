#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import RingletCore
import Testing
@testable import RingletNIO

/// Runs a command and returns its output (stdout and stderr).
func output(of argv: [String]) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    _ = try ChildProcess.run(argv, outputPath: path)
    return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

@Suite("Network namespaces", .serialized, .timeLimit(.minutes(1)))
struct NetworkNamespaceTests {
    @Test("a socket bound from a namespace loop lives in the namespace: ss sees it inside, not on the host")
    func socketLivesInNamespace() async throws {
        let ns = try NetworkNamespace.create(name: "ringlet-nio-\(getpid())")
        defer { ns.delete() }
        let group = try await ns.makeEventLoopGroup()
        defer { group.shutdownGracefully { _ in } }
        let driver = DatagramDriver<EchoMachine>(eventLoop: group.next())
        let bound = try await driver.bindUDP(loopback).get()
        let inside = try output(of: ns.exec(["ss", "-Huln"]))
        let host = try output(of: ["ss", "-Huln"])
        #expect(inside.contains("127.0.0.1:\(bound.port) "))
        #expect(!host.contains("127.0.0.1:\(bound.port) "))
        try await driver.shutdown().get()
    }

    @Test("a datagram to a destination with no route is dropped and counted; the socket stays open for the rest")
    func unroutableDestination() async throws {
        // In a namespace with only lo there is no route to 10.9.9.9: sendmmsg would fail with ENETUNREACH, which
        // NIO treats as fatal for the channel (and the rest of the batch). The driver checks the route first.
        let ns = try NetworkNamespace.create(name: "ringlet-route-\(getpid())")
        defer { ns.delete() }
        let group = try await ns.makeEventLoopGroup()
        defer { group.shutdownGracefully { _ in } }
        let driver = DatagramDriver<EchoMachine>(eventLoop: group.next())
        let aAddress = try await driver.bindUDP(loopback).get()
        let bAddress = try await driver.bindUDP(loopback).get()
        let a = try await driver.addMachine(owning: [aAddress]) { _ in EchoMachine(echoes: false) }.get()
        _ = try await driver.addMachine(owning: [bAddress]) { _ in EchoMachine(echoes: true) }.get()
        let nowhere = try #require(TransportAddress("10.9.9.9:1234"))
        try await driver.withMachine(a) { m, _ in
            for i in 0..<10 {
                m.outbox.append(Datagram(source: aAddress, destination: nowhere, payload: [UInt8(i)]))
                m.outbox.append(Datagram(source: aAddress, destination: bAddress, payload: [UInt8(i), 1]))
            }
        }.get()
        let echoed = await eventually { try await driver.withMachine(a) { m, _ in m.received.count }.get() == 10 }
        #expect(echoed, "the datagrams to a reachable peer in the same batches all arrive")
        let stats = try await driver.statistics().get()
        #expect(stats.unroutable == 10)
        #expect(stats.udpRebinds == 0)
        #expect(try await driver.openSocketCount().get() == 2)
        try await driver.shutdown().get()
    }

    @Test("a namespace socket is reachable from inside the namespace and unreachable from the host")
    func isolation() async throws {
        let ns = try NetworkNamespace.create(name: "ringlet-iso-\(getpid())")
        defer { ns.delete() }
        let nsGroup = try await ns.makeEventLoopGroup()
        defer { nsGroup.shutdownGracefully { _ in } }
        let hostGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { hostGroup.shutdownGracefully { _ in } }

        let inner = DatagramDriver<EchoMachine>(eventLoop: nsGroup.next())
        let target = try await inner.bindUDP(loopback).get()
        let client = try await inner.bindUDP(loopback).get()
        let targetID = try await inner.addMachine(owning: [target]) { _ in EchoMachine(echoes: false) }.get()
        let clientID = try await inner.addMachine(owning: [client]) { _ in EchoMachine(echoes: false) }.get()

        let outer = DatagramDriver<EchoMachine>(eventLoop: hostGroup.next())
        let hostClient = try await outer.bindUDP(loopback).get()
        let hostID = try await outer.addMachine(owning: [hostClient]) { _ in EchoMachine(echoes: false) }.get()

        try await outer.withMachine(hostID) { m, _ in
            for _ in 0..<5 { m.outbox.append(Datagram(source: hostClient, destination: target, payload: [0x0E])) }
        }.get()
        try await inner.withMachine(clientID) { m, _ in
            m.outbox.append(Datagram(source: client, destination: target, payload: [0x11]))
        }.get()
        let arrived = await eventually { try await inner.withMachine(targetID) { m, _ in m.received.count }.get() >= 1 }
        #expect(arrived)
        try await Task.sleep(for: .milliseconds(200))
        let payloads = try await inner.withMachine(targetID) { m, _ in m.received.map(\.payload) }.get()
        #expect(payloads == [[0x11]])
        try await inner.shutdown().get()
        try await outer.shutdown().get()
    }

    @Test("namespace names that are not plain file names are refused")
    func invalidName() {
        #expect(throws: NIOShellError.self) { try NetworkNamespace.create(name: "../etc") }
        #expect(throws: NIOShellError.self) { try NetworkNamespace.create(name: "") }
    }
}

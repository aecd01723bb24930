import Foundation
import Glibc
import RingletCore
import RingletSTUN
import RingletTestSupport
import Testing
@testable import RingletTURN

/// The client against a real TURN server nobody here wrote: coturn's turnserver on 127.0.0.1 with TURN REST
/// credentials. Missing turnserver fails these tests.
@Suite("TURN client against coturn", .serialized)
struct TURNClientCoturnTests {
    func configuration(port: UInt16, transport: TransportProtocol, password: String? = nil)
        throws -> TURNClient.Configuration
    {
        let expiry = UInt64(Date().timeIntervalSince1970) + 3600
        let credential = try TURNRESTCredential(id: "ringlet-test", expiry: expiry, secret: Array(CoturnServer.secret.utf8))
        var c = TURNClient.Configuration(server: TransportAddress(.loopbackV4, port), transport: transport,
                                         username: credential.username, password: password ?? credential.password)
        c.autoBindChannels = false
        return c
    }

    @Test("Allocate, permission, Send and Data indications, ChannelData both ways, refresh and deallocation",
          arguments: [TransportProtocol.udp, .tcp])
    func fullRelay(transport: TransportProtocol) throws {
        let server = try CoturnServer()
        defer { server.stop() }
        let client = try TURNClient(configuration: configuration(port: server.port, transport: transport),
                                    random: SystemRandomNumberGenerator())
        let driver = try CoturnDriver(client: client, serverPort: server.port)
        driver.client.start(now: driver.now)

        // Allocate (through the 401 challenge).
        let allocated = try driver.pump { $0.contains { if case .allocated = $0 { true } else { false } } }
        try #require(allocated, "no allocation: \(driver.events) \(server.logText)")
        let relayed = try #require(driver.client.relayedAddress)
        #expect(relayed.ip == .loopbackV4)
        #expect(driver.client.mappedAddress == TransportAddress(.loopbackV4, driver.localPort))

        // A peer socket; data to it goes as a Send indication once the permission exists.
        let peerSocket = try LoopbackUDPSocket()
        let peer = peerSocket.address
        try driver.client.sendToPeer(Array("via indication".utf8), to: peer, now: driver.now)
        try #require(try driver.pump { $0.contains(.permissionCreated(peer.ip)) }, "\(driver.events)")
        let first = try #require(peerSocket.receiveFrom(timeoutMilliseconds: 3000))
        #expect(first.bytes == Array("via indication".utf8))
        #expect(first.port == relayed.port, "relayed data comes from the relayed address")

        // The peer answers; with no channel it arrives as a Data indication.
        try peerSocket.send(Array("reply one".utf8), to: relayed.port)
        try #require(try driver.pump { $0.contains(.data(from: peer, Array("reply one".utf8)[...])) }, "\(driver.events)")
        #expect(driver.client.channelNumber(for: peer) == nil)
        if transport == .udp {
            #expect(driver.received.last?.first.map { $0 & 0xC0 } == 0x00, "a STUN Data indication")
        }

        // Bind a channel; data then travels as ChannelData both ways.
        try driver.client.bindChannel(to: peer, now: driver.now)
        try #require(try driver.pump { $0.contains { if case .channelBound = $0 { true } else { false } } }, "\(driver.events)")
        let number = try #require(driver.client.channelNumber(for: peer))
        try driver.client.sendToPeer(Array("via channel".utf8), to: peer, now: driver.now)
        try driver.pump(seconds: 0.1) { _ in false }
        #expect(driver.sent.last?.prefix(2).elementsEqual([UInt8(number >> 8), UInt8(number & 0xFF)]) == true)
        let second = try #require(peerSocket.receiveFrom(timeoutMilliseconds: 3000))
        #expect(second.bytes == Array("via channel".utf8))
        try peerSocket.send(Array("reply two".utf8), to: relayed.port)
        try #require(try driver.pump { $0.contains(.data(from: peer, Array("reply two".utf8)[...])) }, "\(driver.events)")
        if transport == .udp {
            #expect(driver.received.last?.prefix(2).elementsEqual([UInt8(number >> 8), UInt8(number & 0xFF)]) == true,
                    "ChannelData from the server")
        }

        // Jump the clock to the refresh time: Refresh, CreatePermission and ChannelBind refreshes all succeed.
        let expiry = try #require(driver.client.allocationExpiry)
        let delay = (expiry - .seconds(60)) - driver.now
        driver.skew = driver.skew + delay + .milliseconds(1)
        try #require(try driver.pump { $0.contains { if case .refreshed = $0 { true } else { false } } }, "\(driver.events)")
        try driver.pump(seconds: 0.3) { _ in false }
        #expect(!driver.events.contains { if case .failed = $0 { true } else { false } })
        #expect(!driver.events.contains { if case .channelBindFailed = $0 { true } else { false } })
        #expect(!driver.events.contains { if case .permissionFailed = $0 { true } else { false } })
        try driver.client.sendToPeer(Array("after refresh".utf8), to: peer, now: driver.now)
        try driver.pump(seconds: 0.1) { _ in false }
        #expect(peerSocket.receive(timeoutMilliseconds: 3000) == Array("after refresh".utf8))

        // Deallocate.
        driver.client.close(now: driver.now)
        try #require(try driver.pump { $0.contains(.closed) }, "\(driver.events)")
        #expect(driver.client.state == .closed)
        #expect(driver.client.statistics.integrityFailures == 0)
    }

    @Test("A wrong password gets a typed 401 failure from coturn", arguments: [TransportProtocol.udp, .tcp])
    func wrongPassword(transport: TransportProtocol) throws {
        let server = try CoturnServer()
        defer { server.stop() }
        let client = try TURNClient(configuration: configuration(port: server.port, transport: transport, password: "wrong"),
                                    random: SystemRandomNumberGenerator())
        let driver = try CoturnDriver(client: client, serverPort: server.port)
        driver.client.start(now: driver.now)
        try #require(try driver.pump { $0.contains { if case .failed = $0 { true } else { false } } }, "\(driver.events)")
        guard case .failed(let failure) = driver.events.last else { Issue.record("\(driver.events)"); return }
        #expect(failure.errorCode == 401)
        #expect(failure.method == .allocate)
        #expect(failure.error.code == .errorResponse)
    }
}

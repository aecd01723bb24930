import Foundation
import RingletCore
import Testing

@testable @_spi(Fuzzing) import RingletDTLS

@Suite("DTLS loss, retransmission and hostile input")
struct DTLSRobustnessTests {
    static func fastTimers() -> DTLSTransport.Configuration {
        var c = DTLSTransport.Configuration()
        c.initialRetransmitInterval = .milliseconds(30)
        return c
    }

    @Test("a lost first flight is resent when the caller's clock reaches the deadline")
    func lostClientHello() throws {
        let pair = try LinkedPair(client: Self.fastTimers(), server: Self.fastTimers())
        let t0 = pair.now
        pair.server.start(now: t0)
        pair.client.start(now: t0)
        let first = pair.take(fromClient: true)
        #expect(!first.isEmpty, "the ClientHello was written")  // and is dropped here
        let deadline = try #require(pair.client.pollTimeout())
        #expect(deadline == t0 + .milliseconds(30))

        pair.client.handleTimeout(now: deadline - .milliseconds(1))
        #expect(pair.take(fromClient: true).isEmpty, "nothing is resent before the caller's deadline")

        pair.now = deadline
        pair.client.handleTimeout(now: deadline)
        let resent = pair.take(fromClient: true)
        #expect(resent.count == first.count)
        #expect(resent.first?.first == 22 && resent.first?.dropFirst(13).first == 1, "a ClientHello record again")
        #expect(pair.client.pollTimeout() == deadline + .milliseconds(60), "the interval doubles")

        for d in resent { pair.server.handleDatagram(d, now: pair.now) }
        pair.pump()
        #expect(pair.client.state == .connected && pair.server.state == .connected)
        #expect(LinkedPair.keys(pair.clientEvents)?.keyingMaterial == LinkedPair.keys(pair.serverEvents)?.keyingMaterial)
    }

    @Test("a lost server flight is recovered through the client's retransmission")
    func lostServerFlight() throws {
        let pair = try LinkedPair(client: Self.fastTimers(), server: Self.fastTimers())
        pair.server.start(now: pair.now)
        pair.client.start(now: pair.now)
        for d in pair.take(fromClient: true) { pair.server.handleDatagram(d, now: pair.now) }
        #expect(!pair.take(fromClient: false).isEmpty)  // the server's flight, lost
        let deadline = try #require(pair.client.pollTimeout())
        pair.now = deadline
        pair.client.handleTimeout(now: deadline)
        pair.pump()
        #expect(pair.client.state == .connected && pair.server.state == .connected)
    }

    @Test("flights delivered in reverse order, duplicated or truncated first still complete the handshake")
    func reorderedAndTruncated() throws {
        var small = Self.fastTimers()
        small.mtu = 300
        let pair = try LinkedPair(client: small, server: small)
        pair.handshake()
        _ = pair  // baseline: the small MTU splits every flight
        let multi = pair.sent.contains { _ in true } && Set(pair.sent.map(\.fromClient)).count == 2
        #expect(multi)

        let hostile = try LinkedPair(client: small, server: small)
        hostile.server.start(now: hostile.now)
        hostile.client.start(now: hostile.now)
        let timeouts = hostile.pumpWithTimers { _, datagrams in
            let truncated = datagrams.map { Array($0.prefix($0.count / 2)) }
            return truncated + datagrams.reversed() + datagrams
        }
        #expect(timeouts <= 3, "at most a few retransmissions are needed")
        #expect(hostile.client.state == .connected && hostile.server.state == .connected,
                "\(hostile.client.state) \(hostile.server.state) \(hostile.clientEvents) \(hostile.serverEvents)")
        #expect(LinkedPair.keys(hostile.clientEvents)?.keyingMaterial == LinkedPair.keys(hostile.serverEvents)?.keyingMaterial)
    }

    @Test("seeded random garbage never traps a server, a handshaking client or a connected pair")
    func randomGarbage() throws {
        var rng = SeededRandom(seed: 0xD715)
        let server = try DTLSTransport(role: .server, certificate: Certificates.server, remoteFingerprints: [])
        let client = try DTLSTransport(role: .client, certificate: Certificates.client, remoteFingerprints: [])
        client.start(now: .zero)
        let pair = try LinkedPair()
        pair.handshake()
        for i in 0..<3000 {
            let length = Int(rng.next() % 300)
            var d = rng.bytes(length)
            if !d.isEmpty, i % 2 == 0 { d[0] = 20 &+ UInt8(rng.next() % 44) }  // looks like DTLS (RFC 7983)
            if d.count >= 3, i % 3 == 0 { d[1] = 0xFE; d[2] = 0xFD }
            server.handleDatagram(d, now: .zero)
            client.handleDatagram(d, now: .zero)
            pair.client.handleDatagram(d, now: pair.now)
            pair.server.handleDatagram(d, now: pair.now)
            while server.pollDatagram() != nil {}
            while client.pollDatagram() != nil {}
        }
        pair.collectEvents()
        // A connected association drops records it cannot authenticate: it still carries data.
        #expect(pair.client.state == .connected && pair.server.state == .connected)
        try pair.client.send([7, 7, 7], now: pair.now)
        pair.pump()
        #expect(pair.serverEvents.contains(.applicationData([7, 7, 7])))
    }

    @Test("mutations of a real handshake fed to fresh transports never trap")
    func mutatedFlights() throws {
        let pair = try LinkedPair()
        pair.handshake()
        let recorded = pair.sent
        var rng = SeededRandom(seed: 42)
        for round in 0..<150 {
            let server = try DTLSTransport(role: .server, certificate: Certificates.server, remoteFingerprints: [])
            let client = try DTLSTransport(role: .client, certificate: Certificates.client, remoteFingerprints: [])
            client.start(now: .zero)
            for (fromClient, bytes) in recorded {
                var d = bytes
                let flips = 1 + Int(rng.next() % 4)
                for _ in 0..<flips where !d.isEmpty {
                    d[Int(rng.next() % UInt64(d.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
                if round % 5 == 0 { d = Array(d.prefix(Int(rng.next() % UInt64(d.count + 1)))) }
                (fromClient ? server : client).handleDatagram(d, now: .zero)
                while server.pollDatagram() != nil {}
                while client.pollDatagram() != nil {}
            }
        }
    }

    @Test("empty and oversized datagrams are dropped and counted")
    func sizeLimits() throws {
        let server = try DTLSTransport(role: .server, certificate: Certificates.server, remoteFingerprints: [])
        server.handleDatagram([], now: .zero)
        server.handleDatagram([UInt8](repeating: 22, count: DTLSTransport.maximumDatagramSize + 1), now: .zero)
        #expect(server.droppedDatagrams == 2)
        #expect(server.state == .idle)
    }

    @Test("configuration outside its ranges is refused", arguments: [
        { (c: inout DTLSTransport.Configuration) in c.mtu = 100 },
        { (c: inout DTLSTransport.Configuration) in c.initialRetransmitInterval = .milliseconds(1) },
        { (c: inout DTLSTransport.Configuration) in c.maximumRetransmitInterval = .milliseconds(20) },
        { (c: inout DTLSTransport.Configuration) in c.srtpProfiles = [] },
        { (c: inout DTLSTransport.Configuration) in c.srtpProfiles = [0x0003] },
        { (c: inout DTLSTransport.Configuration) in c.handshakeTimeout = .zero },
    ] as [@Sendable (inout DTLSTransport.Configuration) -> Void])
    func badConfiguration(change: @Sendable (inout DTLSTransport.Configuration) -> Void) {
        var c = DTLSTransport.Configuration()
        change(&c)
        do {
            _ = try DTLSTransport(role: .client, certificate: Certificates.client, remoteFingerprints: [], configuration: c)
            Issue.record("accepted \(c)")
        } catch {
            #expect(error.code == .invalidConfiguration)
        }
    }
}

@Suite("DTLS fuzz entry point")
struct DTLSFuzzEntryTests {
    @Test("the server-handshake fuzz entry survives seeded inputs and a real ClientHello")
    func fuzzEntry() throws {
        var rng = SeededRandom(seed: 5)
        for _ in 0..<300 {
            DTLSFuzz.serverHandshake(rng.bytes(Int(rng.next() % 600)))
        }
        // A real client flight, framed as the entry expects, reaches the server's handshake code.
        let client = try DTLSTransport(role: .client, certificate: Certificates.client, remoteFingerprints: [])
        client.start(now: .zero)
        var framed: [UInt8] = []
        while let d = client.pollDatagram() {
            framed += [UInt8(d.count >> 8), UInt8(d.count & 0xFF)] + d
        }
        #expect(!framed.isEmpty)
        DTLSFuzz.serverHandshake(framed)
    }
}

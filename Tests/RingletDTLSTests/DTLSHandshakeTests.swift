import Foundation
import RingletCore
import Testing

@testable import RingletDTLS

@Suite("DTLS-SRTP handshake between two transports")
struct DTLSHandshakeTests {
    @Test("client and server connect and export the same SRTP keying material")
    func connectsWithEqualKeys() throws {
        let pair = try LinkedPair()
        pair.handshake()
        let c = try #require(LinkedPair.keys(pair.clientEvents))
        let s = try #require(LinkedPair.keys(pair.serverEvents))
        #expect(pair.client.state == .connected && pair.server.state == .connected)
        #expect(c.profile == 0x0007, "AEAD_AES_128_GCM is preferred")
        #expect(c.profile == s.profile)
        #expect(c.keyingMaterial.value.count == 56)
        #expect(c.keyingMaterial.value == s.keyingMaterial.value)
        #expect(c.localRole == .client && s.localRole == .server)
        #expect(!c.keyingMaterial.value.allSatisfy { $0 == 0 })
    }

    @Test("the negotiated profile sets the keying material length", arguments: [
        (UInt16(0x0001), 60), (UInt16(0x0002), 60), (UInt16(0x0007), 56),
    ])
    func profileLengths(profile: UInt16, length: Int) throws {
        var config = DTLSTransport.Configuration()
        config.srtpProfiles = [profile]
        let pair = try LinkedPair(client: config)
        pair.handshake()
        let c = try #require(LinkedPair.keys(pair.clientEvents))
        let s = try #require(LinkedPair.keys(pair.serverEvents))
        #expect(c.profile == profile && s.profile == profile)
        #expect(c.keyingMaterial.value.count == length)
        #expect(c.keyingMaterial.value == s.keyingMaterial.value)
    }

    @Test("a peer certificate that does not match the remote fingerprint fails only that transport")
    func fingerprintMismatch() throws {
        let pair = try LinkedPair(clientExpects: [Certificates.stranger.fingerprint])
        pair.handshake()
        let failure = try #require(LinkedPair.failure(pair.clientEvents))
        #expect(failure.code == .fingerprintMismatch)
        #expect(pair.client.state == .failed)
        #expect(LinkedPair.keys(pair.clientEvents) == nil, "no keys are released on a mismatch")
        #expect(pair.server.state == .connected, "the other transport is not affected")
        #expect(pair.client.pollTimeout() == nil)
    }

    @Test("a fingerprint that arrives after the handshake is checked then")
    func lateFingerprint() throws {
        let pair = try LinkedPair(serverExpects: [])
        pair.handshake()
        #expect(pair.server.state == .awaitingFingerprint)
        #expect(LinkedPair.keys(pair.serverEvents) == nil)
        pair.server.setRemoteFingerprints([Certificates.client.fingerprint], now: pair.now)
        pair.collectEvents()
        #expect(pair.server.state == .connected)
        #expect(LinkedPair.keys(pair.serverEvents)?.keyingMaterial == LinkedPair.keys(pair.clientEvents)?.keyingMaterial)
    }

    @Test("a late wrong fingerprint fails the transport")
    func lateWrongFingerprint() throws {
        let pair = try LinkedPair(serverExpects: [])
        pair.handshake()
        pair.server.setRemoteFingerprints([Certificates.stranger.fingerprint], now: pair.now)
        pair.collectEvents()
        #expect(LinkedPair.failure(pair.serverEvents)?.code == .fingerprintMismatch)
    }

    @Test("one certificate serves many handshakes, each with fresh keys")
    func certificateReuse() throws {
        var seen = Set<[UInt8]>()
        for _ in 0..<12 {
            let pair = try LinkedPair()
            pair.handshake()
            let c = try #require(LinkedPair.keys(pair.clientEvents))
            #expect(LinkedPair.keys(pair.serverEvents)?.keyingMaterial == c.keyingMaterial)
            seen.insert(c.keyingMaterial.value)
        }
        #expect(seen.count == 12)
    }

    @Test("every datagram fits the MTU, flights are coalesced")
    func datagramsFitMTU() throws {
        var small = DTLSTransport.Configuration()
        small.mtu = 400
        let pair = try LinkedPair(client: small, server: small)
        pair.handshake()
        #expect(pair.client.state == .connected)
        #expect(pair.sent.allSatisfy { $0.bytes.count <= 400 })
        let defaults = try LinkedPair()
        defaults.handshake()
        // The server's first flight (ServerHello … ServerHelloDone) is five records; coalesced it is one or two.
        let serverFlight = try #require(defaults.sent.first { !$0.fromClient })
        #expect(Self.recordCount(serverFlight.bytes) >= 3)
        #expect(defaults.sent.allSatisfy { $0.bytes.count <= 1200 })
    }

    @Test("application data flows both ways after the handshake")
    func applicationData() throws {
        let pair = try LinkedPair()
        pair.handshake()
        try pair.client.send(Array("hello server".utf8), now: pair.now)
        try pair.server.send(Array("hello client".utf8), now: pair.now)
        pair.pump()
        #expect(pair.serverEvents.contains(.applicationData(Array("hello server".utf8))))
        #expect(pair.clientEvents.contains(.applicationData(Array("hello client".utf8))))
    }

    @Test("sending before the handshake or above the record limit is refused")
    func sendRefused() throws {
        let pair = try LinkedPair()
        #expect(throws: DTLSError.self) { try pair.client.send([1, 2, 3], now: pair.now) }
        pair.handshake()
        do {
            try pair.client.send([UInt8](repeating: 0, count: 16_385), now: pair.now)
            Issue.record("accepted an oversized record")
        } catch {
            #expect(error.code == .recordTooLarge)
        }
    }

    @Test("close_notify from the client closes the server, and the server answers")
    func clientCloses() throws {
        let pair = try LinkedPair()
        pair.handshake()
        pair.client.close(now: pair.now)
        pair.pump()
        #expect(pair.clientEvents.last == .closed)
        #expect(pair.serverEvents.last == .closed)
        #expect(pair.sent.suffix(2).map(\.fromClient) == [true, false], "both sides sent close_notify")
        #expect(pair.server.state == .closed && pair.client.state == .closed)
    }

    @Test("close_notify from the server closes the client")
    func serverCloses() throws {
        let pair = try LinkedPair()
        pair.handshake()
        pair.server.close(now: pair.now)
        pair.pump()
        #expect(pair.clientEvents.last == .closed)
        #expect(pair.serverEvents.last == .closed)
        #expect(pair.clientEvents.filter { $0 == .closed }.count == 1)
    }

    @Test("a handshake with no answer fails at the handshake timeout on the caller's clock")
    func handshakeTimeout() throws {
        var config = DTLSTransport.Configuration()
        config.handshakeTimeout = .seconds(10)
        let client = try DTLSTransport(
            role: .client, certificate: Certificates.client, remoteFingerprints: [Certificates.server.fingerprint],
            configuration: config
        )
        client.start(now: .zero)
        #expect(client.pollDatagram() != nil)
        let deadline = try #require(client.pollTimeout())
        #expect(deadline == .zero + .seconds(1), "the first retransmission is due after the initial interval")
        client.handleTimeout(now: .zero + .seconds(10))
        var events: [DTLSEvent] = []
        while let e = client.pollEvent() { events.append(e) }
        #expect(LinkedPair.failure(events)?.code == .handshakeTimeout)
        #expect(client.state == .failed)
    }

    static func recordCount(_ datagram: [UInt8]) -> Int {
        var n = 0, i = 0
        while i + 13 <= datagram.count {
            i += 13 + (Int(datagram[i + 11]) << 8 | Int(datagram[i + 12]))
            n += 1
        }
        return n
    }
}

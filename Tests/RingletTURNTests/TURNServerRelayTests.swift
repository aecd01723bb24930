import RingletCore
import RingletSTUN
import RingletTURN
import Testing

@Suite("TURN server: permissions, channels and relayed data")
struct TURNServerRelayTests {
    let flow = ServerHarness.flow("192.0.2.50:52000")
    let peer = TransportAddress(IPAddress(93, 184, 216, 34), 7000)
    let otherPeer = TransportAddress(IPAddress(93, 184, 216, 35), 7000)

    /// A server, a client with an allocation, and its relay.
    func allocated(_ configure: (inout TURNServer.Configuration) -> Void = { _ in })
        throws -> (ServerHarness, FakeClient, TransportAddress)
    {
        var h = try ServerHarness(configure)
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        return (h, c, relay)
    }

    func send(_ data: [UInt8], to peer: TransportAddress, _ c: inout FakeClient) throws -> [UInt8] {
        try c.message(.send, .indication, [FakeClient.peer(peer), STUNAttribute(type: .data, value: data)], sign: false)
    }

    @Test("the peer-address policy", arguments: [
        ("93.184.216.34", false, false, true), ("127.0.0.1", false, false, false), ("127.0.0.1", true, false, true),
        ("10.1.2.3", false, false, false), ("10.1.2.3", false, true, true), ("192.168.1.1", false, true, true),
        ("169.254.1.1", false, false, false), ("169.254.1.1", false, true, true), ("0.0.0.0", true, true, false),
        ("0.1.2.3", true, true, false), ("224.0.0.1", true, true, false), ("255.255.255.255", true, true, false),
        ("::1", false, false, false), ("::1", true, false, true), ("::", true, true, false), ("ff02::1", true, true, false),
        ("fe80::1", false, false, false), ("fd00::1", false, true, true), ("::ffff:127.0.0.1", false, false, false),
        ("::ffff:10.0.0.1", false, false, false), ("64:ff9b::7f00:1", false, false, false),
        ("2001:db8::1", false, false, true), ("::ffff:93.184.216.34", false, false, true),
    ])
    func peerPolicy(address: String, loopback: Bool, privateOK: Bool, allowed: Bool) throws {
        let h = try ServerHarness {
            $0.allowLoopbackPeers = loopback
            $0.allowPrivatePeers = privateOK
        }
        #expect(h.server.isPeerAllowed(try #require(IPAddress(address))) == allowed)
    }

    @Test("CreatePermission for a loopback peer gets 403 unless allowed")
    func loopbackPermission() throws {
        let loopback = TransportAddress(.loopbackV4, 9)
        var (h, c, _) = try allocated()
        #expect(try c.request(.createPermission, [FakeClient.peer(loopback)], on: &h)?.errorCode == 403)
        var (h2, c2, _) = try allocated { $0.allowLoopbackPeers = true }
        #expect(try c2.request(.createPermission, [FakeClient.peer(loopback)], on: &h2)?.type.messageClass
            == .successResponse)
    }

    @Test("CreatePermission with several peers is all or nothing")
    func allOrNothing() throws {
        var (h, c, relay) = try allocated()
        let r = try c.request(.createPermission, [FakeClient.peer(peer), FakeClient.peer(TransportAddress(IPAddress(10, 0, 0, 1), 1))], on: &h)
        #expect(r?.errorCode == 403)
        #expect(h.fromClient(try send([1], to: peer, &c), flow).toPeer.isEmpty)
        #expect(h.fromPeer([1], relay: relay, peer: peer).isEmpty)
    }

    @Test("CreatePermission without XOR-PEER-ADDRESS gets 400; an IPv6 peer on an IPv4 relay gets 443")
    func badPermissions() throws {
        var (h, c, _) = try allocated()
        #expect(try c.request(.createPermission, [], on: &h)?.errorCode == 400)
        let v6 = TransportAddress(try #require(IPAddress("2001:db8::1")), 9)
        #expect(try c.request(.createPermission, [FakeClient.peer(v6)], on: &h)?.errorCode == 443)
    }

    @Test("permissions past maxPermissionsPerAllocation get 508")
    func permissionQuota() throws {
        var (h, c, _) = try allocated { $0.maxPermissionsPerAllocation = 1 }
        #expect(try c.request(.createPermission, [FakeClient.peer(peer)], on: &h)?.type.messageClass == .successResponse)
        #expect(try c.request(.createPermission, [FakeClient.peer(otherPeer)], on: &h)?.errorCode == 508)
        #expect(try c.request(.createPermission, [FakeClient.peer(peer)], on: &h)?.type.messageClass == .successResponse)
    }

    @Test("data flows both ways through Send and Data indications once a permission exists")
    func indications() throws {
        var (h, c, relay) = try allocated()
        #expect(h.fromClient(try send([1, 2, 3], to: peer, &c), flow).toPeer.isEmpty)
        #expect(h.server.counters.droppedNoPermission == 1)
        #expect(try c.request(.createPermission, [FakeClient.peer(peer)], on: &h)?.type.messageClass == .successResponse)
        let out = h.fromClient(try send([1, 2, 3], to: peer, &c), flow).toPeer
        #expect(out == [Datagram(source: relay, destination: peer, payload: [1, 2, 3])])

        // Any port of a permitted IP may answer (permissions ignore the port).
        let from = TransportAddress(peer.ip, 7777)
        let data = try #require(h.fromPeer([9, 8, 7, 6, 5], relay: relay, peer: from).response)
        #expect(data.type == STUNMessageType(method: .data, messageClass: .indication))
        #expect(try data.attribute(STUNXORPeerAddress.self)?.address.transportAddress == from)
        #expect(try data.attribute(STUNData.self)?.bytes.elementsEqual([9, 8, 7, 6, 5]) == true)
        #expect(h.fromPeer([1], relay: relay, peer: otherPeer).isEmpty)
        #expect(h.server.counters.clientToPeerPackets == 1)
        #expect(h.server.counters.clientToPeerBytes == 3)
        #expect(h.server.counters.peerToClientPackets == 1)
        #expect(h.server.counters.peerToClientBytes == 5)
    }

    @Test("data flows both ways as ChannelData once a channel is bound")
    func channels() throws {
        var (h, c, relay) = try allocated()
        let r = try c.request(.channelBind, [FakeClient.channel(0x4001), FakeClient.peer(peer)], on: &h)
        #expect(r?.type.messageClass == .successResponse)
        #expect(r?.verifyMessageIntegrity(try c.key()) == true)
        let toPeer = h.fromClient(try ChannelData(channelNumber: 0x4001, data: [4, 5, 6]).bytes(), flow).toPeer
        #expect(toPeer == [Datagram(source: relay, destination: peer, payload: [4, 5, 6])])
        let back = h.fromPeer([7, 8, 9, 10, 11], relay: relay, peer: peer).toClient(flow)
        #expect(back == [[0x40, 0x01, 0x00, 0x05, 7, 8, 9, 10, 11]])
        // Another port of the same IP has the permission but no channel: a Data indication.
        let other = h.fromPeer([1], relay: relay, peer: TransportAddress(peer.ip, 1)).response
        #expect(other?.type.method == .data)
        // An unbound channel number is dropped.
        #expect(h.fromClient(try ChannelData(channelNumber: 0x4002, data: [1]).bytes(), flow).isEmpty)
    }

    @Test("ChannelBind validation (RFC 8656 §11.2)", arguments: [
        "numberTooLow", "numberTooHigh", "noPeer", "noNumber", "numberTakenByOtherPeer", "peerTakenByOtherNumber",
        "rebindSame", "loopbackPeer",
    ])
    func channelBindRules(rule: String) throws {
        var (h, c, _) = try allocated()
        #expect(try c.request(.channelBind, [FakeClient.channel(0x4000), FakeClient.peer(peer)], on: &h)?
            .type.messageClass == .successResponse)
        let attributes: [STUNAttribute]
        var expected = 400
        switch rule {
        case "numberTooLow": attributes = [try STUNAttribute(type: .channelNumber, value: [0x3F, 0xFF, 0, 0]), FakeClient.peer(otherPeer)]
        case "numberTooHigh": attributes = [try STUNAttribute(type: .channelNumber, value: [0x80, 0x00, 0, 0]), FakeClient.peer(otherPeer)]
        case "noPeer": attributes = [try FakeClient.channel(0x4001)]
        case "noNumber": attributes = [FakeClient.peer(otherPeer)]
        case "numberTakenByOtherPeer": attributes = [try FakeClient.channel(0x4000), FakeClient.peer(otherPeer)]
        case "peerTakenByOtherNumber": attributes = [try FakeClient.channel(0x4001), FakeClient.peer(peer)]
        case "loopbackPeer":
            attributes = [try FakeClient.channel(0x4001), FakeClient.peer(TransportAddress(.loopbackV4, 1))]
            expected = 403
        default:
            attributes = [try FakeClient.channel(0x4000), FakeClient.peer(peer)]
            expected = 0
        }
        let r = try #require(try c.request(.channelBind, attributes, on: &h))
        if expected == 0 {
            #expect(r.type.messageClass == .successResponse)
        } else {
            #expect(r.errorCode == expected)
        }
    }

    @Test("permissions expire after 300 s without a refresh")
    func permissionExpiry() throws {
        var (h, c, relay) = try allocated()
        _ = try c.request(.createPermission, [FakeClient.peer(peer)], on: &h)
        _ = h.advance(.seconds(299))
        #expect(h.fromPeer([1], relay: relay, peer: peer).count == 1)
        _ = h.advance(.seconds(2))
        #expect(h.fromPeer([1], relay: relay, peer: peer).isEmpty)
        #expect(h.fromClient(try send([1], to: peer, &c), flow).toPeer.isEmpty)
        #expect(h.server.counters.droppedNoPermission == 2)
    }

    @Test("channels expire after 600 s; the number stays reserved for its peer 300 s more")
    func channelExpiry() throws {
        var (h, c, relay) = try allocated { $0.defaultLifetime = .seconds(3000) }
        _ = try c.request(.channelBind, [FakeClient.channel(0x4000), FakeClient.peer(peer)], on: &h)
        for _ in 0..<2 {
            _ = h.advance(.seconds(290))
            _ = try c.request(.createPermission, [FakeClient.peer(peer)], on: &h) // keep the permission only
        }
        _ = h.advance(.seconds(19)) // 599 s
        #expect(h.fromClient(try ChannelData(channelNumber: 0x4000, data: [1]).bytes(), flow).toPeer.count == 1)
        _ = h.advance(.seconds(2)) // 601 s
        #expect(h.fromClient(try ChannelData(channelNumber: 0x4000, data: [1]).bytes(), flow).toPeer.isEmpty)
        #expect(h.fromPeer([1], relay: relay, peer: peer).response?.type.method == .data)
        c.nonce = nil
        _ = h.fromClient(try c.message(.refresh, .request, [], sign: false), flow).response.map { c.nonce = $0.nonceValue }
        #expect(try c.request(.channelBind, [FakeClient.channel(0x4000), FakeClient.peer(otherPeer)], on: &h)?
            .errorCode == 400)
        _ = h.advance(.seconds(300)) // 901 s: the reservation is over
        c.nonce = nil
        _ = h.fromClient(try c.message(.refresh, .request, [], sign: false), flow).response.map { c.nonce = $0.nonceValue }
        #expect(try c.request(.channelBind, [FakeClient.channel(0x4000), FakeClient.peer(otherPeer)], on: &h)?
            .type.messageClass == .successResponse)
    }

    @Test("after an allocation expires, its relay drops data both ways")
    func allocationExpiryStopsData() throws {
        var (h, c, relay) = try allocated()
        _ = try c.request(.createPermission, [FakeClient.peer(peer)], on: &h)
        _ = h.advance(.seconds(601))
        #expect(h.fromPeer([1], relay: relay, peer: peer).isEmpty)
        #expect(h.fromClient(try send([1], to: peer, &c), flow).isEmpty)
        #expect(h.server.counters.droppedNoAllocation == 2)
    }
}

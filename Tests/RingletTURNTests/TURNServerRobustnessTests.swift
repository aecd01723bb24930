@_spi(Fuzzing) import RingletTURN
import RingletCore
import RingletSTUN
import Testing

@Suite("TURN server: bad input never traps")
struct TURNServerRobustnessTests {
    let flow = ServerHarness.flow("192.0.2.70:54000")
    let peer = TransportAddress(IPAddress(93, 184, 216, 34), 7000)

    @Test("empty, tiny, truncated and non-STUN datagrams are dropped and counted", arguments: [
        [], [0x00], [0x00, 0x01, 0x00], [0x00, 0x03, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42],
        [0x80, 1, 2, 3, 4], [0x40, 0x00, 0x00, 0x10, 1, 2], [0x50, 0x00, 0x00, 0x00],
        Array(repeating: 0xFF, count: 40),
    ] as [[UInt8]])
    func dropped(input: [UInt8]) throws {
        var h = try ServerHarness()
        #expect(h.fromClient(input, flow).isEmpty)
        #expect(h.server.counters.droppedMalformed + h.server.counters.droppedNoAllocation == 1)
    }

    @Test("a truncated copy of every prefix of a valid request is dropped, never answered wrongly")
    func truncatedPrefixes() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        _ = try c.allocate(on: &h)
        let request = try c.message(.createPermission, .request, [FakeClient.peer(peer)])
        for n in 0..<request.count {
            #expect(h.fromClient(Array(request[..<n]), flow).messages.isEmpty)
        }
    }

    @Test("a malformed attribute in an authenticated request gets 400, signed")
    func malformedAttribute() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        _ = try c.allocate(on: &h)
        let r = try #require(try c.request(.refresh, [try STUNAttribute(type: .lifetime, value: [1, 2])], on: &h))
        #expect(r.errorCode == 400)
        #expect(r.verifyMessageIntegrity(try c.key()))
    }

    @Test("an unknown comprehension-required attribute in a TURN request gets 420")
    func unknownAttribute() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        _ = try c.allocate(on: &h)
        let r = try c.request(.refresh, [try STUNAttribute(type: STUNAttributeType(rawValue: 0x7777), value: [])], on: &h)
        #expect(r?.errorCode == 420)
    }

    @Test("20 000 seeded random inputs from clients and peers, and mutations of valid ones, never trap")
    func seededGarbage() throws {
        var h = try ServerHarness { $0.allowLoopbackPeers = true }
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        _ = try c.request(.channelBind, [FakeClient.channel(0x4000), FakeClient.peer(peer)], on: &h)
        let valid: [[UInt8]] = [
            try c.message(.createPermission, .request, [FakeClient.peer(peer)]),
            try c.message(.channelBind, .request, [FakeClient.channel(0x4001), FakeClient.peer(peer)]),
            try c.message(.send, .indication, [FakeClient.peer(peer), STUNAttribute(type: .data, value: [1, 2, 3])],
                          sign: false),
            try c.message(.binding, .request, [], sign: false, fingerprint: true),
            try ChannelData(channelNumber: 0x4000, data: [1, 2, 3, 4]).bytes(),
        ]
        var random = SeededRandom(seed: 20_000)
        let tcp = ServerHarness.flow("192.0.2.71:1", .tcp)
        var outputs = 0
        for i in 0..<20_000 {
            var input: [UInt8]
            if i % 2 == 0 {
                input = random.bytes(Int(random.next() % 120))
                if i % 4 == 0, !input.isEmpty { input[0] &= 0x3F } // look like STUN or ChannelData more often
            } else {
                input = valid[Int(random.next() % UInt64(valid.count))]
                for _ in 0..<(1 + Int(random.next() % 4)) where !input.isEmpty {
                    input[Int(random.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            outputs += h.fromClient(input, flow).count
            outputs += h.fromClient(input, tcp).count
            outputs += h.fromPeer(input, relay: relay, peer: peer).count
            if i % 1000 == 999 { _ = h.advance(.seconds(1)) }
        }
        #expect(outputs > 0)
        #expect(h.server.counters.droppedMalformed > 0)
    }

    @Test("the fuzz entry point survives seeded inputs and valid messages")
    func fuzzEntry() throws {
        var random = SeededRandom(seed: 99)
        var c = try FakeClient(flow)
        c.nonce = "x"
        let samples: [[UInt8]] = [
            [], try c.message(.binding, .request, [], sign: false),
            try ChannelData(channelNumber: 0x4000, data: [1, 2, 3]).bytes(),
            try c.message(.send, .indication, [FakeClient.peer(peer), STUNAttribute(type: .data, value: [1])], sign: false),
        ]
        for s in samples { TURNServerFuzz.fromClient(s) }
        for _ in 0..<300 { TURNServerFuzz.fromClient(random.bytes(Int(random.next() % 64))) }
    }
}

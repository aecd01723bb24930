import RingletCore
import RingletSTUN
import RingletTURN
import Testing

/// The relay fast path (`relayFromClient` / `relayFromPeer` writing into the caller's buffer) against the
/// output queue (`handleFromClient` / `handleFromPeer` then `pollOutput`): same bytes, same routes, same counters.
@Suite("TURN server: the relay fast path")
struct TURNServerFastPathTests {
    static let peer = TransportAddress(IPAddress(93, 184, 216, 34), 7000)
    static let portOfSameIP = TransportAddress(IPAddress(93, 184, 216, 34), 7001)

    /// A server whose client holds an allocation with a permission for `peer` and channel 0x4001 bound to it.
    struct Setup {
        var h: ServerHarness
        var c: FakeClient
        let relay: TransportAddress

        init(_ transport: TransportProtocol = .udp, channel: UInt16 = 0x4001) throws {
            h = try ServerHarness()
            c = try FakeClient(ServerHarness.flow("192.0.2.50:52000", transport))
            relay = try #require(try c.allocate(on: &h))
            let bound = try c.request(.channelBind, [FakeClient.rawChannel(channel), FakeClient.peer(peer)], on: &h)
            #expect(bound?.type.messageClass == .successResponse)
        }
    }

    enum Input: String, CaseIterable, Sendable {
        case sendIndication, sendIndicationWithFingerprint, channelData, channelDataPadded
        case peerOnChannel, peerOnChannelToTCP, peerWithoutChannel, peerWithoutChannelOddLength
    }

    /// Feeds `input` to `setup` through the output queue (`viaQueue`) or the fast path; returns the bytes and
    /// where they go.
    static func relay(_ input: Input, _ s: inout Setup, viaQueue: Bool) throws
        -> (bytes: [UInt8], route: TURNServer.Transmission)?
    {
        let flow = s.c.flow
        var fromClient: [UInt8]?
        var peerDatagram: (bytes: [UInt8], from: TransportAddress)?
        switch input {
        case .sendIndication, .sendIndicationWithFingerprint:
            fromClient = try s.c.message(.send, .indication, [FakeClient.peer(peer),
                                                              STUNAttribute(type: .data, value: Array(0..<37))],
                                         sign: false, fingerprint: input == .sendIndicationWithFingerprint)
        case .channelData:
            fromClient = try ChannelData(channelNumber: 0x4001, data: Array(0..<37)).bytes()
        case .channelDataPadded:
            fromClient = try ChannelData(channelNumber: 0x4001, data: Array(0..<37)).bytes(padded: true)
        case .peerOnChannel, .peerOnChannelToTCP:
            peerDatagram = (Array(0..<37), peer)
        case .peerWithoutChannel:
            peerDatagram = (Array(0..<40), portOfSameIP)
        case .peerWithoutChannelOddLength:
            peerDatagram = (Array(0..<37), portOfSameIP)
        }
        if viaQueue {
            let outputs = fromClient.map { s.h.fromClient($0, flow) }
                ?? peerDatagram.map { s.h.fromPeer($0.bytes, relay: s.relay, peer: $0.from) } ?? []
            guard outputs.count == 1 else { return nil }
            switch outputs[0] {
            case .toClient(let f, let payload): return (payload, .toClient(f))
            case .toPeer(let d): return (d.payload, .toPeer(source: d.source, destination: d.destination))
            default: return nil
            }
        }
        var writer = ByteWriter()
        let result: TURNServer.RelayResult
        if let fromClient {
            result = s.h.server.relayFromClient(fromClient[...], flow: flow, now: s.h.now, into: &writer)
        } else if let peerDatagram {
            result = s.h.server.relayFromPeer(peerDatagram.bytes[...], relay: s.relay, peer: peerDatagram.from,
                                              now: s.h.now, into: &writer)
        } else {
            return nil
        }
        #expect(s.h.server.pollOutput() == nil, "the fast path queues no output")
        guard case .transmit(let route) = result else { return nil }
        return (writer.bytes, route)
    }

    @Test("the fast path writes byte for byte what the output queue carries", arguments: Input.allCases)
    func sameBytes(input: Input) throws {
        let transport: TransportProtocol = input == .peerOnChannelToTCP ? .tcp : .udp
        var queued = try Setup(transport)
        var direct = try Setup(transport)
        let old = try #require(try Self.relay(input, &queued, viaQueue: true))
        let new = try #require(try Self.relay(input, &direct, viaQueue: false))
        #expect(new.bytes == old.bytes)
        #expect(new.route == old.route)
        #expect(direct.h.server.counters == queued.h.server.counters)
        // And twice more: Data indication transaction IDs stay in step.
        for _ in 0..<2 {
            #expect(try Self.relay(input, &direct, viaQueue: false)?.bytes == Self.relay(input, &queued, viaQueue: true)?.bytes)
        }
    }

    @Test("the relayed bytes are what RFC 8656 says", arguments: Input.allCases)
    func wireFormat(input: Input) throws {
        var s = try Setup(input == .peerOnChannelToTCP ? .tcp : .udp)
        let out = try #require(try Self.relay(input, &s, viaQueue: false))
        switch input {
        case .sendIndication, .sendIndicationWithFingerprint, .channelData, .channelDataPadded:
            #expect(out.bytes == Array(0..<37))
            #expect(out.route == .toPeer(source: s.relay, destination: Self.peer))
        case .peerOnChannel:
            #expect(out.bytes == [0x40, 0x01, 0x00, 37] + Array(0..<37))
        case .peerOnChannelToTCP:
            #expect(out.bytes == [0x40, 0x01, 0x00, 37] + Array(0..<37) + [0, 0, 0])
        case .peerWithoutChannel, .peerWithoutChannelOddLength:
            let m = try STUNMessage(parsing: out.bytes)
            #expect(m.type == STUNMessageType(method: .data, messageClass: .indication))
            #expect(try m.attribute(STUNXORPeerAddress.self)?.address.transportAddress == Self.portOfSameIP)
            #expect(m.firstAttribute(.data)?.value.count == (input == .peerWithoutChannel ? 40 : 37))
            #expect(out.route == .toClient(s.c.flow))
        }
    }

    @Test("the fast path appends after what the writer already holds")
    func appends() throws {
        var s = try Setup()
        var writer = ByteWriter()
        writer.writeBytes([0xAA, 0xBB] as [UInt8])
        let result = s.h.server.relayFromPeer([1, 2, 3], relay: s.relay, peer: Self.peer, now: s.h.now, into: &writer)
        #expect(result == .transmit(.toClient(s.c.flow)))
        #expect(writer.bytes == [0xAA, 0xBB, 0x40, 0x01, 0x00, 0x03, 1, 2, 3])
    }

    @Test("requests, TCP bytes and malformed data are not the fast path's; nothing is written or counted")
    func notData() throws {
        var s = try Setup()
        let flow = s.c.flow
        let inputs: [([UInt8], TURNServer.ClientFlow)] = [
            (try s.c.message(.refresh, .request, []), flow),
            (try s.c.message(.binding, .request, [], sign: false), flow),
            ([0x40, 0x01, 0x00, 0x09, 1, 2], flow), // ChannelData shorter than its Length
            ([0x40], flow),
            ([0xC0, 0, 0, 0], flow),
            ([], flow),
            (try ChannelData(channelNumber: 0x4001, data: [1]).bytes(padded: true),
             ServerHarness.flow("192.0.2.50:52000", .tcp)),
        ]
        let before = s.h.server.counters
        for (bytes, f) in inputs {
            var writer = ByteWriter()
            #expect(s.h.server.relayFromClient(bytes[...], flow: f, now: s.h.now, into: &writer) == .notData)
            #expect(writer.count == 0)
        }
        #expect(s.h.server.counters == before)
        #expect(s.h.server.pollOutput() == nil)
    }

    @Test("data no permission, channel or allocation matches is dropped and counted; nothing is written")
    func dropped() throws {
        var s = try Setup()
        let flow = s.c.flow
        let stranger = TransportAddress(IPAddress(93, 184, 216, 99), 1)
        var writer = ByteWriter()
        let unbound = try ChannelData(channelNumber: 0x4002, data: [1]).bytes()
        #expect(s.h.server.relayFromClient(unbound[...], flow: flow, now: s.h.now, into: &writer) == .dropped)
        let noPermission = try s.c.message(.send, .indication, [FakeClient.peer(stranger),
                                                                STUNAttribute(type: .data, value: [1])], sign: false)
        #expect(s.h.server.relayFromClient(noPermission[...], flow: flow, now: s.h.now, into: &writer) == .dropped)
        #expect(s.h.server.relayFromPeer([1], relay: s.relay, peer: stranger, now: s.h.now, into: &writer) == .dropped)
        #expect(s.h.server.relayFromPeer([1], relay: TransportAddress(ServerHarness.relayIP, 1), peer: Self.peer,
                                         now: s.h.now, into: &writer) == .dropped)
        var corrupted = try s.c.message(.send, .indication, [FakeClient.peer(Self.peer),
                                                             STUNAttribute(type: .data, value: [1])],
                                        sign: false, fingerprint: true)
        corrupted[corrupted.count - 1] ^= 0xFF
        #expect(s.h.server.relayFromClient(corrupted[...], flow: flow, now: s.h.now, into: &writer) == .dropped)
        #expect(writer.count == 0)
        #expect(s.h.server.counters.droppedNoAllocation == 2)
        #expect(s.h.server.counters.droppedNoPermission == 2)
        #expect(s.h.server.counters.droppedMalformed == 1)
        #expect(s.h.server.counters.clientToPeerPackets == 0)
        #expect(s.h.server.pollOutput() == nil)
    }
}

/// Channel numbers above RFC 8656's 0x4FFF (RFC 5766 §11 allowed 0x4000–0x7FFF), as coturn's tools pick them.
@Suite("TURN server: RFC 5766 channel numbers")
struct TURNServerChannelNumberTests {
    static let peer = TransportAddress(IPAddress(93, 184, 216, 34), 7000)

    @Test("ChannelBind takes numbers up to 0x7FFF by default, and data flows on them both ways",
          arguments: [UInt16(0x5000), 0x6A5C, 0x7FFF])
    func rfc5766Numbers(number: UInt16) throws {
        var h = try ServerHarness()
        let flow = ServerHarness.flow("192.0.2.50:52000")
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        let bound = try c.request(.channelBind, [FakeClient.rawChannel(number), FakeClient.peer(Self.peer)], on: &h)
        #expect(bound?.type.messageClass == .successResponse)
        let hi = UInt8(number >> 8), lo = UInt8(number & 0xFF)
        #expect(h.fromClient([hi, lo, 0x00, 0x02, 7, 8], flow).toPeer
            == [Datagram(source: relay, destination: Self.peer, payload: [7, 8])])
        #expect(h.fromPeer([9], relay: relay, peer: Self.peer).toClient(flow) == [[hi, lo, 0x00, 0x01, 9]])
    }

    @Test("over TCP a ChannelData frame numbered 0x7FFF is framed and relayed")
    func rfc5766NumberOverTCP() throws {
        var h = try ServerHarness()
        let flow = ServerHarness.flow("192.0.2.50:52000", .tcp)
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        _ = try c.request(.channelBind, [FakeClient.rawChannel(0x7FFF), FakeClient.peer(Self.peer)], on: &h)
        #expect(h.fromClient([0x7F, 0xFF, 0x00, 0x01, 5, 0, 0, 0], flow).toPeer
            == [Datagram(source: relay, destination: Self.peer, payload: [5])])
        #expect(h.fromPeer([6], relay: relay, peer: Self.peer).toClient(flow) == [[0x7F, 0xFF, 0x00, 0x01, 6, 0, 0, 0]])
    }

    @Test("with acceptsRFC5766ChannelNumbers off, numbers above 0x4FFF get 400 and their ChannelData is dropped (RFC 8656 §12)")
    func strictRFC8656() throws {
        var h = try ServerHarness { $0.acceptsRFC5766ChannelNumbers = false }
        let flow = ServerHarness.flow("192.0.2.50:52000")
        var c = try FakeClient(flow)
        _ = try #require(try c.allocate(on: &h))
        #expect(try c.request(.channelBind, [FakeClient.rawChannel(0x5000), FakeClient.peer(Self.peer)], on: &h)?
            .errorCode == 400)
        #expect(try c.request(.channelBind, [FakeClient.rawChannel(0x4FFF), FakeClient.peer(Self.peer)], on: &h)?
            .type.messageClass == .successResponse)
        #expect(h.fromClient([0x50, 0x00, 0x00, 0x01, 1], flow).isEmpty)
        #expect(h.server.counters.droppedMalformed == 1)
    }

    @Test("numbers outside 0x4000–0x7FFF always get 400", arguments: [UInt16(0x0000), 0x3FFF, 0x8000, 0xFFFF])
    func outOfRange(number: UInt16) throws {
        var h = try ServerHarness()
        var c = try FakeClient(ServerHarness.flow("192.0.2.50:52000"))
        _ = try #require(try c.allocate(on: &h))
        #expect(try c.request(.channelBind, [FakeClient.rawChannel(number), FakeClient.peer(Self.peer)], on: &h)?
            .errorCode == 400)
    }
}

import RingletCore
import RingletSTUN
import RingletTURN
import Testing

@Suite("TURN server: TCP clients")
struct TURNServerStreamTests {
    let flow = ServerHarness.flow("192.0.2.60:53000", .tcp)
    let peer = TransportAddress(IPAddress(93, 184, 216, 34), 7000)

    @Test("requests split into single bytes are framed and answered")
    func byteByByte() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        var answers: [TURNServer.Output] = []
        for b in try c.message(.allocate, .request, [FakeClient.udpTransport()], sign: false) {
            answers += h.fromClient([b], flow)
        }
        #expect(answers.response?.errorCode == 401)
    }

    @Test("two messages in one read get two answers")
    func twoInOne() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let bytes = try c.message(.allocate, .request, [FakeClient.udpTransport()], sign: false)
            + c.message(.binding, .request, [], sign: false)
        #expect(h.fromClient(bytes, flow).messages.count == 2)
    }

    @Test("over TCP ChannelData is padded both ways, and a TCP allocation relays over UDP")
    func channelDataPadded() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        #expect(try c.request(.channelBind, [FakeClient.channel(0x4000), FakeClient.peer(peer)], on: &h)?
            .type.messageClass == .successResponse)
        var w = ByteWriter()
        try ChannelData(channelNumber: 0x4000, data: [1, 2, 3, 4, 5]).encode(into: &w, padded: true)
        let frame = w.bytes
        // Half a frame, then the rest with the first bytes of the next one.
        #expect(h.fromClient(Array(frame[0..<5]), flow).isEmpty)
        let out = h.fromClient(Array(frame[5...]) + frame[0..<2], flow)
        #expect(out.toPeer == [Datagram(source: relay, destination: peer, payload: [1, 2, 3, 4, 5])])
        #expect(h.fromClient(Array(frame[2...]), flow).toPeer.count == 1)
        let back = h.fromPeer([9, 9, 9], relay: relay, peer: peer).toClient(flow)
        #expect(back == [[0x40, 0x00, 0x00, 0x03, 9, 9, 9, 0]])
    }

    @Test("bytes that are not TURN framing close the connection and its allocation")
    func badFraming() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        let out = h.fromClient([0xC0, 0, 0, 0], flow)
        #expect(out.contains(.closeClientConnection(flow)))
        #expect(out.closedRelays == [relay])
        #expect(out.events == [.allocationDeleted(flow: flow, relay: relay, reason: .connectionClosed)])
    }

    @Test("a closed connection ends its allocation")
    func connectionClosed() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        h.server.handleClientConnectionClosed(flow, now: h.now)
        #expect(h.drain().closedRelays == [relay])
        #expect(h.server.relayAddress(for: flow) == nil)
    }
}

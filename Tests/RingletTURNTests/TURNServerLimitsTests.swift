import RingletCore
import RingletSTUN
import RingletTURN
import Testing

@Suite("TURN server: denied peers, nonces bound to the address, reflection and bandwidth limits")
struct TURNServerLimitsTests {
    let flow = ServerHarness.flow("192.0.2.50:52000")
    let peer = TransportAddress(IPAddress(93, 184, 216, 34), 7000)
    static let ownIP = IPAddress(198, 51, 100, 1)

    func allocated(_ flow: TURNServer.ClientFlow? = nil, _ configure: (inout TURNServer.Configuration) -> Void = { _ in })
        throws -> (ServerHarness, FakeClient, TransportAddress)
    {
        var h = try ServerHarness(configure)
        var c = try FakeClient(flow ?? self.flow)
        let relay = try #require(try c.allocate(on: &h))
        return (h, c, relay)
    }

    func send(_ data: [UInt8], to peer: TransportAddress, _ c: inout FakeClient) throws -> [UInt8] {
        try c.message(.send, .indication, [FakeClient.peer(peer), STUNAttribute(type: .data, value: data)], sign: false)
    }

    @Test("the cloud metadata address is refused even with private and link-local peers allowed")
    func metadataDenied() throws {
        let (h0, c0, _) = try allocated { $0.allowPrivatePeers = true }
        var h = h0, c = c0
        for address in ["169.254.169.254", "::ffff:169.254.169.254"] {
            let ip = try #require(IPAddress(address))
            #expect(!h.server.isPeerAllowed(TransportAddress(ip, 80)))
        }
        #expect(h.server.isPeerAllowed(TransportAddress(IPAddress(169, 254, 1, 1), 80)))
        let r = try c.request(.createPermission, [FakeClient.peer(TransportAddress(IPAddress(169, 254, 169, 254), 80))], on: &h)
        #expect(r?.errorCode == 403)
    }

    @Test("with loopback peers allowed, the server's own service ports stay refused, in permissions and on the data path")
    func servicePortsDenied() throws {
        let loopback = IPAddress.loopbackV4
        let (h0, c0, _) = try allocated {
            $0.allowLoopbackPeers = true
            $0.deniedPeerAddresses = [TransportAddress(loopback, 3478), TransportAddress(loopback, 8080)]
        }
        var h = h0, c = c0
        #expect(try c.request(.createPermission, [FakeClient.peer(TransportAddress(loopback, 8080))], on: &h)?.errorCode == 403)
        #expect(try c.request(.channelBind, [FakeClient.channel(0x4001), FakeClient.peer(TransportAddress(loopback, 3478))],
                              on: &h)?.errorCode == 403)
        let other = TransportAddress(loopback, 5000)
        #expect(try c.request(.createPermission, [FakeClient.peer(other)], on: &h)?.errorCode == nil)
        // The permission is per IP; a Send indication to the service port of that IP is still dropped.
        let before = h.server.counters.droppedNoPermission
        #expect(h.fromClient(try send([1, 2, 3], to: TransportAddress(loopback, 8080), &c), flow).toPeer.isEmpty)
        #expect(h.server.counters.droppedNoPermission == before + 1)
        #expect(h.fromClient(try send([1, 2, 3], to: other, &c), flow).toPeer.count == 1)
    }

    @Test("the server's own address is refused as a peer, except the relayed addresses of its own allocations")
    func ownAddressExceptRelays() throws {
        var h = try ServerHarness {
            $0.allowPrivatePeers = true
            $0.ownAddresses = [ServerHarness.relayIP]
        }
        var a = try FakeClient(flow)
        var b = try FakeClient(ServerHarness.flow("192.0.2.60:52000"), id: "device-43", seed: 2)
        let relayA = try #require(try a.allocate(on: &h))
        let relayB = try #require(try b.allocate(on: &h))
        // B's relayed address (on the server's own IP) is a fine peer for A: a TURN-only call between two clients.
        #expect(try a.request(.createPermission, [FakeClient.peer(relayB)], on: &h)?.errorCode == nil)
        #expect(h.fromClient(try send([7], to: relayB, &a), flow).toPeer.first?.destination == relayB)
        // Any other port of the server's own IP is not, though the permission for its IP exists now.
        let ssh = TransportAddress(ServerHarness.relayIP, 22)
        #expect(try a.request(.createPermission, [FakeClient.peer(ssh)], on: &h)?.errorCode == 403)
        #expect(h.fromClient(try send([7], to: ssh, &a), flow).toPeer.isEmpty)
        _ = relayA
    }

    @Test("a nonce works only from the address it was given to")
    func nonceBoundToAddress() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        #expect(try c.allocate(on: &h) != nil)
        let other = ServerHarness.flow("192.0.2.99:40000")
        var thief = try FakeClient(other, id: "thief", seed: 9)
        thief.nonce = c.nonce
        let r = try #require(try thief.request(.allocate, [FakeClient.udpTransport()], on: &h))
        #expect(r.errorCode == 438)
        #expect(r.nonceValue != nil && r.nonceValue != c.nonce)
        thief.nonce = r.nonceValue
        let ok = try #require(try thief.request(.allocate, [FakeClient.udpTransport()], on: &h))
        #expect(ok.type.messageClass == .successResponse)
    }

    @Test("answers to unauthenticated UDP requests are limited per source address; TCP and other addresses are not")
    func reflectionLimit() throws {
        var h = try ServerHarness {
            $0.unauthenticatedAnswerBurst = 10
            $0.unauthenticatedAnswersPerSecond = 2
        }
        var c = try FakeClient(flow)
        var answers = 0
        for _ in 0..<50 {
            answers += h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()], sign: false), flow)
                .messages.count
        }
        #expect(answers == 10)
        #expect(h.server.counters.droppedRateLimited == 40)
        let binding = try c.message(.binding, .request, [], sign: false)
        #expect(h.fromClient(binding, flow).messages.isEmpty, "Binding answers count too")
        #expect(h.fromClient(binding, ServerHarness.flow("192.0.2.51:1")).messages.count == 1)
        #expect(h.fromClient(binding, ServerHarness.flow("192.0.2.50:52000", .tcp)).messages.count == 1)
        _ = h.advance(.seconds(1))
        #expect(h.fromClient(binding, flow).messages.count == 1, "the rate refills")
    }

    @Test("an allocation relays at most its bandwidth; past it data is dropped and counted, and it refills")
    func allocationBandwidth() throws {
        let (h0, c0, relay) = try allocated { $0.allocationBytesPerSecond = 1000 }
        var h = h0, c = c0
        _ = try c.request(.createPermission, [FakeClient.peer(peer)], on: &h)
        var sent = 0
        for _ in 0..<20 { sent += h.fromClient(try send([UInt8](repeating: 1, count: 100), to: peer, &c), flow).toPeer.count }
        #expect(sent == 10)
        #expect(h.server.counters.droppedBandwidth == 10)
        // The other direction shares the budget.
        #expect(h.fromPeer([UInt8](repeating: 2, count: 100), relay: relay, peer: peer).toClient().isEmpty)
        _ = h.advance(.milliseconds(500))
        #expect(h.fromPeer([UInt8](repeating: 2, count: 100), relay: relay, peer: peer).toClient().count == 1)
    }

    @Test("all allocations together relay at most the total bandwidth")
    func totalBandwidth() throws {
        var h = try ServerHarness {
            $0.allocationBytesPerSecond = 0
            $0.totalBytesPerSecond = 500
        }
        var a = try FakeClient(flow)
        var b = try FakeClient(ServerHarness.flow("192.0.2.61:1"), id: "b", seed: 3)
        _ = try a.allocate(on: &h)
        _ = try b.allocate(on: &h)
        _ = try a.request(.createPermission, [FakeClient.peer(peer)], on: &h)
        _ = try b.request(.createPermission, [FakeClient.peer(peer)], on: &h)
        var sent = 0
        for _ in 0..<5 {
            sent += h.fromClient(try send([UInt8](repeating: 1, count: 100), to: peer, &a), flow).toPeer.count
            sent += h.fromClient(try send([UInt8](repeating: 1, count: 100), to: peer, &b), b.flow).toPeer.count
        }
        #expect(sent == 5)
    }

    @Test("hasAllocation tells the shell whether a TCP flow holds an allocation, pending ones included")
    func hasAllocation() throws {
        var h = try ServerHarness()
        let tcp = ServerHarness.flow("192.0.2.70:1000", .tcp)
        #expect(!h.server.hasAllocation(for: tcp))
        h.opensRelays = false
        var c = try FakeClient(tcp)
        _ = try c.allocate(on: &h)
        #expect(h.server.hasAllocation(for: tcp))
        h.server.handleClientConnectionClosed(tcp, now: h.now)
        #expect(!h.server.hasAllocation(for: tcp))
    }
}

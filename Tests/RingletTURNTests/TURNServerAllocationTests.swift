import RingletCore
import RingletSTUN
import RingletTURN
import Testing

@Suite("TURN server: Allocate and Refresh")
struct TURNServerAllocationTests {
    let flow = ServerHarness.flow("192.0.2.30:51000")

    @Test("the granted lifetime is the request clamped to [default, max]",
          arguments: [(UInt32?.none, UInt32(600)), (60, 600), (1200, 1200), (100_000, 3600)])
    func lifetimeClamped(requested: UInt32?, granted: UInt32) throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let extra = requested.map { [FakeClient.lifetime($0)] } ?? []
        _ = try c.allocate(on: &h, extra: extra)
        let r = h.fromClient(try c.message(.refresh, .request, extra), flow).response
        #expect(try r?.attribute(STUNLifetime.self)?.seconds == granted)
    }

    @Test("the maximum lifetime is configurable")
    func maxLifetimeConfigurable() throws {
        var h = try ServerHarness { $0.maxLifetime = .seconds(900) }
        var c = try FakeClient(flow)
        _ = try c.allocate(on: &h)
        #expect(try c.request(.refresh, [FakeClient.lifetime(5000)], on: &h)?.attribute(STUNLifetime.self)?.seconds == 900)
    }

    @Test("a Refresh keeps an allocation alive past its first lifetime")
    func refreshExtends() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        _ = h.advance(.seconds(500))
        #expect(try c.request(.refresh, [], on: &h)?.type.messageClass == .successResponse)
        let later = h.advance(.seconds(500))
        #expect(later.events.isEmpty)
        #expect(h.server.relayAddress(for: flow) == relay)
    }

    @Test("an allocation expires at the end of its lifetime, and its relay is closed")
    func expires() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        #expect(h.advance(.seconds(599)).events.isEmpty)
        let out = h.advance(.seconds(2))
        #expect(out.events == [.allocationDeleted(flow: flow, relay: relay, reason: .expired)])
        #expect(out.closedRelays == [relay])
        #expect(h.server.counters.allocations == 0)
        #expect(h.server.pollTimeout() == nil)
    }

    @Test("Refresh with LIFETIME 0 deletes the allocation and answers LIFETIME 0")
    func refreshZeroDeletes() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let relay = try #require(try c.allocate(on: &h))
        let out = h.fromClient(try c.message(.refresh, .request, [FakeClient.lifetime(0)]), flow)
        let r = try #require(out.response)
        #expect(try r.attribute(STUNLifetime.self)?.seconds == 0)
        #expect(r.verifyMessageIntegrity(try c.key()))
        #expect(out.closedRelays == [relay])
        #expect(out.events == [.allocationDeleted(flow: flow, relay: relay, reason: .refreshedToZero)])
        #expect(try c.request(.refresh, [], on: &h)?.errorCode == 437)
    }

    @Test("a second Allocate on the same 5-tuple gets 437; a retransmission gets the same success")
    func allocationMismatch() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        _ = h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()], sign: false), flow)
            .response.map { c.nonce = $0.nonceValue }
        let request = try c.message(.allocate, .request, [FakeClient.udpTransport()])
        let first = try #require(h.fromClient(request, flow).response)
        let again = try #require(h.fromClient(request, flow).response)
        #expect(again == first)
        #expect(h.relayRequests.count == 1)
        #expect(try c.request(.allocate, [FakeClient.udpTransport()], on: &h)?.errorCode == 437)
    }

    @Test("Refresh, CreatePermission and ChannelBind without an allocation get 437")
    func noAllocation() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        _ = try c.allocate(on: &h)
        var d = try FakeClient(ServerHarness.flow("192.0.2.31:51000"))
        // Its own nonce (a nonce is bound to the address it was given to): from the 401 to an unsigned request.
        d.nonce = h.fromClient(try d.message(.refresh, .request, [], sign: false), d.flow).response?.nonceValue
        #expect(d.nonce != nil && d.nonce != c.nonce)
        let peer = TransportAddress(IPAddress(8, 8, 8, 8), 9)
        #expect(try d.request(.refresh, [], on: &h)?.errorCode == 437)
        #expect(try d.request(.createPermission, [FakeClient.peer(peer)], on: &h)?.errorCode == 437)
        #expect(try d.request(.channelBind, [FakeClient.channel(0x4000), FakeClient.peer(peer)], on: &h)?.errorCode == 437)
    }

    @Test("REQUESTED-TRANSPORT other than UDP gets 442, none gets 400")
    func requestedTransport() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        _ = h.fromClient(try c.message(.allocate, .request, [], sign: false), flow).response.map { c.nonce = $0.nonceValue }
        let tcp = STUNAttribute(STUNRequestedTransport(protocolNumber: 6), transactionID: .init(high: 0, low: 0))
        #expect(try c.request(.allocate, [tcp], on: &h)?.errorCode == 442)
        #expect(try c.request(.allocate, [], on: &h)?.errorCode == 400)
    }

    @Test("EVEN-PORT, DONT-FRAGMENT and RESERVATION-TOKEN are answered as documented",
          arguments: ["even", "evenReserve", "dontFragment", "token", "tokenWithEven"])
    func allocateOptions(option: String) throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let zero = STUNTransactionID(high: 0, low: 0)
        let extra: [STUNAttribute]
        switch option {
        case "even": extra = [STUNAttribute(STUNEvenPort(reserveNext: false), transactionID: zero)]
        case "evenReserve": extra = [STUNAttribute(STUNEvenPort(reserveNext: true), transactionID: zero)]
        case "dontFragment": extra = [STUNAttribute(STUNDontFragment(), transactionID: zero)]
        case "token": extra = [STUNAttribute(STUNReservationToken(token: 42), transactionID: zero)]
        default: extra = [STUNAttribute(STUNReservationToken(token: 42), transactionID: zero),
                          STUNAttribute(STUNEvenPort(reserveNext: false), transactionID: zero)]
        }
        let relay = try c.allocate(on: &h, extra: extra)
        let r = h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()] + extra), flow).response
        switch option {
        case "even":
            #expect(relay != nil)
            #expect(h.relayRequests.first?.evenPort == true)
        case "dontFragment":
            #expect(relay != nil)
            #expect(h.relayRequests.first?.dontFragment == true)
        case "evenReserve", "token": #expect(relay == nil); #expect(r?.errorCode == 508)
        default: #expect(relay == nil); #expect(r?.errorCode == 400)
        }
    }

    @Test("REQUESTED-ADDRESS-FAMILY IPv6 gets 440 unless IPv6 relays are offered")
    func requestedFamily() throws {
        let v6 = STUNAttribute(STUNRequestedAddressFamily(.ipv6), transactionID: .init(high: 0, low: 0))
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        #expect(try c.allocate(on: &h, extra: [v6]) == nil)
        #expect(h.server.counters.refusals[440] == 1)

        var h6 = try ServerHarness { $0.relayAddressFamilies = [.v4, .v6] }
        h6.opensRelays = false
        var c6 = try FakeClient(flow)
        _ = try c6.allocate(on: &h6, extra: [v6])
        #expect(h6.relayRequests.first?.family == .v6)
    }

    @Test("a user past maxAllocationsPerUser gets 486; another user does not")
    func userQuota() throws {
        var h = try ServerHarness { $0.maxAllocationsPerUser = 2 }
        for port in [1, 2] as [UInt16] {
            var c = try FakeClient(ServerHarness.flow("192.0.2.40:\(port)"))
            #expect(try c.allocate(on: &h) != nil)
        }
        var third = try FakeClient(ServerHarness.flow("192.0.2.40:3"))
        #expect(try third.allocate(on: &h) == nil)
        #expect(h.server.counters.refusals[486] == 1)
        var other = try FakeClient(ServerHarness.flow("192.0.2.40:4"), id: "device-43")
        #expect(try other.allocate(on: &h) != nil)
    }

    @Test("the quota counts by id, so renewed credentials share it; or by username when configured",
          arguments: [TURNServer.Configuration.QuotaScope.id, .username])
    func quotaScope(scope: TURNServer.Configuration.QuotaScope) throws {
        var h = try ServerHarness {
            $0.maxAllocationsPerUser = 1
            $0.quotaScope = scope
        }
        var c = try FakeClient(ServerHarness.flow("192.0.2.41:1"))
        #expect(try c.allocate(on: &h) != nil)
        var renewed = try FakeClient(ServerHarness.flow("192.0.2.41:2"), expiry: ServerHarness.unixStart + 90_000)
        let relay = try renewed.allocate(on: &h)
        #expect((relay == nil) == (scope == .id))
    }

    @Test("the server past maxAllocations gets 508")
    func totalQuota() throws {
        var h = try ServerHarness { $0.maxAllocations = 2 }
        for port in [1, 2, 3] as [UInt16] {
            var c = try FakeClient(ServerHarness.flow("192.0.2.42:\(port)"), id: "d\(port)")
            #expect((try c.allocate(on: &h) != nil) == (port < 3))
        }
        #expect(h.server.counters.refusals[508] == 1)
        #expect(h.server.counters.allocations == 2)
    }

    @Test("a relay the shell cannot open gives 508 and frees the quota")
    func relayFailed() throws {
        var h = try ServerHarness { $0.maxAllocationsPerUser = 1 }
        h.opensRelays = false
        var c = try FakeClient(flow)
        #expect(try c.allocate(on: &h) == nil)
        let request = try #require(h.relayRequests.first)
        h.server.handleRelayFailed(request.id, now: h.now)
        let out = h.drain()
        #expect(out.response?.errorCode == 508)
        #expect(out.response?.verifyMessageIntegrity(try c.key()) == true)
        #expect(out.events == [.allocationDeleted(flow: flow, relay: nil, reason: .relayFailed)])
        h.opensRelays = true
        #expect(try c.allocate(on: &h) != nil)
    }

    @Test("a relay opened after its allocation went is closed again")
    func lateRelay() throws {
        var h = try ServerHarness()
        h.opensRelays = false
        let tcp = ServerHarness.flow("192.0.2.43:1", .tcp)
        var c = try FakeClient(tcp)
        _ = try c.allocate(on: &h)
        let request = try #require(h.relayRequests.first)
        h.server.handleClientConnectionClosed(tcp, now: h.now)
        _ = h.drain()
        let relay = TransportAddress(ServerHarness.relayIP, 40_000)
        h.server.handleRelayOpened(request.id, relay: relay, now: h.now)
        #expect(h.drain().closedRelays == [relay])
        #expect(h.server.counters.allocations == 0)
    }

    @Test("counters follow allocations")
    func counters() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        _ = try c.allocate(on: &h)
        #expect(h.server.counters.allocations == 1)
        #expect(h.server.counters.allocationsCreated == 1)
        _ = h.fromClient(try c.message(.refresh, .request, [FakeClient.lifetime(0)]), flow)
        #expect(h.server.counters.allocations == 0)
        #expect(h.server.counters.allocationsDeleted == 1)
        #expect(h.server.counters.refusals[401] == 1)
    }
}

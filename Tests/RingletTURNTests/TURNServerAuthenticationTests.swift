import RingletCore
import RingletSTUN
import RingletTURN
import Testing

@Suite("TURN server: long-term credentials in the REST convention")
struct TURNServerAuthenticationTests {
    let flow = ServerHarness.flow("192.0.2.20:50000")

    @Test("an Allocate without MESSAGE-INTEGRITY gets 401 with REALM and NONCE, unsigned")
    func unauthenticated() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        let r = try #require(h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()]), flow).response)
        #expect(r.type == STUNMessageType(method: .allocate, messageClass: .errorResponse))
        #expect(r.errorCode == 401)
        #expect(try r.attribute(STUNRealm.self)?.value == "ringlet")
        #expect((r.nonceValue?.count ?? 0) >= 16)
        #expect(!r.hasMessageIntegrity)
        #expect(h.server.counters.refusals[401] == 1)
    }

    @Test("401 then a signed Allocate succeeds, and the response is signed with the same key")
    func thenSuccess() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow, seed: 2)
        _ = h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()], sign: false), flow)
            .response.map { c.nonce = $0.nonceValue }
        let out = h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()]), flow)
        let r = try #require(out.response)
        #expect(r.type == STUNMessageType(method: .allocate, messageClass: .successResponse))
        #expect(r.verifyMessageIntegrity(try c.key()))
        let relay = try #require(try r.attribute(STUNXORRelayedAddress.self)?.address.transportAddress)
        #expect(relay.ip == ServerHarness.relayIP)
        #expect(try r.attribute(STUNXORMappedAddress.self)?.address.transportAddress == flow.client)
        #expect(try r.attribute(STUNLifetime.self)?.seconds == 600)
        #expect(out.events == [.allocationCreated(flow: flow, relay: relay)])
        #expect(h.server.relayAddress(for: flow) == relay)
    }

    @Test("an expired REST username gets 401")
    func expiredUsername() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow, expiry: ServerHarness.unixStart - 1)
        #expect(try c.allocate(on: &h) == nil)
        let again = h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()]), flow)
        #expect(again.response?.errorCode == 401)
        #expect(h.server.counters.allocations == 0)
    }

    @Test("a username that turns stale while the clock runs gets 401 on its next request")
    func expiresLater() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow, expiry: ServerHarness.unixStart + 100)
        #expect(try c.allocate(on: &h) != nil)
        _ = h.advance(.seconds(200))
        let r = try c.request(.refresh, [], on: &h)
        #expect(r?.errorCode == 401)
        #expect(r?.hasMessageIntegrity == false)
    }

    @Test("a wall clock re-synchronised past the username's expiry makes it stale")
    func wallClockResync() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow, expiry: ServerHarness.unixStart + 1000)
        #expect(try c.allocate(on: &h) != nil)
        #expect(try c.request(.refresh, [], on: &h)?.type.messageClass == .successResponse)
        h.server.synchronizeWallClock(unixTime: ServerHarness.unixStart + 2000, now: h.now)
        #expect(try c.request(.refresh, [], on: &h)?.errorCode == 401)
    }

    @Test("a password made with another secret gets 401")
    func wrongPassword() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow, secret: Array("not-the-secret".utf8))
        #expect(try c.allocate(on: &h) == nil)
        let r = h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()]), flow).response
        #expect(r?.errorCode == 401)
        #expect(r?.hasMessageIntegrity == false)
    }

    @Test("a username without an expiry gets 401")
    func noExpiry() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        c.username = "device-42"
        c.password = try TURNRESTCredential.password(username: "device-42", secret: ServerHarness.secret)
        #expect(try c.allocate(on: &h) == nil)
        #expect(h.server.counters.refusals[401] == 2)
    }

    @Test("a signed request without NONCE gets 400")
    func missingNonce() throws {
        var h = try ServerHarness()
        var random = SeededRandom(seed: 4)
        let c = try FakeClient(flow)
        let id = STUNTransactionID.random(using: &random)
        let m = try STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .request), transactionID: id,
                                attributes: [FakeClient.udpTransport(),
                                             STUNAttribute(try STUNUsername(c.username), transactionID: id)])
        let bytes = try m.encoded(messageIntegrity: try c.key())
        #expect(h.fromClient(bytes, flow).response?.errorCode == 400)
    }

    @Test("a nonce the server never gave gets 438 with a fresh NONCE")
    func unknownNonce() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        c.nonce = "0123456789abcdef0123456789abcdef"
        let r = try #require(h.fromClient(try c.message(.allocate, .request, [FakeClient.udpTransport()]), flow).response)
        #expect(r.errorCode == 438)
        #expect(r.nonceValue != nil && r.nonceValue != c.nonce)
        #expect(try r.attribute(STUNRealm.self)?.value == "ringlet")
    }

    @Test("a nonce past its lifetime gets 438, and the new nonce works")
    func staleNonce() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        #expect(try c.allocate(on: &h, extra: [FakeClient.lifetime(3600)]) != nil)
        let old = c.nonce
        _ = h.advance(.seconds(601))
        let r = try #require(try c.request(.refresh, [], on: &h))
        #expect(r.errorCode == 438)
        let fresh = try #require(r.nonceValue)
        #expect(fresh != old)
        c.nonce = fresh
        let ok = try #require(try c.request(.refresh, [], on: &h))
        #expect(ok.type.messageClass == .successResponse)
        #expect(ok.verifyMessageIntegrity(try c.key()))
    }

    @Test("after a rotation the previous nonce still works until its own end")
    func previousNonceStillValid() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        #expect(try c.allocate(on: &h) != nil)
        _ = h.advance(.seconds(350)) // past half the lifetime: the next request rotates
        let first = try #require(try c.request(.refresh, [], on: &h))
        #expect(first.type.messageClass == .successResponse)
        let second = try #require(try c.request(.refresh, [], on: &h))
        #expect(second.type.messageClass == .successResponse)
    }

    @Test("a request with a tampered MESSAGE-INTEGRITY gets 401")
    func tamperedIntegrity() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        #expect(try c.allocate(on: &h) != nil)
        var bytes = try c.message(.refresh, .request, [])
        bytes[bytes.count - 3] ^= 0x01
        #expect(h.fromClient(bytes, flow).response?.errorCode == 401)
    }

    @Test("a Refresh signed by another user of the same 5-tuple gets 441")
    func wrongCredentials() throws {
        var h = try ServerHarness()
        var c = try FakeClient(flow)
        #expect(try c.allocate(on: &h) != nil)
        var other = try FakeClient(flow, id: "someone-else", seed: 5)
        other.nonce = c.nonce
        let r = try #require(try other.request(.refresh, [], on: &h))
        #expect(r.errorCode == 441)
        #expect(r.verifyMessageIntegrity(try other.key()))
    }

    @Test("the configuration's description does not reveal the shared secret")
    func secretRedacted() throws {
        let configuration = TURNServer.Configuration(sharedSecret: ServerHarness.secret)
        let text = String(describing: configuration) + String(reflecting: configuration)
        #expect(!text.contains("north-wind"))
        #expect(!text.contains(String(describing: ServerHarness.secret)))
    }

    @Test("invalid configurations are refused once, naming the field", arguments: [
        "sharedSecret", "realm", "defaultLifetime", "maxLifetime", "maxAllocationsPerUser", "relayAddressFamilies",
    ])
    func invalidConfiguration(field: String) throws {
        var configuration = TURNServer.Configuration(sharedSecret: ServerHarness.secret)
        switch field {
        case "sharedSecret": configuration.sharedSecret = Redacted([])
        case "realm": configuration.realm = ""
        case "defaultLifetime": configuration.defaultLifetime = .zero
        case "maxLifetime": configuration.maxLifetime = .seconds(10)
        case "maxAllocationsPerUser": configuration.maxAllocationsPerUser = 0
        default: configuration.relayAddressFamilies = []
        }
        #expect(throws: TURNError.self) { try configuration.validate() }
        do {
            _ = try TURNServer(configuration: configuration, now: .zero, unixTime: 0, random: SeededRandom(seed: 1))
            Issue.record("accepted an invalid \(field)")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.field == field)
        }
    }
}

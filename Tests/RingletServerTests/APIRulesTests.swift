import Foundation
import Hummingbird
import HummingbirdTesting
import RingletCore
import RingletServer
import RingletSignaling
import RingletStore
import Testing

@Suite("API rules: credentials, SN, tickets, bad input")
struct APIRulesTests {
    @Test("no, unknown or wrong credentials give 401 with the JSON error shape", arguments: [
        Auth.none, .bearer("rla_not-the-token-000000000"), .bearer("rlu_unknown"), .bearer("garbage"),
        .raw("Basic !!!"), .raw("Digest x"), .basic(appID: "app_0000000000000000", secret: "rls_x"),
    ])
    func unauthenticated(auth: Auth) async throws {
        let harness = try await APIHarness()
        try await harness.run(.router) { client in
            let answer = try await client.call(.get, "/v1/apps", auth)
            #expect(answer.status == .unauthorized)
            #expect(answer.errorCode == "unauthenticated")
        }
    }

    @Test("an app's wrong secret is 401, another app's resources 403, operator routes 403")
    func appBoundaries() async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(.router) { client in
            let first = try await client.makeApp(admin, name: "First")
            let second = try await client.makeApp(admin, name: "Second")
            let wrong = Auth.basic(appID: first.appID, secret: second.appSecret)
            #expect(try await client.call(.get, "/v1/apps/\(first.appID)", wrong).status == .unauthorized)
            let other = try await client.call(.get, "/v1/apps/\(first.appID)/devices", second.app)
            #expect(other.status == .forbidden)
            #expect(other.errorCode == "forbidden")
            #expect(try await client.call(.post, "/v1/apps/\(first.appID)/tickets", second.app,
                                          json: ["sn": "x", "modelId": first.modelID]).status == .forbidden)
            #expect(try await client.call(.get, "/v1/apps", first.app).status == .forbidden)
            #expect(try await client.call(.patch, "/v1/apps/\(first.appID)", first.app, json: ["name": "x"]).status == .forbidden)
            #expect(try await client.call(.get, "/v1/calls", first.app).status == .forbidden)
            // A device of the first app is not the second app's to read.
            _ = try await client.issueTicket(first, sn: "dev1")
            #expect(try await client.call(.get, "/v1/devices/dev1", second.app).status == .forbidden)
            #expect(try await client.call(.get, "/v1/devices/dev1", first.app).status == .ok)
            // A user token is for /v1/me only; an app secret is not a user.
            let (_, token) = try await client.makeUser(first)
            #expect(try await client.call(.get, "/v1/apps/\(first.appID)", .bearer(token)).status == .forbidden)
            #expect(try await client.call(.get, "/v1/me", first.app).status == .forbidden)
            #expect(try await client.call(.get, "/v1/apps/app_ffffffffffffffff", admin).status == .notFound)
        }
    }

    @Test("an expired session token is refused")
    func expiredSession() async throws {
        let harness = try await APIHarness()
        let admin = harness.admin, clock = harness.clock
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(admin)
            let (_, token) = try await client.makeUser(fixture)  // one hour
            clock.advance(ms: 3_600_000)
            #expect(try await client.call(.get, "/v1/me", .bearer(token)).status == .unauthorized)
        }
    }

    @Test("SN rules: 128 bytes pass, 129 give 9800001, other characters or empty give 9800002", arguments: [
        (String(repeating: "a", count: 128), 0), (String(repeating: "a", count: 129), 9_800_001),
        ("has space", 9_800_002), ("", 9_800_002), ("dot.ted", 9_800_002), ("ünï", 9_800_002),
        ("A-z_09", 0),
    ])
    func snRules(sn: String, seedCode: Int) async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(admin)
            for path in ["devices", "tickets"] {
                let answer = try await client.call(.post, "/v1/apps/\(fixture.appID)/\(path)", fixture.app,
                                                   json: ["sn": path == "devices" ? sn : sn, "modelId": fixture.modelID])
                if seedCode == 0 {
                    #expect(answer.status == (path == "devices" ? .created : .created))
                } else {
                    #expect(answer.status == .unprocessableContent)
                    #expect(answer.seedCode == seedCode)
                }
            }
        }
    }

    @Test("a ticket registers its device once; expired, reused, unknown or other-SN tickets give -10008")
    func ticketRules() async throws {
        let harness = try await APIHarness()
        let admin = harness.admin, clock = harness.clock
        let key = Identifiers.base64URL(validDeviceKey)
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(admin)
            let ticket = try await client.issueTicket(fixture, sn: "door1")
            let other = try await client.issueTicket(fixture, sn: "door2")
            func register(_ sn: String, _ ticket: String) async throws -> Answer {
                try await client.call(.post, "/v1/devices/\(sn)/register", json: ["ticket": ticket, "publicKey": key])
            }
            let wrongSN = try await register("door1", other)
            #expect(wrongSN.seedCode == -10008)
            #expect(wrongSN.errorCode == "ticketInvalid")
            #expect(try await register("door1", "rlt_unknown").seedCode == -10008)
            #expect(try await register("door1", "nonsense").seedCode == -10008)
            #expect(try await register("door1", ticket).status == .ok)
            // Used: another key with it is refused (the same key again is a retry, APIRevocationTests).
            let otherKey = Identifiers.base64URL(try DeviceKey.generate().publicKey)
            let reused = try await client.call(.post, "/v1/devices/door1/register", json: ["ticket": ticket, "publicKey": otherKey])
            #expect(reused.seedCode == -10008)
            // Expiry: valid at 5 min - 1 ms, invalid at 5 min.
            let late = try await client.issueTicket(fixture, sn: "door3")
            clock.advance(ms: 5 * 60 * 1000)
            #expect(try await register("door3", late).seedCode == -10008)
            let (_, token) = try await client.makeUser(fixture)
            let expiredAuthorize = try await client.call(.post, "/v1/me/authorizations", .bearer(token),
                                                         json: ["sn": "door3", "ticket": late])
            #expect(expiredAuthorize.seedCode == -10008)
            let fresh = try await client.issueTicket(fixture, sn: "door4")
            clock.advance(ms: 5 * 60 * 1000 - 1)
            #expect(try await register("door4", fresh).status == .ok)
        }
    }

    @Test("a user authorizes only with a ticket of their own app, for that SN")
    func authorizeRules() async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(.router) { client in
            let first = try await client.makeApp(admin, name: "First")
            let second = try await client.makeApp(admin, name: "Second")
            let ticket = try await client.issueTicket(first, sn: "bell")
            let (_, stranger) = try await client.makeUser(second)
            let foreign = try await client.call(.post, "/v1/me/authorizations", .bearer(stranger),
                                                json: ["sn": "bell", "ticket": ticket])
            #expect(foreign.seedCode == -10008)
            let (_, token) = try await client.makeUser(first)
            let wrongSN = try await client.call(.post, "/v1/me/authorizations", .bearer(token),
                                                json: ["sn": "other", "ticket": ticket])
            #expect(wrongSN.seedCode == -10008)
            // Not yet used for registration: still fine.
            let fine = try await client.call(.post, "/v1/me/authorizations", .bearer(token), json: ["sn": "bell", "ticket": ticket])
            #expect(fine.status == .ok)
        }
        #expect(await harness.recorder.records.count == 1)
    }

    @Test("a ticket for a device of another model is -17")
    func modelMismatch() async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(admin)
            _ = try await client.call(.post, "/v1/apps/\(fixture.appID)/models", fixture.app, json: ["name": "B", "id": "bell-2"])
            _ = try await client.issueTicket(fixture, sn: "bell")
            let answer = try await client.call(.post, "/v1/apps/\(fixture.appID)/tickets", fixture.app,
                                               json: ["sn": "bell", "modelId": "bell-2"])
            #expect(answer.seedCode == -17)
        }
    }

    @Test("a public key that is not a 65-byte P-256 point is refused", arguments: [
        "", "AAAA", "!!!not base64!!!", Identifiers.base64URL([0x04] + [UInt8](repeating: 1, count: 64)),
        Identifiers.base64URL([0x02] + [UInt8](repeating: 1, count: 32)),
    ])
    func badKeys(key: String) async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(admin)
            let ticket = try await client.issueTicket(fixture, sn: "k1")
            let answer = try await client.call(.post, "/v1/devices/k1/register", json: ["ticket": ticket, "publicKey": key])
            #expect(answer.status == .unprocessableContent)
            #expect(answer.errorCode == "invalid")
        }
    }

    @Test("malformed or mistyped JSON gives 400, never 500", arguments: [
        "{", "[]", "null", "\"text\"", #"{"name": 5}"#, #"{"nam": "x"}"#, #"{"name": "x", "callQuota": "many"}"#,
        #"{"name": "x", "callQuota": 1e400}"#, "\u{0}", String(repeating: "[", count: 10_000),
    ])
    func malformedJSON(body: String) async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(.router) { client in
            let answer = try await client.call(.post, "/v1/apps", admin, raw: body)
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == "badRequest")
            #expect(!(answer.json["error"] as? [String: Any] ?? [:]).isEmpty)
        }
    }

    @Test("a body over the limit gives 413 with the JSON error shape", arguments: Transport.allCases)
    func oversizedBody(transport: Transport) async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(transport) { client in
            let big = #"{"name": ""# + String(repeating: "x", count: 70_000) + #""}"#
            let answer = try await client.call(.post, "/v1/apps", admin, raw: big)
            #expect(answer.status == .contentTooLarge)
            #expect(answer.errorCode == "payloadTooLarge")
        }
    }

    @Test("bad query values and unknown routes answer 400 and 404 as JSON")
    func queriesAndRoutes() async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(.router) { client in
            for limit in ["0", "501", "abc", "-1", "99999999999999999999"] {
                #expect(try await client.call(.get, "/v1/calls?limit=\(limit)", admin).status == .badRequest)
            }
            let fixture = try await client.makeApp(admin)
            let (_, token) = try await client.makeUser(fixture)
            #expect(try await client.call(.get, "/v1/me/notices?unread=maybe", .bearer(token)).status == .badRequest)
            let missing = try await client.call(.get, "/v1/nothing", admin)
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "notFound")
            #expect(try await client.call(.post, "/v1/me/notices/ntc_nope/read", .bearer(token)).status == .notFound)
        }
    }
}

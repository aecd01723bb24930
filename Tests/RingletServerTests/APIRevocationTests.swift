import Foundation
import Hummingbird
import HummingbirdTesting
import RingletCore
@testable import RingletServer
import RingletStore
import Testing

@Suite("API: credentials that can be taken back, tickets, sign-in codes, pages and the failure limit")
struct APIRevocationTests {
    @Test("sign-out ends the session on the server: the token gets 401 afterwards and the hub is told", arguments: Transport.allCases)
    func signOut(transport: Transport) async throws {
        let harness = try await APIHarness()
        let revocations = harness.revocations
        try await harness.run(transport) { client in
            let fixture = try await client.makeApp(harness.admin)
            let (_, token) = try await client.makeUser(fixture)
            #expect(try await client.call(.delete, "/v1/me/session", .bearer(token)).status == .noContent)
            #expect(try await client.call(.get, "/v1/me", .bearer(token)).status == .unauthorized)
            #expect(try await client.call(.delete, "/v1/me/session", .bearer(token)).status == .unauthorized)
            #expect(await revocations.revocations == [.session(tokenHash: Identifiers.hash(token))])
        }
    }

    @Test("rotating the app secret: the new one works, the old one gets 401 at once", arguments: Transport.allCases)
    func rotateSecret(transport: Transport) async throws {
        let harness = try await APIHarness()
        try await harness.run(transport) { client in
            let fixture = try await client.makeApp(harness.admin)
            let rotated = try await client.call(.post, "/v1/apps/\(fixture.appID)/secret", fixture.app)
            #expect(rotated.status == .ok)
            let secret = rotated.string("secret")
            #expect(secret.hasPrefix("rls_") && secret != fixture.appSecret)
            #expect(try await client.call(.get, "/v1/apps/\(fixture.appID)", fixture.app).status == .unauthorized)
            #expect(try await client.call(.get, "/v1/apps/\(fixture.appID)", .basic(appID: fixture.appID, secret: secret))
                .status == .ok)
            #expect(try await client.call(.post, "/v1/apps/\(fixture.appID)/secret", harness.admin).status == .ok)
        }
    }

    @Test("a fresh ticket does not re-key a registered device (409 deviceRegistered, -10008); a retry with the same ticket and key is fine; after a reset a new ticket registers")
    func ticketsDoNotReKey() async throws {
        let harness = try await APIHarness()
        let revocations = harness.revocations
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let first = try await client.issueTicket(fixture, sn: "bell_1")
            let key = Identifiers.base64URL(validDeviceKey)
            #expect(try await client.call(.post, "/v1/devices/bell_1/register", json: ["ticket": first, "publicKey": key])
                .status == .ok)
            #expect(try await client.call(.post, "/v1/devices/bell_1/register", json: ["ticket": first, "publicKey": key])
                .status == .ok)
            let fresh = try await client.issueTicket(fixture, sn: "bell_1")
            let other = try await client.call(.post, "/v1/devices/bell_1/register",
                                              json: ["ticket": fresh, "publicKey": key])
            #expect(other.status == .conflict)
            #expect(other.errorCode == "deviceRegistered")
            #expect(other.seedCode == -10008)
            let reset = try await client.call(.post, "/v1/devices/bell_1/reset", fixture.app)
            #expect(reset.status == .ok)
            #expect(reset.json["publicKey"] == nil)
            #expect(await revocations.revocations == [.device(sn: "bell_1")])
            // The ticket issued before the reset is gone with it; a new one registers.
            #expect(try await client.call(.post, "/v1/devices/bell_1/register", json: ["ticket": fresh, "publicKey": key])
                .errorCode == "ticketInvalid")
            let after = try await client.issueTicket(fixture, sn: "bell_1")
            #expect(try await client.call(.post, "/v1/devices/bell_1/register", json: ["ticket": after, "publicKey": key])
                .status == .ok)
            #expect(try await client.call(.delete, "/v1/devices/bell_1", fixture.app).status == .noContent)
            #expect(try await client.call(.get, "/v1/devices/bell_1", fixture.app).status == .notFound)
            #expect(try await client.call(.delete, "/v1/devices/bell_1", fixture.app).status == .notFound)
        }
    }

    @Test("the store keeps tickets hashed: the ticket string is nowhere in the database file")
    func ticketsHashed() async throws {
        let store = try SQLiteTestStore()
        let harness = try await APIHarness(store: store)
        let issued = Issued()
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            await issued.set(try await client.issueTicket(fixture, sn: "bell_2"))
        }
        let ticket = await issued.value
        #expect(ticket.hasPrefix("rlt_"))
        try await store.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path))
            + ((try? Data(contentsOf: URL(fileURLWithPath: store.path + "-wal"))) ?? Data())
        #expect(bytes.range(of: Data(ticket.utf8)) == nil)
        #expect(bytes.range(of: Data(Identifiers.hash(ticket).utf8)) != nil)
    }

    @Test("one ticket authorizes at most five users, before it expires")
    func ticketAuthorizesFew() async throws {
        let harness = try await APIHarness()
        let clock = harness.clock
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let ticket = try await client.issueTicket(fixture, sn: "bell_3")
            var statuses: [HTTPResponse.Status] = []
            for i in 0..<6 {
                let (_, token) = try await client.makeUser(fixture, name: "u\(i)")
                statuses.append(try await client.call(.post, "/v1/me/authorizations", .bearer(token),
                                                      json: ["sn": "bell_3", "ticket": ticket]).status)
            }
            #expect(statuses == [.ok, .ok, .ok, .ok, .ok, .unprocessableContent])
            let (_, late) = try await client.makeUser(fixture, name: "late")
            let second = try await client.issueTicket(fixture, sn: "bell_3")
            clock.advance(ms: 5 * 60 * 1000)
            #expect(try await client.call(.post, "/v1/me/authorizations", .bearer(late),
                                          json: ["sn": "bell_3", "ticket": second]).errorCode == "ticketInvalid")
        }
    }

    @Test("an operator or the app revokes a user's authorization; the device is told")
    func appRevokes() async throws {
        let harness = try await APIHarness()
        let recorder = harness.recorder
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let ticket = try await client.issueTicket(fixture, sn: "bell_4")
            let (userID, token) = try await client.makeUser(fixture)
            _ = try await client.call(.post, "/v1/me/authorizations", .bearer(token), json: ["sn": "bell_4", "ticket": ticket])
            let path = "/v1/apps/\(fixture.appID)/users/\(userID)/authorizations/bell_4"
            #expect(try await client.call(.delete, path, .bearer(token)).status == .forbidden)
            let revoked = try await client.call(.delete, path, fixture.app)
            #expect(revoked.status == .ok && revoked.string("status") == "revoked")
            #expect(try await client.call(.delete, path, fixture.app).status == .notFound)
            #expect(await recorder.records.map(\.status) == [.authorized, .revoked])
        }
    }

    @Test("a sign-in link carries a one-time code, never a token; the code makes one session and is refused after use or expiry")
    func signInCodes() async throws {
        let harness = try await APIHarness()
        let clock = harness.clock
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let (userID, _) = try await client.makeUser(fixture)
            let link = try await client.call(.post, "/v1/apps/\(fixture.appID)/users/\(userID)/sign-in-links", fixture.app,
                                             json: ["channel": "debug", "ttlSeconds": 120])
            #expect(link.status == .created)
            let code = link.string("code")
            #expect(link.string("url") == "http://ringlet.test:8080/app/#code=\(code)")
            #expect(link.json["token"] == nil && !link.string("url").contains("rlu_"))
            let session = try await client.call(.post, "/v1/sign-in", json: ["code": code])
            #expect(session.status == .created)
            #expect(session.string("channel") == "debug")
            #expect(session.json["expiresAt"] as? Int64 == clock.now + 120_000 || session.json["expiresAt"] as? Int == Int(clock.now + 120_000))
            #expect(try await client.call(.get, "/v1/me", .bearer(session.string("token"))).status == .ok)
            #expect(try await client.call(.post, "/v1/sign-in", json: ["code": code]).status == .unauthorized)
            let late = try await client.call(.post, "/v1/apps/\(fixture.appID)/users/\(userID)/sign-in-links", fixture.app)
            clock.advance(ms: 600_000)
            #expect(try await client.call(.post, "/v1/sign-in", json: ["code": late.string("code")]).status == .unauthorized)
            #expect(try await client.call(.post, "/v1/sign-in", json: ["code": "rlt_not-a-code"]).status == .unauthorized)
        }
    }

    @Test("lists come in pages: limit and cursor walk every item once; a cursor the server did not make is a 400")
    func pages() async throws {
        let harness = try await APIHarness()
        let clock = harness.clock
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            for i in 0..<7 {
                clock.advance(ms: 1)
                _ = try await client.call(.post, "/v1/apps/\(fixture.appID)/users", fixture.app, json: ["name": "u\(i)"])
            }
            var names: [String] = []
            var cursor: String?
            repeat {
                let query = "limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.call(.get, "/v1/apps/\(fixture.appID)/users?\(query)", fixture.app)
                #expect(page.status == .ok)
                names += page.items.compactMap { $0["name"] as? String }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            #expect(names == (0..<7).map { "u\($0)" })
            #expect(try await client.call(.get, "/v1/apps/\(fixture.appID)/users?cursor=bogus", fixture.app).status == .badRequest)
            #expect(try await client.call(.get, "/v1/calls?cursor=\(String(repeating: "A", count: 40))", harness.admin)
                .status == .badRequest)
        }
    }

    @Test("/metrics needs the admin token unless it has a listener of its own")
    func metricsProtected() async throws {
        let harness = try await APIHarness()
        try await harness.run(.router) { client in
            #expect(try await client.call(.get, "/metrics").status == .unauthorized)
            let fixture = try await client.makeApp(harness.admin)
            #expect(try await client.call(.get, "/metrics", fixture.app).status == .forbidden)
            #expect(try await client.call(.get, "/metrics", harness.admin).status == .ok)
        }
        let separate = try await APIHarness(configure: { $0.metrics = .init(host: "127.0.0.1", port: 0) })
        let (_, routes) = separate.server.makeRouter()
        #expect(!routes.map(\.path).contains("/metrics"))
        #expect(separate.server.metricsApplication() != nil)
        #expect(harness.server.metricsApplication() == nil)
    }

    @Test("after 3 failed authentications from an address, every attempt from it gets 429 with Retry-After, even a good one")
    func failureLimit() async throws {
        let harness = try await APIHarness(configure: {
            $0.limits.authFailureBurst = 3
            $0.limits.authFailuresPerMinute = 1
        })
        try await harness.run(.live) { client in
            var statuses: [HTTPResponse.Status] = []
            for i in 0..<5 { statuses.append(try await client.call(.get, "/v1/me", .bearer("rlu_guess\(i)")).status) }
            #expect(statuses == [.unauthorized, .unauthorized, .unauthorized, .tooManyRequests, .tooManyRequests])
            let limited = try await client.execute(uri: "/v1/apps", method: .get,
                                                   headers: [.authorization: "Bearer \(APIHarness.adminToken)"])
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
        }
    }
}

/// A value set inside a test client's closure and read after it.
actor Issued {
    var value = ""
    func set(_ new: String) { value = new }
}

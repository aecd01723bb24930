import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import RingletCore
import RingletServer
import RingletStore
import Testing

@Suite("API: Web Push subscriptions and the HTTP decline")
struct PushAPITests {
    static let p256dh = Base64URL.encode(Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation))
    static let auth = Base64URL.encode([UInt8](repeating: 5, count: 16))

    static func subscription(_ endpoint: String, p256dh: String = p256dh, auth: String = auth) -> [String: Any] {
        ["endpoint": endpoint, "expirationTime": NSNull(), "keys": ["p256dh": p256dh, "auth": auth]]
    }

    @Test("the VAPID public key is served to anyone when push is on (65-byte point), 404 when it is off")
    func publicKey() async throws {
        try await APIHarness(push: true).run(.router) { client in
            let answer = try await client.call(.get, "/v1/push/vapid-public-key")
            #expect(answer.status == .ok)
            let key = try #require(Base64URL.decode(answer.string("publicKey")))
            #expect(key.count == 65 && key.first == 4)
            let parsed = try? P256.Signing.PublicKey(x963Representation: key)
            #expect(parsed != nil)
        }
        try await APIHarness(push: false).run(.router) { client in
            let answer = try await client.call(.get, "/v1/push/vapid-public-key")
            #expect(answer.status == .notFound)
        }
    }

    @Test("a user subscribes (201), again with the same endpoint (200, same id), lists and deletes it (204, then 404)")
    func subscribeListDelete() async throws {
        let harness = try await APIHarness(push: true)
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let (_, token) = try await client.makeUser(fixture)
            let endpoint = "https://push.example.com/sub/abc"
            let created = try await client.call(.post, "/v1/me/push-subscriptions", .bearer(token),
                                                json: Self.subscription(endpoint))
            #expect(created.status == .created)
            #expect(created.string("id").hasPrefix("psb_") && created.string("endpoint") == endpoint)
            #expect(created.string("channel") == "release")
            #expect(created.json["keys"] == nil, "keys are not echoed")
            let again = try await client.call(.post, "/v1/me/push-subscriptions", .bearer(token),
                                              json: Self.subscription(endpoint))
            #expect(again.status == .ok && again.string("id") == created.string("id"))
            let list = try await client.call(.get, "/v1/me/push-subscriptions", .bearer(token))
            #expect(list.items.map { $0["id"] as? String } == [created.string("id")])
            let query = "endpoint=" + (endpoint.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            #expect(try await client.call(.delete, "/v1/me/push-subscriptions?\(query)", .bearer(token)).status == .noContent)
            #expect(try await client.call(.delete, "/v1/me/push-subscriptions?\(query)", .bearer(token)).status == .notFound)
            #expect(try await client.call(.delete, "/v1/me/push-subscriptions", .bearer(token)).status == .badRequest)
            #expect(try await client.call(.get, "/v1/me/push-subscriptions", .bearer(token)).items.isEmpty)
        }
    }

    /// A subscription that must be refused: its endpoint and, when not the valid ones, its keys.
    struct BadSubscription: Sendable, CustomTestStringConvertible {
        var endpoint = "https://push.example.com/x"
        var p256dh = PushAPITests.p256dh
        var auth = PushAPITests.auth
        var testDescription: String { "\(endpoint.prefix(60)) \(p256dh.prefix(8)) \(auth.prefix(8))" }
    }

    @Test("bad subscriptions are refused with 422 and what is wrong", arguments: [
        BadSubscription(endpoint: "http://push.example.com/x"), BadSubscription(endpoint: "https://10.1.2.3/x"),
        BadSubscription(endpoint: "https://push.example.com/x#f"), BadSubscription(endpoint: "ftp://push.example.com/x"),
        BadSubscription(endpoint: "https://push.example.com/" + String(repeating: "a", count: 1100)),
        BadSubscription(p256dh: "BAAA"), BadSubscription(auth: "AAAA"), BadSubscription(p256dh: "not base64!"),
    ])
    func refused(bad: BadSubscription) async throws {
        let harness = try await APIHarness(push: true)
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let (_, token) = try await client.makeUser(fixture)
            let answer = try await client.call(.post, "/v1/me/push-subscriptions", .bearer(token),
                                               json: Self.subscription(bad.endpoint, p256dh: bad.p256dh, auth: bad.auth))
            #expect(answer.status == .unprocessableContent, "\(answer.json)")
            #expect(answer.errorCode == "invalid")
            #expect(try await client.call(.get, "/v1/me/push-subscriptions", .bearer(token)).items.isEmpty)
        }
    }

    @Test("a subscription needs a user session (401 without, 403 for the app) and JSON with endpoint and keys (400)")
    func credentialsAndShape() async throws {
        let harness = try await APIHarness(push: true)
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let (_, token) = try await client.makeUser(fixture)
            let body = Self.subscription("https://push.example.com/x")
            #expect(try await client.call(.post, "/v1/me/push-subscriptions", json: body).status == .unauthorized)
            #expect(try await client.call(.post, "/v1/me/push-subscriptions", fixture.app, json: body).status == .forbidden)
            #expect(try await client.call(.post, "/v1/me/push-subscriptions", .bearer(token),
                                          json: ["endpoint": "https://push.example.com/x"]).status == .badRequest)
            #expect(try await client.call(.post, "/v1/me/push-subscriptions", .bearer(token), raw: "[1,2]").status == .badRequest)
        }
    }

    @Test("a user keeps at most 5 subscriptions: the sixth replaces the oldest")
    func limit() async throws {
        let harness = try await APIHarness(push: true)
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let (_, token) = try await client.makeUser(fixture)
            for index in 0..<6 {
                harness.clock.advance(ms: 1000)
                let answer = try await client.call(.post, "/v1/me/push-subscriptions", .bearer(token),
                                                   json: Self.subscription("https://push.example.com/\(index)"))
                #expect(answer.status == .created)
            }
            let endpoints = try await client.call(.get, "/v1/me/push-subscriptions", .bearer(token)).items
                .compactMap { $0["endpoint"] as? String }
            #expect(endpoints == (1..<6).map { "https://push.example.com/\($0)" })
        }
    }

    @Test("declining a call over HTTP: 404 for a call that is not the user's, 409 for one that no longer rings")
    func rejectWithoutRinging() async throws {
        let store = try await APITestStore()
        let harness = try await APIHarness(store: store, push: true)
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(harness.admin)
            let (userID, token) = try await client.makeUser(fixture)
            let (_, other) = try await client.makeUser(fixture, name: "Bob")
            try await store.insertCall(CallRecord(id: "call_00000000000000aa", appID: fixture.appID, sn: "SN1", userID: userID,
                                            direction: .deviceToUser, kind: .video, channel: .release, outcome: .timeout,
                                            startedAt: 1, endedAt: 2))
            let ended = try await client.call(.post, "/v1/me/calls/call_00000000000000aa/reject", .bearer(token))
            #expect(ended.status == .conflict && ended.errorCode == "conflict")
            #expect(try await client.call(.post, "/v1/me/calls/call_00000000000000aa/reject", .bearer(other)).status == .notFound)
            #expect(try await client.call(.post, "/v1/me/calls/call_nope/reject", .bearer(token)).status == .notFound)
            #expect(try await client.call(.post, "/v1/me/calls/call_nope/reject", fixture.app).status == .forbidden)
            #expect(try await client.call(.post, "/v1/me/calls/call_00000000000000aa/reject", .bearer(token),
                                          raw: "{\"endpoint\": 5}").status == .badRequest)
        }
    }
}

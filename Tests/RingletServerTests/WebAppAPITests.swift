import Foundation
import Hummingbird
import HummingbirdTesting
import RingletCore
import RingletServer
import RingletStore
import RingletTestSupport
import Testing

/// A server like `ringlet serve --dev`: a demo app (made as `ServerBootstrap` makes it) whose users the web app's
/// development sign-in creates and signs in.
struct DevHarness {
    let harness: APIHarness
    let demo: ServerBootstrap.DemoApp

    init(dev: Bool = true) async throws {
        let store = try await APITestStore()
        var configuration = ServerConfiguration()
        configuration.dev = true
        let folder = try temporaryFolder(prefix: "ringlet-dev")
        defer { try? FileManager.default.removeItem(at: folder) }
        configuration.dataDir = folder.path
        let demo = try #require(try await ServerBootstrap.ensureDemoApp(
            store: store, configuration: configuration, identifiers: .system, now: 1_750_000_000_000))
        self.demo = demo
        harness = try await APIHarness(store: store, devAppID: demo.app.id, configure: {
            $0.dev = dev
            $0.turnSecret = "turn-secret"
            $0.vapidSubject = "mailto:ops@ringlet.example"
        })
    }
}

@Suite("Development sign-in for the web app")
struct DevSignInTests {
    @Test("a new name makes a user of the demo app with a session; the same name signs in the same user again",
          arguments: Transport.allCases)
    func signInByName(transport: Transport) async throws {
        let dev = try await DevHarness()
        try await dev.harness.run(transport) { client in
            let first = try await client.call(.post, "/v1/dev/sign-in", json: ["name": "  Ada  "])
            #expect(first.status == .created)
            #expect(first.json["created"] as? Bool == true)
            let user = try #require(first.json["user"] as? [String: Any])
            #expect(user["name"] as? String == "Ada")
            #expect(user["appId"] as? String == dev.demo.app.id)
            let token = first.string("token")
            #expect(token.hasPrefix("rlu_"))
            #expect(first.string("channel") == "release")

            let me = try await client.call(.get, "/v1/me", .bearer(token))
            #expect(me.status == .ok)
            #expect((me.json["user"] as? [String: Any])?["id"] as? String == user["id"] as? String)

            let again = try await client.call(.post, "/v1/dev/sign-in", json: ["name": "Ada"])
            #expect(again.status == .ok)
            #expect(again.json["created"] as? Bool == false)
            #expect((again.json["user"] as? [String: Any])?["id"] as? String == user["id"] as? String)
            #expect(again.string("token") != token, "every sign-in is a fresh session")

            let users = try await client.call(.get, "/v1/dev/users")
            #expect(users.status == .ok)
            #expect(users.items.compactMap { $0["name"] as? String } == ["Ada"])
        }
    }

    @Test("an empty or too long name is refused with 422; a body without a name with 400")
    func badNames() async throws {
        let dev = try await DevHarness()
        try await dev.harness.run(.router) { client in
            let blank = try await client.call(.post, "/v1/dev/sign-in", json: ["name": "   "])
            #expect(blank.errorCode == "invalid")
            let long = try await client.call(.post, "/v1/dev/sign-in", json: ["name": String(repeating: "x", count: 201)])
            #expect(long.errorCode == "invalid")
            let missing = try await client.call(.post, "/v1/dev/sign-in", json: [:])
            #expect(missing.status == .badRequest)
        }
    }

    @Test("without --dev both development endpoints answer 404 in the API's error shape")
    func notInDevMode() async throws {
        let dev = try await DevHarness(dev: false)
        try await dev.harness.run(.router) { client in
            let signIn = try await client.call(.post, "/v1/dev/sign-in", json: ["name": "Ada"])
            #expect(signIn.status == .notFound)
            #expect(signIn.errorCode == "notFound")
            let users = try await client.call(.get, "/v1/dev/users")
            #expect(users.status == .notFound)
            let stored = try await dev.harness.store.users(appID: dev.demo.app.id)
            #expect(stored.isEmpty, "no user was made")
        }
    }
}

@Suite("A user's authorized devices carry the device name and whether it is online")
struct MyAuthorizationsTests {
    @Test("GET /v1/me/authorizations: deviceName from the device, online from the signaling hub")
    func nameAndOnline() async throws {
        let harness = try await APIHarness(onlineDevices: { sns in Set(sns.filter { $0 == "bell_0001" }) })
        let admin = harness.admin
        try await harness.run(.router) { client in
            let fixture = try await client.makeApp(admin)
            let created = try await client.call(.post, "/v1/apps/\(fixture.appID)/devices", fixture.app,
                                                json: ["sn": "bell_0001", "modelId": fixture.modelID, "name": "Front door"])
            #expect(created.status == .created)
            let ticket1 = try await client.issueTicket(fixture, sn: "bell_0001")
            let ticket2 = try await client.issueTicket(fixture, sn: "gate_0002")
            let (_, token) = try await client.makeUser(fixture)
            for (sn, ticket) in [("bell_0001", ticket1), ("gate_0002", ticket2)] {
                let answer = try await client.call(.post, "/v1/me/authorizations", .bearer(token),
                                                   json: ["sn": sn, "ticket": ticket])
                #expect(answer.status == .ok)
            }
            let mine = try await client.call(.get, "/v1/me/authorizations", .bearer(token))
            let bySN = Dictionary(uniqueKeysWithValues: mine.items.map { ($0["sn"] as? String ?? "", $0) })
            #expect(bySN["bell_0001"]?["deviceName"] as? String == "Front door")
            #expect(bySN["bell_0001"]?["online"] as? Bool == true)
            #expect(bySN["gate_0002"]?["deviceName"] as? String == "gate_0002", "a ticket names a new device after its SN")
            #expect(bySN["gate_0002"]?["online"] as? Bool == false)

            // The app's own view is unchanged: no name, no online state.
            let appView = try await client.call(.get, "/v1/apps/\(fixture.appID)/authorizations", fixture.app)
            #expect(appView.items.count == 2)
            #expect(appView.items.allSatisfy { $0["online"] == nil && $0["deviceName"] == nil })
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import RingletCore
import RingletServer
import RingletStore
import RingletTestSupport
import Testing

@Suite("Restart on the same data folder")
struct ServerRestartTests {
    @Test("apps, devices, keys, users, sessions, authorizations and history survive a restart (through the API)")
    func restartKeepsEverything() async throws {
        let folder = try temporaryFolder(prefix: "ringlet-restart")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ringlet.sqlite").path
        let key = Identifiers.base64URL(validDeviceKey)

        // First life: create everything over loopback, then stop.
        let first = try await APIHarness(store: try SQLiteStore(path: path))
        let admin = first.admin
        let created = try await first.server.makeApplication().test(.live) { client in
            let fixture = try await client.makeApp(admin)
            let ticket = try await client.issueTicket(fixture, sn: "porch")
            #expect(try await client.call(.post, "/v1/devices/porch/register",
                                          json: ["ticket": ticket, "publicKey": key]).status == .ok)
            let (userID, token) = try await client.makeUser(fixture)
            #expect(try await client.call(.post, "/v1/me/authorizations", .bearer(token),
                                          json: ["sn": "porch", "ticket": ticket]).status == .ok)
            return (fixture, userID, token, ticket)
        }
        let (fixture, userID, token, ticket) = created
        try await first.store.insertCall(CallRecord(
            id: "call_00000000000000aa", appID: fixture.appID, sn: "porch", userID: userID, direction: .deviceToUser,
            kind: .audio, channel: .release, outcome: .completed, startedAt: first.clock.now,
            answeredAt: first.clock.now + 1_000, endedAt: first.clock.now + 11_000
        ))

        // Second life: a new store and server on the same file; the admin token hash is in the settings.
        let secondStore = try SQLiteStore(path: path)
        #expect(try await secondStore.setting(APIRoutes.adminTokenHashSetting) == Identifiers.hash(APIHarness.adminToken))
        let second = try await APIHarness(store: secondStore)
        try await second.run(.live) { client in
            let app = try await client.call(.get, "/v1/apps/\(fixture.appID)", fixture.app)
            #expect(app.status == .ok, "the app secret still works")
            #expect(try await client.call(.get, "/v1/apps/\(fixture.appID)/models", admin).items.count == 1)
            let device = try await client.call(.get, "/v1/devices/porch", admin)
            #expect(device.string("publicKey") == key)
            let me = try await client.call(.get, "/v1/me", .bearer(token))
            #expect(me.status == .ok, "the session token still works")
            let authorizations = try await client.call(.get, "/v1/me/authorizations", .bearer(token))
            #expect(authorizations.items.map { $0["status"] as? String } == ["authorized"])
            let calls = try await client.call(.get, "/v1/apps/\(fixture.appID)/calls", fixture.app)
            #expect(calls.items.first?["durationMs"] as? Int == 10_000)
            let retry = try await client.call(.post, "/v1/devices/porch/register", json: ["ticket": ticket, "publicKey": key])
            #expect(retry.status == .ok, "the same ticket and key again is a retry, also after a restart")
            let fresh = try await client.issueTicket(fixture, sn: "porch")
            let rekey = try await client.call(.post, "/v1/devices/porch/register", json: ["ticket": fresh, "publicKey": key])
            #expect(rekey.seedCode == -10008, "a registered device is not re-registered with a fresh ticket")
        }
    }
}

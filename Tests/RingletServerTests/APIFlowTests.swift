import Foundation
import Hummingbird
import HummingbirdTesting
import RingletCore
import RingletServer
import RingletStore
import Testing

@Suite("API flows, in process and over loopback")
struct APIFlowTests {
    @Test("an app registers a device, a user authorizes it and revokes it, and sees calls and notices",
          arguments: Transport.allCases)
    func fullFlow(transport: Transport) async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        let store = harness.store
        let clock = harness.clock
        try await harness.run(transport) { client in
            let fixture = try await client.makeApp(admin)
            #expect(fixture.appID.hasPrefix("app_") && fixture.appID.count == 20)
            #expect(fixture.appSecret.hasPrefix("rls_"))

            // The app backend reads its own app; the secret is never shown again.
            let own = try await client.call(.get, "/v1/apps/\(fixture.appID)", fixture.app)
            #expect(own.status == .ok)
            #expect(own.json["secret"] == nil)

            // Ticket → the device registers its key with it.
            let ticket = try await client.issueTicket(fixture, sn: "bell_0001")
            #expect(ticket.hasPrefix("rlt_"))
            let registered = try await client.call(.post, "/v1/devices/bell_0001/register",
                                                   json: ["ticket": ticket, "publicKey": Identifiers.base64URL(validDeviceKey)])
            #expect(registered.status == .ok)
            #expect(registered.string("publicKey") == Identifiers.base64URL(validDeviceKey))
            let device = try await client.call(.get, "/v1/devices/bell_0001", admin)
            #expect(device.json["registeredAt"] as? Int64 == clock.now || device.json["registeredAt"] as? Int == Int(clock.now))

            // A user with a session authorizes the device with the (used) ticket.
            let (userID, token) = try await client.makeUser(fixture)
            let me = try await client.call(.get, "/v1/me", .bearer(token))
            #expect(me.status == .ok)
            #expect((me.json["user"] as? [String: Any])?["id"] as? String == userID)
            let authorized = try await client.call(.post, "/v1/me/authorizations", .bearer(token),
                                                   json: ["sn": "bell_0001", "ticket": ticket])
            #expect(authorized.status == .ok)
            #expect(authorized.string("status") == "authorized")
            let mine = try await client.call(.get, "/v1/me/authorizations", .bearer(token))
            #expect(mine.items.map { $0["sn"] as? String } == ["bell_0001"])
            let appView = try await client.call(.get, "/v1/apps/\(fixture.appID)/authorizations?sn=bell_0001", fixture.app)
            #expect(appView.items.map { $0["userId"] as? String } == [userID])

            // Revoke.
            let revoked = try await client.call(.delete, "/v1/me/authorizations/bell_0001", .bearer(token))
            #expect(revoked.status == .ok)
            #expect(revoked.string("status") == "revoked")
            let again = try await client.call(.delete, "/v1/me/authorizations/bell_0001", .bearer(token))
            #expect(again.status == .notFound)

            // History and notices (written by the call router; here straight into the store).
            try await store.insertCall(CallRecord(
                id: "call_0000000000000001", appID: fixture.appID, sn: "bell_0001", userID: userID,
                direction: .deviceToUser, kind: .video, channel: .release, outcome: .completed,
                startedAt: clock.now, answeredAt: clock.now + 2_000, endedAt: clock.now + 62_000
            ))
            try await store.insertNotice(NoticeRecord(id: "ntc_0000000000000001", sn: "bell_0001", userID: userID, kind: 3,
                                                text: "Someone at the door", createdAt: clock.now))
            let calls = try await client.call(.get, "/v1/me/calls", .bearer(token))
            #expect(calls.items.first?["durationMs"] as? Int == 60_000)
            #expect(calls.items.first?["outcome"] as? String == "completed")
            let appCalls = try await client.call(.get, "/v1/apps/\(fixture.appID)/calls?sn=bell_0001&limit=5", fixture.app)
            #expect(appCalls.items.count == 1)
            let allCalls = try await client.call(.get, "/v1/calls?userId=\(userID)", admin)
            #expect(allCalls.items.count == 1)
            let unread = try await client.call(.get, "/v1/me/notices?unread=true", .bearer(token))
            #expect(unread.items.count == 1)
            let read = try await client.call(.post, "/v1/me/notices/ntc_0000000000000001/read", .bearer(token))
            #expect(read.status == .noContent)
            let unreadAfter = try await client.call(.get, "/v1/me/notices?unread=true", .bearer(token))
            #expect(unreadAfter.items.isEmpty)
        }
        let changes = await harness.recorder.records
        #expect(changes.map(\.status) == [.authorized, .revoked])
        #expect(changes.allSatisfy { $0.sn == "bell_0001" })
    }

    @Test("apps, models, devices and users are listed; the operator patches an app", arguments: Transport.allCases)
    func listsAndPatch(transport: Transport) async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(transport) { client in
            let fixture = try await client.makeApp(admin)
            let device = try await client.call(.post, "/v1/apps/\(fixture.appID)/devices", fixture.app,
                                               json: ["sn": "cam-7", "modelId": fixture.modelID, "name": "Gate"])
            #expect(device.status == .created)
            let duplicate = try await client.call(.post, "/v1/apps/\(fixture.appID)/devices", fixture.app,
                                                  json: ["sn": "cam-7", "modelId": fixture.modelID])
            #expect(duplicate.status == .conflict)
            _ = try await client.makeUser(fixture)
            #expect(try await client.call(.get, "/v1/apps", admin).items.count == 1)
            #expect(try await client.call(.get, "/v1/apps/\(fixture.appID)/models", fixture.app).items.count == 1)
            #expect(try await client.call(.get, "/v1/apps/\(fixture.appID)/devices", fixture.app).items.count == 1)
            let users = try await client.call(.get, "/v1/apps/\(fixture.appID)/users", fixture.app).items
            #expect((users.first?["openId"] as? String)?.hasPrefix("oid_") == true)
            let patched = try await client.call(.patch, "/v1/apps/\(fixture.appID)", admin,
                                                json: ["releaseApproved": false, "callQuota": 10, "name": "Renamed"])
            #expect(patched.status == .ok)
            #expect(patched.json["callQuota"] as? Int == 10)
            #expect(patched.json["releaseApproved"] as? Bool == false)
            let unlimited = try await client.call(.patch, "/v1/apps/\(fixture.appID)", admin, raw: #"{"callQuota": null}"#)
            #expect(unlimited.json["callQuota"] == nil)
            #expect(unlimited.string("name") == "Renamed")
        }
    }

    @Test("a sign-in link opens the web app with a one-time code that the page exchanges for a session", arguments: Transport.allCases)
    func signInLink(transport: Transport) async throws {
        let harness = try await APIHarness()
        let admin = harness.admin
        try await harness.run(transport) { client in
            let fixture = try await client.makeApp(admin)
            let user = try await client.call(.post, "/v1/apps/\(fixture.appID)/users", admin, json: ["name": "Bo"])
            let link = try await client.call(.post, "/v1/apps/\(fixture.appID)/users/\(user.string("id"))/sign-in-links", admin)
            #expect(link.status == .created)
            let code = link.string("code")
            #expect(code.hasPrefix("rlc_"))
            #expect(link.string("url") == "http://ringlet.test:8080/app/#code=\(code)")
            let session = try await client.call(.post, "/v1/sign-in", json: ["code": code])
            #expect(session.status == .created)
            #expect(try await client.call(.get, "/v1/me", .bearer(session.string("token"))).status == .ok)
        }
    }

    @Test("healthz answers and the OpenAPI document is served as it is in the resources")
    func healthAndDocument() async throws {
        let harness = try await APIHarness()
        try await harness.run(.router) { client in
            #expect(try await client.call(.get, "/healthz").string("status") == "ok")
            let document = try await client.call(.get, "/v1/openapi.yaml")
            #expect(document.status == .ok)
            #expect(String(decoding: document.body, as: UTF8.self) == (try OpenAPIRouteTests.documentText()))
        }
    }
}

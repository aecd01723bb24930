import RingletStore
import Testing

@Suite("Push subscriptions")
struct PushSubscriptionTests {
    static func subscription(_ id: String, endpoint: String, userID: String = "usr_0123456789abcdef",
                             at: Int64 = Sample.now) -> PushSubscriptionRecord {
        PushSubscriptionRecord(id: id, userID: userID, appID: "app_0123456789abcdef", channel: .release,
                               endpoint: endpoint, p256dh: [4] + [UInt8](repeating: 1, count: 64),
                               auth: [UInt8](repeating: 2, count: 16), createdAt: at)
    }

    func fixture(_ kind: StoreKind) async throws -> Fixture {
        let fixture = try await Fixture(kind)
        try await fixture.store.insertApp(Sample.app())
        try await fixture.store.insertUser(Sample.user())
        try await fixture.store.insertUser(Sample.user("usr_fedcba9876543210", openID: "oid_fedcba9876543210fedcba98"))
        return fixture
    }

    @Test("a saved subscription is listed with its keys, survives a reopen, and is deleted by endpoint or id", arguments: StoreKind.allCases)
    func saveListDelete(kind: StoreKind) async throws {
        let fixture = try await fixture(kind)
        let a = Self.subscription("psb_a", endpoint: "https://push.example/a")
        #expect(try await fixture.store.savePushSubscription(a, maximumPerUser: 5) == a)
        try await fixture.reopen()
        #expect(try await fixture.store.pushSubscriptions(userID: a.userID) == [a])
        #expect(try await fixture.store.deletePushSubscription(userID: "usr_fedcba9876543210", endpoint: a.endpoint) == false)
        #expect(try await fixture.store.deletePushSubscription(userID: a.userID, endpoint: a.endpoint))
        #expect(try await fixture.store.pushSubscriptions(userID: a.userID).isEmpty)
        _ = try await fixture.store.savePushSubscription(a, maximumPerUser: 5)
        try await fixture.store.deletePushSubscription(id: "psb_a")
        try await fixture.store.deletePushSubscription(id: "psb_a")
        #expect(try await fixture.store.pushSubscriptions(userID: a.userID).isEmpty)
    }

    @Test("the same endpoint saved again keeps its id and takes the new keys, even for another user of the app", arguments: StoreKind.allCases)
    func sameEndpoint(kind: StoreKind) async throws {
        let fixture = try await fixture(kind)
        _ = try await fixture.store.savePushSubscription(Self.subscription("psb_a", endpoint: "https://push.example/a"),
                                                   maximumPerUser: 5)
        var again = Self.subscription("psb_b", endpoint: "https://push.example/a", userID: "usr_fedcba9876543210",
                                      at: Sample.now + 10)
        again.auth = [UInt8](repeating: 9, count: 16)
        let stored = try await fixture.store.savePushSubscription(again, maximumPerUser: 5)
        #expect(stored.id == "psb_a" && stored.auth == again.auth && stored.userID == "usr_fedcba9876543210")
        #expect(try await fixture.store.pushSubscriptions(userID: "usr_0123456789abcdef").isEmpty)
        #expect(try await fixture.store.pushSubscriptions(userID: "usr_fedcba9876543210") == [stored])
    }

    @Test("beyond the per-user limit the oldest subscriptions go; other users keep theirs", arguments: StoreKind.allCases)
    func limit(kind: StoreKind) async throws {
        let fixture = try await fixture(kind)
        _ = try await fixture.store.savePushSubscription(
            Self.subscription("psb_other", endpoint: "https://push.example/o", userID: "usr_fedcba9876543210"),
            maximumPerUser: 3)
        for index in 0..<5 {
            _ = try await fixture.store.savePushSubscription(
                Self.subscription("psb_\(index)", endpoint: "https://push.example/\(index)", at: Sample.now + Int64(index)),
                maximumPerUser: 3)
        }
        #expect(try await fixture.store.pushSubscriptions(userID: "usr_0123456789abcdef").map(\.id) == ["psb_2", "psb_3", "psb_4"])
        #expect(try await fixture.store.pushSubscriptions(userID: "usr_fedcba9876543210").map(\.id) == ["psb_other"])
    }

    @Test("a subscription of an unknown user, or of a user under another app, is refused with notFound", arguments: StoreKind.allCases)
    func unknownUser(kind: StoreKind) async throws {
        let fixture = try await fixture(kind)
        var record = Self.subscription("psb_x", endpoint: "https://push.example/x", userID: "usr_nobody")
        do {
            _ = try await fixture.store.savePushSubscription(record, maximumPerUser: 5)
            Issue.record("saved for an unknown user")
        } catch {
            #expect(error.code == .notFound)
        }
        record.userID = "usr_0123456789abcdef"
        record.appID = "app_other"
        do {
            _ = try await fixture.store.savePushSubscription(record, maximumPerUser: 5)
            Issue.record("saved under another app")
        } catch {
            #expect(error.code == .notFound)
        }
    }
}

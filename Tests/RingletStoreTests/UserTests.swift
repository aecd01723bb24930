import RingletStore
import Testing

@Suite("Users, sessions and authorizations")
struct UserTests {
    @Test("a user reads back by id, by (app, openId) and in the app's list", arguments: StoreKind.allCases)
    func users(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let user = Sample.user()
        #expect(try await fixture.store.user(id: user.id) == user)
        #expect(try await fixture.store.user(appID: user.appID, openID: user.openID) == user)
        #expect(try await fixture.store.users(appID: user.appID) == [user])
        #expect(try await fixture.store.user(id: "usr_none") == nil)
    }

    @Test("an openId belongs to one app: another app's lookup is nil", arguments: StoreKind.allCases)
    func openIDOtherApp(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertApp(Sample.app("app_9999999999999999"))
        #expect(try await fixture.store.user(appID: "app_9999999999999999", openID: Sample.user().openID) == nil)
    }

    @Test("a duplicate openId in one app is a conflict; the same openId in another app is not", arguments: StoreKind.allCases)
    func duplicateOpenID(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertApp(Sample.app("app_9999999999999999"))
        #expect(await code { try await fixture.store.insertUser(Sample.user("usr_2")) } == .conflict)
        try await fixture.store.insertUser(Sample.user("usr_3", appID: "app_9999999999999999"))
        #expect(await code { try await fixture.store.insertUser(Sample.user(openID: "oid_other")) } == .conflict)
        #expect(await code { try await fixture.store.insertUser(Sample.user("usr_4", openID: "oid_4", appID: "app_none")) } == .notFound)
    }

    @Test("a session reads back, is deleted, and deleting it again is fine", arguments: StoreKind.allCases)
    func sessions(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let session = SessionRecord(tokenHash: String(repeating: "cd", count: 32), userID: Sample.user().id,
                                    appID: Sample.app().id, channel: .trial, expiresAt: Sample.now + 86_400_000,
                                    createdAt: Sample.now)
        try await fixture.store.insertSession(session)
        #expect(try await fixture.store.session(tokenHash: session.tokenHash) == session)
        #expect(await code { try await fixture.store.insertSession(session) } == .conflict)
        try await fixture.store.deleteSession(tokenHash: session.tokenHash)
        #expect(try await fixture.store.session(tokenHash: session.tokenHash) == nil)
        try await fixture.store.deleteSession(tokenHash: session.tokenHash)
    }

    @Test("a session for a user of another app is notFound", arguments: StoreKind.allCases)
    func sessionWrongApp(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertApp(Sample.app("app_9999999999999999"))
        let session = SessionRecord(tokenHash: "ee", userID: Sample.user().id, appID: "app_9999999999999999",
                                    channel: .release, expiresAt: Sample.now, createdAt: Sample.now)
        #expect(await code { try await fixture.store.insertSession(session) } == .notFound)
    }

    @Test("setAuthorization inserts, then replaces the status of the same (user, SN)", arguments: StoreKind.allCases)
    func authorizationUpsert(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let user = Sample.user().id
        try await fixture.store.setAuthorization(AuthorizationRecord(userID: user, sn: "BELL_0001", status: .authorized,
                                                               updatedAt: Sample.now))
        let revoked = AuthorizationRecord(userID: user, sn: "BELL_0001", status: .revoked, updatedAt: Sample.now + 5)
        try await fixture.store.setAuthorization(revoked)
        #expect(try await fixture.store.authorization(userID: user, sn: "BELL_0001") == revoked)
        #expect(try await fixture.store.authorizations(sn: "BELL_0001") == [revoked])
        #expect(try await fixture.store.authorizations(userID: user) == [revoked])
        #expect(try await fixture.store.authorization(userID: user, sn: "BELL_0002") == nil)
    }

    @Test("authorizations list by SN and by user, most recently changed first", arguments: StoreKind.allCases)
    func authorizationLists(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertUser(Sample.user("usr_b", openID: "oid_b"))
        let a1 = AuthorizationRecord(userID: Sample.user().id, sn: "BELL_0001", status: .authorized, updatedAt: 1)
        let a2 = AuthorizationRecord(userID: "usr_b", sn: "BELL_0001", status: .authorized, updatedAt: 2)
        let a3 = AuthorizationRecord(userID: "usr_b", sn: "BELL_0002", status: .revoked, updatedAt: 3)
        for record in [a1, a2, a3] { try await fixture.store.setAuthorization(record) }
        #expect(try await fixture.store.authorizations(sn: "BELL_0001") == [a2, a1])
        #expect(try await fixture.store.authorizations(userID: "usr_b") == [a3, a2])
        #expect(try await fixture.store.authorizations(sn: "BELL_NONE") == [])
    }

    @Test("an authorization by an unknown user is notFound", arguments: StoreKind.allCases)
    func authorizationUnknownUser(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let record = AuthorizationRecord(userID: "usr_none", sn: "BELL_0001", status: .authorized, updatedAt: 1)
        #expect(await code { try await fixture.store.setAuthorization(record) } == .notFound)
    }
}

import Foundation
import GRDB
@testable import RingletStore
import Testing

@Suite("Sign-in codes, housekeeping, crash recovery and pages")
struct HousekeepingTests {
    static func code(_ hash: String, expiresAt: Int64 = Sample.now + 600_000) -> SignInCodeRecord {
        SignInCodeRecord(codeHash: hash, userID: Sample.user().id, appID: Sample.app().id, channel: .debug,
                         ttlSeconds: 3600, expiresAt: expiresAt, createdAt: Sample.now)
    }

    @Test("a sign-in code is taken once: the second exchange and an expired code give nil", arguments: StoreKind.allCases)
    func signInCodeOnce(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertSignInCode(Self.code("c1"))
        try await fixture.store.insertSignInCode(Self.code("c2", expiresAt: Sample.now + 10))
        #expect(try await fixture.store.consumeSignInCode(codeHash: "c1", now: Sample.now) == Self.code("c1"))
        #expect(try await fixture.store.consumeSignInCode(codeHash: "c1", now: Sample.now) == nil)
        #expect(try await fixture.store.consumeSignInCode(codeHash: "c2", now: Sample.now + 10) == nil)
        #expect(try await fixture.store.consumeSignInCode(codeHash: "unknown", now: Sample.now) == nil)
    }

    @Test("purge deletes old tickets, expired sessions and codes, and notices read long ago; nothing else", arguments: StoreKind.allCases)
    func purge(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let store = fixture.store
        let day: Int64 = 86_400_000
        try await store.insertTicket(Sample.ticket("rlt_old", expiresAt: Sample.now - 2 * day))
        try await store.insertTicket(Sample.ticket("rlt_recent", expiresAt: Sample.now - 1000))
        for (hash, expires) in [("s_old", Sample.now - 1), ("s_live", Sample.now + day)] {
            try await store.insertSession(SessionRecord(tokenHash: hash, userID: Sample.user().id, appID: Sample.app().id,
                                                  channel: .release, expiresAt: expires, createdAt: Sample.now - day))
        }
        try await store.insertSignInCode(Self.code("c_old", expiresAt: Sample.now - 1))
        try await store.insertSignInCode(Self.code("c_live"))
        for (id, read) in [("ntc_old", Sample.now - 40 * day), ("ntc_new", Sample.now - day), ("ntc_unread", nil)] {
            try await store.insertNotice(NoticeRecord(id: id, sn: "BELL_0001", userID: Sample.user().id, kind: 1, text: "x",
                                                createdAt: Sample.now - 50 * day, readAt: read))
        }
        let counts = try await store.purge(now: Sample.now, ticketRetentionMs: day, noticeRetentionMs: 30 * day)
        #expect(counts == PurgeCounts(tickets: 1, sessions: 1, signInCodes: 1, notices: 1))
        #expect(try await store.ticket(hash: "rlt_old") == nil)
        #expect(try await store.ticket(hash: "rlt_recent") != nil)
        #expect(try await store.session(tokenHash: "s_old") == nil)
        #expect(try await store.session(tokenHash: "s_live") != nil)
        #expect(try await store.notices(userID: Sample.user().id, unreadOnly: false, limit: 10).map(\.id).sorted()
                == ["ntc_new", "ntc_unread"])
        #expect(try await store.purge(now: Sample.now, ticketRetentionMs: day, noticeRetentionMs: 30 * day).total == 0)
    }

    @Test("calls a crash left ringing or active are closed with the given outcome; ended ones are untouched", arguments: StoreKind.allCases)
    func closeUnfinished(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let ended = Sample.call("call_done", startedAt: Sample.now)
        let active = Sample.call("call_active", startedAt: Sample.now + 1, outcome: .active)
        let ringing = Sample.call("call_ringing", startedAt: Sample.now + 3, sn: "BELL_0002", userID: "usr_b",
                                  outcome: .ringing)
        for call in [ended, active, ringing] {
            try await fixture.store.insertCall(call)
        }
        #expect(try await fixture.store.closeUnfinishedCalls(outcome: .interrupted, now: Sample.now + 100) == 2)
        #expect(try await fixture.store.call(id: "call_active")?.outcome == .interrupted)
        #expect(try await fixture.store.call(id: "call_active")?.endedAt == Sample.now + 100)
        #expect(try await fixture.store.call(id: "call_ringing")?.outcome == .interrupted)
        #expect(try await fixture.store.call(id: "call_done") == ended)
        #expect(try await fixture.store.closeUnfinishedCalls(outcome: .interrupted, now: Sample.now + 200) == 0)
    }

    @Test("pages of calls cover every call once, newest first, even when calls are added between pages", arguments: StoreKind.allCases)
    func callPages(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        // Equal start times on purpose: the rowid breaks the tie.
        for i in 0..<7 { try await fixture.store.insertCall(Sample.call("call_\(i)", startedAt: Sample.now + Int64(i / 2))) }
        var seen: [String] = []
        var page = try await fixture.store.calls(appID: nil, sn: "BELL_0001", userID: nil, page: PageRequest(limit: 3))
        seen += page.items.map(\.id)
        try await fixture.store.insertCall(Sample.call("call_new", startedAt: Sample.now + 99))
        while let next = page.next {
            page = try await fixture.store.calls(appID: nil, sn: "BELL_0001", userID: nil, page: PageRequest(limit: 3, after: next))
            seen += page.items.map(\.id)
        }
        #expect(seen == ["call_6", "call_5", "call_4", "call_3", "call_2", "call_1", "call_0"])
    }

    @Test("pages of apps, models, devices, users, authorizations and notices list each record once, in order", arguments: StoreKind.allCases)
    func otherPages(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let store = fixture.store
        try await Sample.populate(store)
        for i in 2...5 {
            try await store.insertDevice(Sample.device("BELL_000\(i)"))
            try await store.insertUser(Sample.user("usr_000000000000000\(i)", openID: "oid_00000000000000000000000\(i)"))
            try await store.setAuthorization(AuthorizationRecord(userID: Sample.user().id, sn: "BELL_000\(i)", status: .authorized,
                                                           updatedAt: Sample.now + Int64(i)))
            try await store.insertNotice(NoticeRecord(id: "ntc_\(i)", sn: "BELL_0001", userID: Sample.user().id, kind: i, text: "t",
                                                createdAt: Sample.now + Int64(i)))
        }
        func all<T>(_ read: (PageRequest) async throws -> Page<T>) async throws -> [T] {
            var items: [T] = []
            var request = PageRequest(limit: 2)
            while true {
                let page = try await read(request)
                items += page.items
                guard let next = page.next else { return items }
                request = PageRequest(limit: 2, after: next)
            }
        }
        let app = Sample.app().id
        let devices = try await store.devices(appID: app).map(\.sn), users = try await store.users(appID: app).map(\.id)
        #expect(try await all { try await store.devices(appID: app, page: $0) }.map(\.sn) == devices)
        #expect(try await all { try await store.users(appID: app, page: $0) }.map(\.id) == users)
        #expect(try await all { try await store.models(appID: app, page: $0) }.map(\.id) == [Sample.model().id])
        #expect(try await all { try await store.apps(page: $0) }.map(\.id) == [app])
        #expect(try await all { try await store.authorizations(appID: app, sn: nil, userID: nil, page: $0) }.map(\.sn)
                == ["BELL_0005", "BELL_0004", "BELL_0003", "BELL_0002"])
        #expect(try await all { try await store.authorizations(appID: app, sn: nil, userID: Sample.user().id, page: $0) }.count == 4)
        #expect(try await all { try await store.authorizations(appID: app, sn: "BELL_0003", userID: nil, page: $0) }.map(\.sn)
                == ["BELL_0003"])
        #expect(try await all { try await store.notices(userID: Sample.user().id, unreadOnly: true, page: $0) }.map(\.id)
                == ["ntc_5", "ntc_4", "ntc_3", "ntc_2"])
        #expect(try await store.devices(appID: app, page: PageRequest(limit: 0)).items.isEmpty)
    }

    @Test("a v1 SQLite database migrates to the latest: its records stay, its clear tickets are dropped")
    func migratesFromV1() async throws {
        let fixture = try await Fixture(.sqlite)
        try await fixture.store.close()
        try FileManager.default.removeItem(atPath: fixture.path)
        let pool = try DatabasePool(path: fixture.path)
        try SQLiteStore.migrator.migrate(pool, upTo: "v1")
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO apps VALUES ('app_1', 'A', 'h', 1, NULL, 1);
                INSERT INTO models VALUES ('mdl_1', 'app_1', 'M', 1);
                INSERT INTO devices VALUES ('SN1', 'mdl_1', 'app_1', 'Door', NULL, NULL, 1);
                INSERT INTO tickets VALUES ('rlt_clear', 'SN1', 'mdl_1', 'app_1', 99, NULL, 1);
                """)
        }
        try pool.close()
        try await fixture.reopen()
        #expect(try await fixture.store.appliedMigrations() == SQLiteStore.migrations)
        #expect(try await fixture.store.device(sn: "SN1")?.name == "Door")
        #expect(try await fixture.store.ticket(hash: "rlt_clear") == nil)
        let columns = try await fixture.sqlite.pool.read { db in try db.columns(in: "tickets").map(\.name) }
        #expect(columns.contains("ticket_hash") && !columns.contains("ticket"))
    }
}

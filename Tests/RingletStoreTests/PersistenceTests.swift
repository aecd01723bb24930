import Foundation
@testable import RingletStore
import Testing

@Suite("Restarts, migrations and damaged files")
struct PersistenceTests {
    /// One of every record, changed after insertion where the protocol allows it.
    struct Everything: Equatable {
        var apps: [AppRecord] = []
        var models: [ModelRecord] = []
        var devices: [DeviceRecord] = []
        var tickets: [TicketRecord?] = []
        var users: [UserRecord] = []
        var session: SessionRecord?
        var authorizations: [AuthorizationRecord] = []
        var calls: [CallRecord] = []
        var notices: [NoticeRecord] = []
        var settings: [String?] = []

        static func read(_ store: SQLiteStore) throws -> Everything {
            var all = Everything()
            all.apps = try store.apps()
            all.models = try store.models(appID: Sample.app().id)
            all.devices = try store.devices(appID: Sample.app().id)
            all.tickets = [try store.ticket(hash: "rlt_ticket-1"), try store.ticket(hash: "rlt_ticket-2")]
            all.users = try store.users(appID: Sample.app().id)
            all.session = try store.session(tokenHash: "ab")
            all.authorizations = try store.authorizations(userID: Sample.user().id)
            all.calls = try store.calls(appID: nil, sn: nil, userID: nil, limit: 100)
            all.notices = try store.notices(userID: Sample.user().id, unreadOnly: false, limit: 100)
            all.settings = [try store.setting("admin.tokenHash"), try store.setting("turn.secret")]
            return all
        }
    }

    static func writeEverything(_ store: SQLiteStore) throws {
        try store.insertApp(Sample.app(quota: 10))
        try store.insertModel(Sample.model())
        try store.insertDevice(Sample.device())
        try store.insertUser(Sample.user())
        try store.insertTicket(Sample.ticket())
        try store.insertTicket(Sample.ticket("rlt_ticket-2", sn: "BELL_0002"))
        _ = try store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: [4, 1, 2, 3], now: Sample.now + 1)
        _ = try store.consumeCallQuota(appID: Sample.app().id)
        try store.insertSession(SessionRecord(tokenHash: "ab", userID: Sample.user().id, appID: Sample.app().id,
                                              channel: .debug, expiresAt: Sample.now + 9, createdAt: Sample.now))
        try store.setAuthorization(AuthorizationRecord(userID: Sample.user().id, sn: "BELL_0001", status: .authorized,
                                                       updatedAt: Sample.now))
        var call = Sample.call("call_1", startedAt: Sample.now)
        try store.insertCall(call)
        call.outcome = .peerGone
        call.answeredAt = Sample.now + 1
        call.endedAt = Sample.now + 2
        try store.updateCall(call)
        try store.insertNotice(Sample.notice("ntc_1", createdAt: Sample.now))
        try store.insertNotice(Sample.notice("ntc_2", createdAt: Sample.now + 1))
        try store.markNoticeRead(id: "ntc_1", userID: Sample.user().id, now: Sample.now + 3)
        try store.setSetting("admin.tokenHash", "ff")
    }

    @Test("a restart on the same file loses nothing: every record reads back equal")
    func restart() throws {
        let fixture = try Fixture()
        let path = fixture.folder.appendingPathComponent("restart.sqlite").path
        let before: Everything
        // The first store is dropped (not closed) before the reopen, as a stopped process leaves it.
        do {
            let store = try SQLiteStore(path: path)
            try Self.writeEverything(store)
            before = try Everything.read(store)
        }
        #expect(before.devices.first?.publicKey == [4, 1, 2, 3])
        #expect(before.apps.first?.callQuota == 9)
        #expect(before.tickets.first??.usedAt == Sample.now + 1)
        #expect(before.calls.count == 1 && before.notices.count == 2 && before.session != nil)
        #expect(before.settings == ["ff", nil])

        let reopened = try SQLiteStore(path: path)
        #expect(try Everything.read(reopened) == before)
    }

    @Test("closing and reopening the same file loses nothing")
    func closeAndReopen() throws {
        let fixture = try Fixture()
        try Self.writeEverything(fixture.store)
        let before = try Everything.read(fixture.store)
        try fixture.reopen()
        #expect(try Everything.read(fixture.store) == before)
    }

    @Test("a new database has applied exactly the known migrations")
    func migrationsApplied() throws {
        let fixture = try Fixture()
        #expect(try fixture.store.appliedMigrations() == SQLiteStore.migrations)
        #expect(SQLiteStore.migrations == ["v1", "v2", "v3-push-subscriptions"])
    }

    @Test("running the migrations again, in place or on reopen, changes nothing")
    func migrateTwice() throws {
        let fixture = try Fixture()
        try Self.writeEverything(fixture.store)
        let before = try Everything.read(fixture.store)
        try fixture.store.migrate()
        try fixture.store.migrate()
        #expect(try fixture.store.appliedMigrations() == SQLiteStore.migrations)
        try fixture.reopen()
        #expect(try fixture.store.appliedMigrations() == SQLiteStore.migrations)
        #expect(try Everything.read(fixture.store) == before)
    }

    @Test("the database runs in WAL mode with synchronous FULL and foreign keys on")
    func pragmas() throws {
        let fixture = try Fixture()
        let (journal, synchronous, foreignKeys) = try fixture.store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
        #expect(foreignKeys == 1)
        let readerSynchronous = try fixture.store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(readerSynchronous == 2)
    }

    @Test("a new database file and its WAL files are readable by their owner only")
    func filePermissions() throws {
        let fixture = try Fixture()
        try fixture.store.setSetting("k", "v")
        for path in [fixture.path, fixture.path + "-wal", fixture.path + "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let mode = try #require(attributes[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(path): \(String(mode, radix: 8))")
        }
    }

    @Test("opening a file that is not a database is a database error, not a crash",
          arguments: [
              [UInt8]("this is a configuration file, not a database\n".utf8),
              [UInt8](repeating: 0xAB, count: 8192),
              [UInt8]("SQLite format 3\0".utf8) + [UInt8](repeating: 0xFF, count: 4080),
          ])
    func notADatabase(bytes: [UInt8]) throws {
        let fixture = try Fixture()
        let path = fixture.folder.appendingPathComponent("garbage.sqlite").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(code { _ = try SQLiteStore(path: path) } == .database)
    }

    @Test("a path in a missing folder is a database error")
    func missingFolder() throws {
        let fixture = try Fixture()
        let path = fixture.folder.appendingPathComponent("no/such/folder/ringlet.sqlite").path
        #expect(code { _ = try SQLiteStore(path: path) } == .database)
    }

    @Test("a database from a newer version with an unknown enum value gives a database error on read")
    func unknownEnumValue() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertCall(Sample.call("call_1", startedAt: 1))
        try fixture.store.pool.write { db in try db.execute(sql: "UPDATE calls SET outcome = 'teleported'") }
        #expect(code { _ = try fixture.store.call(id: "call_1") } == .database)
    }

    @Test("calls after close are database errors")
    func afterClose() throws {
        let fixture = try Fixture()
        try fixture.store.close()
        #expect(code { _ = try fixture.store.apps() } == .database)
        #expect(code { try fixture.store.setSetting("a", "b") } == .database)
    }
}

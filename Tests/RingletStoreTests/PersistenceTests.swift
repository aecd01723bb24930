import Foundation
import GRDB
import RingletLab
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

        static func read(_ store: any Store) async throws -> Everything {
            var all = Everything()
            all.apps = try await store.apps()
            all.models = try await store.models(appID: Sample.app().id)
            all.devices = try await store.devices(appID: Sample.app().id)
            all.tickets = [try await store.ticket(hash: "rlt_ticket-1"), try await store.ticket(hash: "rlt_ticket-2")]
            all.users = try await store.users(appID: Sample.app().id)
            all.session = try await store.session(tokenHash: "ab")
            all.authorizations = try await store.authorizations(userID: Sample.user().id)
            all.calls = try await store.calls(appID: nil, sn: nil, userID: nil, limit: 100)
            all.notices = try await store.notices(userID: Sample.user().id, unreadOnly: false, limit: 100)
            all.settings = [try await store.setting("admin.tokenHash"), try await store.setting("turn.secret")]
            return all
        }
    }

    static func writeEverything(_ store: any Store) async throws {
        try await store.insertApp(Sample.app(quota: 10))
        try await store.insertModel(Sample.model())
        try await store.insertDevice(Sample.device())
        try await store.insertUser(Sample.user())
        try await store.insertTicket(Sample.ticket())
        try await store.insertTicket(Sample.ticket("rlt_ticket-2", sn: "BELL_0002"))
        _ = try await store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: [4, 1, 2, 3], now: Sample.now + 1)
        _ = try await store.consumeCallQuota(appID: Sample.app().id)
        try await store.insertSession(SessionRecord(tokenHash: "ab", userID: Sample.user().id, appID: Sample.app().id,
                                              channel: .debug, expiresAt: Sample.now + 9, createdAt: Sample.now))
        try await store.setAuthorization(AuthorizationRecord(userID: Sample.user().id, sn: "BELL_0001", status: .authorized,
                                                       updatedAt: Sample.now))
        var call = Sample.call("call_1", startedAt: Sample.now)
        try await store.insertCall(call)
        call.outcome = .peerGone
        call.answeredAt = Sample.now + 1
        call.endedAt = Sample.now + 2
        try await store.updateCall(call)
        try await store.insertNotice(Sample.notice("ntc_1", createdAt: Sample.now))
        try await store.insertNotice(Sample.notice("ntc_2", createdAt: Sample.now + 1))
        try await store.markNoticeRead(id: "ntc_1", userID: Sample.user().id, now: Sample.now + 3)
        try await store.setSetting("admin.tokenHash", "ff")
    }

    @Test("a restart loses nothing: a store dropped without closing, and a new one on the same file or database, read back every record equal",
          arguments: StoreKind.allCases)
    func restart(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let before: Everything
        // The first store is dropped (not closed) before the second opens, as a stopped process leaves it.
        do {
            let (store, task) = try await fixture.second()
            try await Self.writeEverything(store)
            before = try await Everything.read(store)
            task?.cancel()
        }
        #expect(before.devices.first?.publicKey == [4, 1, 2, 3])
        #expect(before.apps.first?.callQuota == 9)
        #expect(before.tickets.first??.usedAt == Sample.now + 1)
        #expect(before.calls.count == 1 && before.notices.count == 2 && before.session != nil)
        #expect(before.settings == ["ff", nil])

        let (reopened, task) = try await fixture.second()
        defer { task?.cancel() }
        #expect(try await Everything.read(reopened) == before)
    }

    @Test("closing and reopening the same file or database loses nothing", arguments: StoreKind.allCases)
    func closeAndReopen(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Self.writeEverything(fixture.store)
        let before = try await Everything.read(fixture.store)
        try await fixture.reopen()
        #expect(try await Everything.read(fixture.store) == before)
    }

    @Test("a new database has applied exactly the known migrations", arguments: StoreKind.allCases)
    func migrationsApplied(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let known = kind == .sqlite ? SQLiteStore.migrations : PostgresStore.migrations
        #expect(try await fixture.store.appliedMigrations() == known)
        #expect(SQLiteStore.migrations == ["v1", "v2", "v3-push-subscriptions", "v4-one-call-at-a-time"])
        #expect(PostgresStore.migrations == ["v1"])
    }

    @Test("running the migrations again, in place or on reopen, changes nothing", arguments: StoreKind.allCases)
    func migrateTwice(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Self.writeEverything(fixture.store)
        let before = try await Everything.read(fixture.store)
        let applied = try await fixture.store.appliedMigrations()
        try await fixture.migrate()
        try await fixture.migrate()
        #expect(try await fixture.store.appliedMigrations() == applied)
        try await fixture.reopen()
        #expect(try await fixture.store.appliedMigrations() == applied)
        #expect(try await Everything.read(fixture.store) == before)
    }

    @Test("two nodes migrating one new PostgreSQL database at once both succeed, and it is migrated once")
    func concurrentMigrations() async throws {
        let fixture = try await Fixture(.postgresql)
        let stores = try await [fixture.second(), fixture.second(), fixture.second()]
        defer { stores.forEach { $0.1?.cancel() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (store, _) in stores {
                group.addTask { try await (store as? PostgresStore)?.migrate() }
            }
            try await group.waitForAll()
        }
        #expect(try await fixture.store.appliedMigrations() == PostgresStore.migrations)
    }

    @Test("a database from a newer version (an unknown migration) is refused with a database error",
          arguments: StoreKind.allCases)
    func newerDatabase(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.execute(kind == .sqlite ? "INSERT INTO grdb_migrations (identifier) VALUES ('v99')"
                                                  : "INSERT INTO ringlet_migrations (name) VALUES ('v99')")
        try await fixture.store.close()
        do {
            let (store, task) = try await fixture.second()
            task?.cancel()
            Issue.record("a newer database opened: \(store.summary)")
        } catch let error as StoreError {
            #expect(error.code == .database)
            #expect(error.message.contains("v99"))
        }
    }

    @Test("the SQLite database runs in WAL mode with synchronous FULL and foreign keys on")
    func pragmas() async throws {
        let fixture = try await Fixture(.sqlite)
        let store = try fixture.sqlite
        let (journal, synchronous, foreignKeys) = try await store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
        #expect(foreignKeys == 1)
        let readerSynchronous = try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(readerSynchronous == 2)
    }

    @Test("a new SQLite file and its WAL files are readable by their owner only")
    func filePermissions() async throws {
        let fixture = try await Fixture(.sqlite)
        try await fixture.store.setSetting("k", "v")
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
    func notADatabase(bytes: [UInt8]) async throws {
        let fixture = try await Fixture(.sqlite)
        let path = fixture.folder.appendingPathComponent("garbage.sqlite").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(await code { _ = try SQLiteStore(path: path) } == .database)
    }

    @Test("a path in a missing folder is a database error")
    func missingFolder() async throws {
        let fixture = try await Fixture(.sqlite)
        let path = fixture.folder.appendingPathComponent("no/such/folder/ringlet.sqlite").path
        #expect(await code { _ = try SQLiteStore(path: path) } == .database)
    }

    @Test("a PostgreSQL database that does not exist, or a server that is not there, is a database error")
    func missingDatabase() async throws {
        let server = try await PostgresServer.shared()
        for url in [server.url(database: "no_such_database"), "postgres://postgres@/x?host=/nonexistent-folder"] {
            var configuration = try PostgresStore.Configuration(url: url)
            configuration.requestTimeout = .seconds(3)
            let store = PostgresStore(configuration: configuration)
            let running = Task { await store.run() }
            defer { running.cancel() }
            #expect(await code { _ = try await store.apps() } == .database, "\(url)")
        }
    }

    @Test("a database from a newer version with an unknown enum value gives a database error on read",
          arguments: StoreKind.allCases)
    func unknownEnumValue(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertCall(Sample.call("call_1", startedAt: 1))
        try await fixture.execute("UPDATE calls SET outcome = 'teleported'")
        #expect(await code { _ = try await fixture.store.call(id: "call_1") } == .database)
    }

    @Test("calls after close are database errors", arguments: StoreKind.allCases)
    func afterClose(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.store.close()
        #expect(await code { _ = try await fixture.store.apps() } == .database)
        #expect(await code { try await fixture.store.setSetting("a", "b") } == .database)
    }
}

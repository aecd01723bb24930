import Foundation
import GRDB
import RingletLab
@testable import RingletStore
import RingletTestSupport
import Testing

/// The store implementations the contract suite runs against, unchanged (docs/store.md, "Tests").
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql
    var testDescription: String { rawValue }
}

/// A fresh, empty, migrated store of one kind: an SQLite file in its own temporary folder, or a new database on
/// the test process's PostgreSQL server (Debian's, started on first use, see `PostgresServer.shared()`).
final class Fixture: @unchecked Sendable {
    // @unchecked: the fixture belongs to one test; only `reopen()` changes `store`, from that test.
    let kind: StoreKind
    let folder: URL
    /// The SQLite file, or the PostgreSQL database's URL.
    let path: String
    private(set) var store: any Store
    private var running: Task<Void, Never>?

    init(_ kind: StoreKind = .sqlite) async throws {
        self.kind = kind
        folder = try temporaryFolder(prefix: "ringlet-store")
        switch kind {
        case .sqlite:
            path = folder.appendingPathComponent("ringlet.sqlite").path
            store = try SQLiteStore(path: path)
        case .postgresql:
            path = try await PostgresServer.shared().createDatabase(prefix: "store")
            let (store, task) = try await Self.startPostgres(url: path)
            self.store = store
            running = task
        }
    }

    deinit {
        running?.cancel()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The SQLite store (tests of SQLite's own behaviour only).
    var sqlite: SQLiteStore {
        get throws { try #require(store as? SQLiteStore) }
    }

    /// A PostgreSQL store on `url`, running (its pool driven by a task the caller cancels) and migrated.
    static func startPostgres(url: String) async throws -> (PostgresStore, Task<Void, Never>) {
        try await PostgresServer.startStore(url: url)
    }

    /// Closes the store and opens the same file or database again, as a restarted server does.
    func reopen() async throws {
        try await store.close()
        switch kind {
        case .sqlite:
            store = try SQLiteStore(path: path)
        case .postgresql:
            running?.cancel()
            let (store, task) = try await Self.startPostgres(url: path)
            self.store = store
            running = task
        }
    }

    /// Runs the migrations again on the open store.
    func migrate() async throws {
        switch kind {
        case .sqlite: try sqlite.migrate()
        case .postgresql: try await (store as? PostgresStore)?.migrate()
        }
    }

    /// Runs raw SQL on the database beside the store (to damage or age it the way another version would).
    func execute(_ sql: String) async throws {
        switch kind {
        case .sqlite:
            try await sqlite.pool.write { db in try db.execute(sql: sql) }
        case .postgresql:
            let name = try #require(URLComponents(string: path)?.path.dropFirst())
            _ = try await PostgresServer.shared().psql(sql, database: String(name))
        }
    }

    /// Another store on the same file or database (a second process or node).
    func second() async throws -> (any Store, Task<Void, Never>?) {
        switch kind {
        case .sqlite:
            return (try SQLiteStore(path: path), nil)
        case .postgresql:
            let (store, task) = try await Self.startPostgres(url: path)
            return (store, task)
        }
    }
}

/// The code of the `StoreError` that `body` throws, or nil when it throws nothing (or something else).
func code(_ body: () async throws -> Void) async -> StoreError.Code? {
    do {
        try await body()
        return nil
    } catch let error as StoreError {
        return error.code
    } catch {
        return nil
    }
}

/// Records that belong together: one app with a model, a device, a user.
enum Sample {
    static let now: Int64 = 1_764_000_000_000

    static func app(_ id: String = "app_0123456789abcdef", quota: Int? = nil) -> AppRecord {
        AppRecord(id: id, name: "Door bells", secretHash: String(repeating: "ab", count: 32), releaseApproved: true,
                  callQuota: quota, createdAt: now)
    }

    static func model(_ id: String = "mdl_0123456789ab", appID: String = "app_0123456789abcdef") -> ModelRecord {
        ModelRecord(id: id, appID: appID, name: "Bell 2", createdAt: now)
    }

    static func device(_ sn: String = "BELL_0001", modelID: String = "mdl_0123456789ab",
                       appID: String = "app_0123456789abcdef") -> DeviceRecord {
        DeviceRecord(sn: sn, modelID: modelID, appID: appID, name: "Front door", createdAt: now)
    }

    static func user(_ id: String = "usr_0123456789abcdef", openID: String = "oid_0123456789abcdef01234567",
                     appID: String = "app_0123456789abcdef") -> UserRecord {
        UserRecord(id: id, appID: appID, openID: openID, name: "Ada", createdAt: now)
    }

    static func ticket(_ ticket: String = "rlt_ticket-1", sn: String = "BELL_0001", expiresAt: Int64 = now + 300_000)
        -> TicketRecord {
        TicketRecord(ticketHash: ticket, sn: sn, modelID: "mdl_0123456789ab", appID: "app_0123456789abcdef",
                     expiresAt: expiresAt, createdAt: now)
    }

    /// A call of the history: ended (`completed`, a second after it started) unless `outcome` says otherwise. At most
    /// one call per SN and per user may be `ringing` or `active` (a rule of the schema).
    static func call(_ id: String, startedAt: Int64, sn: String = "BELL_0001", userID: String = "usr_0123456789abcdef",
                     appID: String = "app_0123456789abcdef", outcome: CallRecord.Outcome = .completed) -> CallRecord {
        let open = outcome == .ringing || outcome == .active
        return CallRecord(id: id, appID: appID, sn: sn, userID: userID, direction: .deviceToUser, kind: .video,
                          channel: .release, outcome: outcome, startedAt: startedAt,
                          answeredAt: outcome == .active || outcome == .completed ? startedAt + 100 : nil,
                          endedAt: open ? nil : startedAt + 1_000)
    }

    static func notice(_ id: String, createdAt: Int64, userID: String = "usr_0123456789abcdef") -> NoticeRecord {
        NoticeRecord(id: id, sn: "BELL_0001", userID: userID, kind: 7, text: "Someone is at the door",
                     createdAt: createdAt)
    }

    /// An app, its model, a device and a user.
    static func populate(_ store: some Store) async throws {
        try await store.insertApp(app())
        try await store.insertModel(model())
        try await store.insertDevice(device())
        try await store.insertUser(user())
    }
}

import Foundation
import GRDB

/// The default `Store`: one SQLite file through GRDB, in WAL mode, migrated on open.
///
/// - Concurrency: a `DatabasePool` — one writer connection (writes are serialized) and several readers that
///   run beside it on WAL snapshots. Every protocol call is one transaction; `registerDevice` and
///   `consumeCallQuota` read and write in the same write transaction, so two callers never both take the last
///   call of a quota or both use one ticket.
/// - Durability: `PRAGMA synchronous = FULL` on every connection: a commit syncs the write-ahead log before the
///   call returns, so a call that returned survives a crash or a power loss (WAL's default `NORMAL` may lose the
///   last commits on power loss). The price is one `fsync` per write call.
/// - Errors: unique or primary-key violations become `StoreError.conflict`, foreign-key violations (a model,
///   app or user that does not exist) `StoreError.notFound`, everything else `StoreError.database` with
///   SQLite's message (never the statement's arguments, which hold secret hashes).
/// - Files: `path`, plus SQLite's `path-wal` and `path-shm` beside it. A new file is created readable by the
///   owner only (it holds secret hashes); SQLite gives the WAL files the same mode.
///
/// The store reads no clock: every time comes in as an argument (Unix milliseconds).
public final class SQLiteStore: Store {
    /// The migrations this version knows, in the order they run (`appliedMigrations()` lists the applied ones).
    public static let migrations: [String] = ["v1", "v2", "v3-push-subscriptions", "v4-one-call-at-a-time"]

    /// The database file this store opened.
    public let path: String
    let pool: DatabasePool

    /// Opens the SQLite database at `path` (creating the file if absent, not its folder) and migrates it.
    ///
    /// - Parameter path: the database file, e.g. `<data-dir>/ringlet.sqlite`.
    /// - Throws: `StoreError.database` when the file cannot be opened, is not a SQLite database, or a migration
    ///   fails.
    public init(path: String) throws(StoreError) {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            // An empty file is a valid new database; create it owner-only before SQLite does with the umask.
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            else {
                throw StoreError(.database, "cannot create the database file at \(path)")
            }
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process (an operator's `sqlite3`) may hold the write lock for a moment.
        configuration.busyMode = .timeout(5)
        configuration.label = "RingletStore"
        configuration.prepareDatabase { db in
            // Readers never commit; the writer gets FULL again below (see there).
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB's WAL set-up of the writer connection runs after `prepareDatabase` and sets NORMAL; the writer
            // lives as long as the pool, so setting FULL on it once holds for every write.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw Self.storeError(error, "opening \(path)")
        }
        try migrate()
    }

    /// Runs the migrations that have not run yet; running it again is a no-op. A database that a newer version
    /// migrated further (a migration this version does not know) is refused: this version could misread it.
    func migrate() throws(StoreError) {
        let newer: [String]
        do {
            newer = try pool.read { db in
                try Self.migrator.appliedIdentifiers(db).filter { !Self.migrations.contains($0) }.sorted()
            }
        } catch {
            throw Self.storeError(error, "reading the applied migrations")
        }
        guard newer.isEmpty else {
            throw StoreError(.database, "the database was migrated by a newer version (\(newer.joined(separator: ", "))); "
                + "this version knows \(Self.migrations.joined(separator: ", "))")
        }
        do {
            try Self.migrator.migrate(pool)
        } catch {
            throw Self.storeError(error, "migrating")
        }
    }

    /// The names of the migrations applied to this database, in order (e.g. `["v1"]`).
    public func appliedMigrations() async throws(StoreError) -> [String] {
        try await read("listing migrations") { db in try Self.migrator.appliedMigrations(db) }
    }

    public var summary: String { "sqlite \(path)" }

    /// Closes the database connections; later calls throw `StoreError.database`. Dropping the store closes it
    /// too; this is for an orderly shutdown that wants to see errors.
    public func close() async throws(StoreError) {
        try closeNow()
    }

    /// Closes the connections at once, from synchronous code (tests, `deinit`-like clean-ups).
    public func closeNow() throws(StoreError) {
        do {
            try pool.close()
        } catch {
            throw Self.storeError(error, "closing")
        }
    }

    // MARK: Transactions

    /// Runs `body` in one write transaction (committed when it returns, rolled back when it throws).
    func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw Self.storeError(error, what)
        }
    }

    /// Runs `body` on a read-only snapshot.
    func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.storeError(error, what)
        }
    }

    /// Maps an error thrown inside a transaction to a `StoreError` (see the type's doc comment).
    static func storeError(_ error: any Error, _ what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else {
            return StoreError(.database, "\(what): \(error)")
        }
        let message = error.message ?? "SQLite error \(error.extendedResultCode.rawValue)"
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            return StoreError(.conflict, "\(what): \(message)")
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return StoreError(.notFound, "\(what): a record it refers to does not exist (\(message))")
        default:
            return StoreError(.database, "\(what): \(message)")
        }
    }
}

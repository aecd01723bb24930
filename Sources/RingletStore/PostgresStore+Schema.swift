import PostgresNIO

extension PostgresStore {
    /// The schema's history on PostgreSQL, named like SQLite's and append-only the same way (docs/store.md).
    ///
    /// `v1` is the whole schema of SQLite's `v1` to `v4-one-call-at-a-time` at once (a PostgreSQL database starts at this version),
    /// with `BIGINT` times, `BOOLEAN`, `BYTEA`, and a `seq` identity column on every listed table for keyset pages.
    static let schema: [(name: String, sql: [String])] = [
        ("v1", [
            """
            CREATE TABLE apps (
                id TEXT NOT NULL PRIMARY KEY,
                name TEXT NOT NULL,
                secret_hash TEXT NOT NULL,
                release_approved BOOLEAN NOT NULL,
                call_quota BIGINT CHECK (call_quota IS NULL OR call_quota >= 0),
                created_at BIGINT NOT NULL,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
            )
            """,
            "CREATE INDEX apps_by_time ON apps (created_at, seq)",
            """
            CREATE TABLE models (
                id TEXT NOT NULL PRIMARY KEY,
                app_id TEXT NOT NULL REFERENCES apps (id),
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                UNIQUE (id, app_id)
            )
            """,
            "CREATE INDEX models_by_app ON models (app_id, created_at, seq)",
            """
            CREATE TABLE devices (
                sn TEXT NOT NULL PRIMARY KEY,
                model_id TEXT NOT NULL,
                app_id TEXT NOT NULL,
                name TEXT NOT NULL,
                public_key BYTEA,
                registered_at BIGINT,
                created_at BIGINT NOT NULL,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                FOREIGN KEY (model_id, app_id) REFERENCES models (id, app_id)
            )
            """,
            "CREATE INDEX devices_by_app ON devices (app_id, created_at, seq)",
            "CREATE INDEX devices_by_model ON devices (model_id, app_id)",
            """
            CREATE TABLE tickets (
                ticket_hash TEXT NOT NULL PRIMARY KEY,
                sn TEXT NOT NULL,
                model_id TEXT NOT NULL,
                app_id TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                created_at BIGINT NOT NULL,
                FOREIGN KEY (model_id, app_id) REFERENCES models (id, app_id)
            )
            """,
            "CREATE INDEX tickets_by_sn ON tickets (sn)",
            "CREATE INDEX tickets_by_model ON tickets (model_id, app_id)",
            "CREATE INDEX tickets_by_expiry ON tickets (expires_at)",
            """
            CREATE TABLE ticket_uses (
                ticket_hash TEXT NOT NULL REFERENCES tickets (ticket_hash) ON DELETE CASCADE,
                user_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (ticket_hash, user_id)
            )
            """,
            """
            CREATE TABLE users (
                id TEXT NOT NULL PRIMARY KEY,
                app_id TEXT NOT NULL REFERENCES apps (id),
                open_id TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                UNIQUE (app_id, open_id),
                UNIQUE (id, app_id)
            )
            """,
            "CREATE INDEX users_by_app ON users (app_id, created_at, seq)",
            """
            CREATE TABLE sessions (
                token_hash TEXT NOT NULL PRIMARY KEY,
                user_id TEXT NOT NULL,
                app_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                FOREIGN KEY (user_id, app_id) REFERENCES users (id, app_id)
            )
            """,
            "CREATE INDEX sessions_by_user ON sessions (user_id, app_id)",
            "CREATE INDEX sessions_by_expiry ON sessions (expires_at)",
            """
            CREATE TABLE sign_in_codes (
                code_hash TEXT NOT NULL PRIMARY KEY,
                user_id TEXT NOT NULL,
                app_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                ttl_seconds BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                FOREIGN KEY (user_id, app_id) REFERENCES users (id, app_id)
            )
            """,
            "CREATE INDEX sign_in_codes_by_user ON sign_in_codes (user_id, app_id)",
            "CREATE INDEX sign_in_codes_by_expiry ON sign_in_codes (expires_at)",
            """
            CREATE TABLE authorizations (
                user_id TEXT NOT NULL REFERENCES users (id),
                sn TEXT NOT NULL,
                status TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                PRIMARY KEY (user_id, sn)
            )
            """,
            "CREATE INDEX authorizations_by_sn ON authorizations (sn, updated_at, seq)",
            "CREATE INDEX authorizations_by_user ON authorizations (user_id, updated_at, seq)",
            """
            CREATE TABLE calls (
                id TEXT NOT NULL PRIMARY KEY,
                app_id TEXT NOT NULL REFERENCES apps (id),
                sn TEXT NOT NULL,
                user_id TEXT NOT NULL,
                direction TEXT NOT NULL,
                kind TEXT NOT NULL,
                channel TEXT NOT NULL,
                outcome TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                answered_at BIGINT,
                ended_at BIGINT,
                node TEXT,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
            )
            """,
            "CREATE UNIQUE INDEX calls_busy_device ON calls (sn) WHERE outcome IN ('ringing', 'active')",
            "CREATE UNIQUE INDEX calls_busy_user ON calls (user_id) WHERE outcome IN ('ringing', 'active')",
            "CREATE INDEX calls_by_node ON calls (node) WHERE outcome IN ('ringing', 'active')",
            "CREATE INDEX calls_by_time ON calls (started_at, seq)",
            "CREATE INDEX calls_by_app ON calls (app_id, started_at, seq)",
            "CREATE INDEX calls_by_sn ON calls (sn, started_at, seq)",
            "CREATE INDEX calls_by_user ON calls (user_id, started_at, seq)",
            "CREATE INDEX calls_unfinished ON calls (outcome) WHERE outcome IN ('ringing', 'active')",
            """
            CREATE TABLE notices (
                id TEXT NOT NULL PRIMARY KEY,
                sn TEXT NOT NULL,
                user_id TEXT NOT NULL REFERENCES users (id),
                kind BIGINT NOT NULL,
                text TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                read_at BIGINT,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
            )
            """,
            "CREATE INDEX notices_by_user ON notices (user_id, created_at, seq)",
            "CREATE INDEX notices_read ON notices (read_at) WHERE read_at IS NOT NULL",
            """
            CREATE TABLE push_subscriptions (
                id TEXT NOT NULL PRIMARY KEY,
                user_id TEXT NOT NULL,
                app_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                endpoint TEXT NOT NULL UNIQUE,
                p256dh BYTEA NOT NULL,
                auth BYTEA NOT NULL,
                created_at BIGINT NOT NULL,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                FOREIGN KEY (user_id, app_id) REFERENCES users (id, app_id)
            )
            """,
            "CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id, created_at, seq)",
            """
            CREATE TABLE settings (
                key TEXT NOT NULL PRIMARY KEY,
                value TEXT NOT NULL
            )
            """,
        ]),
    ]

    /// The advisory lock key migrations hold, so that nodes starting together migrate one after the other.
    static let migrationLock: Int64 = 0x5249_4E47_4C45_5401

    /// Runs the migrations that have not run yet, each in its own transaction, under an advisory lock (several
    /// nodes may start at once); running it again is a no-op. A database migrated further by a newer version (a
    /// migration name this version does not know) is refused.
    public func migrate() async throws(StoreError) {
        let logger = self.logger
        let known = Self.schema.map(\.name)
        try await transaction("migrating") { connection in
            try await connection.rows("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger)
            try await connection.rows("""
                CREATE TABLE IF NOT EXISTS ringlet_migrations (
                    name TEXT NOT NULL PRIMARY KEY,
                    position BIGINT GENERATED ALWAYS AS IDENTITY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """, logger)
            let applied = try await connection.rows("SELECT name FROM ringlet_migrations ORDER BY position", logger)
                .map { try $0.decode(String.self) }
            let newer = applied.filter { !known.contains($0) }
            guard newer.isEmpty else {
                throw StoreError(.database, "the database was migrated by a newer version (\(newer.joined(separator: ", "))); "
                    + "this version knows \(known.joined(separator: ", "))")
            }
            for migration in Self.schema where !applied.contains(migration.name) {
                for statement in migration.sql {
                    try await connection.rows(PostgresQuery(unsafeSQL: statement), logger)
                }
                try await connection.rows("INSERT INTO ringlet_migrations (name) VALUES (\(migration.name))", logger)
            }
        }
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() async throws(StoreError) -> [String] {
        let rows = try await rows("listing migrations", "SELECT name FROM ringlet_migrations ORDER BY position")
        return try decode("listing migrations") { try rows.map { try $0.decode(String.self) } }
    }

    /// Runs a decoding step, turning its failure into `StoreError.database`.
    func decode<T>(_ what: String, _ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "\(what): a value this version cannot read (\(type(of: error)))")
        }
    }
}

import GRDB

extension SQLiteStore {
    /// The schema's history. Migrations are named, run once each in order, and never edited once released:
    /// a change to the schema is a new migration appended here (and to `SQLiteStore.migrations`).
    ///
    /// Tables are STRICT (SQLite checks column types). Enum columns hold raw values without a CHECK, so a new
    /// case needs no table rebuild; decoding rejects unknown values. A device's, ticket's and session's
    /// (model/user, app) pair is one composite foreign key, so a record can't name a model or user of another app.
    /// SNs in tickets, authorizations, calls and notices are not foreign keys: a ticket and an authorization may
    /// come before the device record (registration creates it), and history outlives what it mentions.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE apps (
                    id TEXT NOT NULL PRIMARY KEY,
                    name TEXT NOT NULL,
                    secret_hash TEXT NOT NULL,
                    release_approved INTEGER NOT NULL CHECK (release_approved IN (0, 1)),
                    call_quota INTEGER CHECK (call_quota IS NULL OR call_quota >= 0),
                    created_at INTEGER NOT NULL
                ) STRICT;

                CREATE TABLE models (
                    id TEXT NOT NULL PRIMARY KEY,
                    app_id TEXT NOT NULL REFERENCES apps (id),
                    name TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (id, app_id)
                ) STRICT;
                CREATE INDEX models_by_app ON models (app_id, created_at);

                CREATE TABLE devices (
                    sn TEXT NOT NULL PRIMARY KEY,
                    model_id TEXT NOT NULL,
                    app_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    public_key BLOB,
                    registered_at INTEGER,
                    created_at INTEGER NOT NULL,
                    FOREIGN KEY (model_id, app_id) REFERENCES models (id, app_id)
                ) STRICT;
                CREATE INDEX devices_by_app ON devices (app_id, created_at);
                CREATE INDEX devices_by_model ON devices (model_id, app_id);

                CREATE TABLE tickets (
                    ticket TEXT NOT NULL PRIMARY KEY,
                    sn TEXT NOT NULL,
                    model_id TEXT NOT NULL,
                    app_id TEXT NOT NULL,
                    expires_at INTEGER NOT NULL,
                    used_at INTEGER,
                    created_at INTEGER NOT NULL,
                    FOREIGN KEY (model_id, app_id) REFERENCES models (id, app_id)
                ) STRICT;
                CREATE INDEX tickets_by_sn ON tickets (sn);
                CREATE INDEX tickets_by_model ON tickets (model_id, app_id);

                CREATE TABLE users (
                    id TEXT NOT NULL PRIMARY KEY,
                    app_id TEXT NOT NULL REFERENCES apps (id),
                    open_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (app_id, open_id),
                    UNIQUE (id, app_id)
                ) STRICT;
                CREATE INDEX users_by_app ON users (app_id, created_at);

                CREATE TABLE sessions (
                    token_hash TEXT NOT NULL PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    app_id TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    expires_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    FOREIGN KEY (user_id, app_id) REFERENCES users (id, app_id)
                ) STRICT;
                CREATE INDEX sessions_by_user ON sessions (user_id, app_id);

                CREATE TABLE authorizations (
                    user_id TEXT NOT NULL REFERENCES users (id),
                    sn TEXT NOT NULL,
                    status TEXT NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (user_id, sn)
                ) STRICT;
                CREATE INDEX authorizations_by_sn ON authorizations (sn, updated_at);
                CREATE INDEX authorizations_by_user ON authorizations (user_id, updated_at);

                CREATE TABLE calls (
                    id TEXT NOT NULL PRIMARY KEY,
                    app_id TEXT NOT NULL REFERENCES apps (id),
                    sn TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    direction TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    answered_at INTEGER,
                    ended_at INTEGER
                ) STRICT;
                CREATE INDEX calls_by_time ON calls (started_at);
                CREATE INDEX calls_by_app ON calls (app_id, started_at);
                CREATE INDEX calls_by_sn ON calls (sn, started_at);
                CREATE INDEX calls_by_user ON calls (user_id, started_at);

                CREATE TABLE notices (
                    id TEXT NOT NULL PRIMARY KEY,
                    sn TEXT NOT NULL,
                    user_id TEXT NOT NULL REFERENCES users (id),
                    kind INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    read_at INTEGER
                ) STRICT;
                CREATE INDEX notices_by_user ON notices (user_id, created_at);

                CREATE TABLE settings (
                    key TEXT NOT NULL PRIMARY KEY,
                    value TEXT NOT NULL
                ) STRICT;
                """)
        }
        migrator.registerMigration("v2") { db in
            // Tickets are kept hashed. Tickets live 5 minutes, so the clear ones of v1 are dropped rather than
            // hashed (RingletStore has no hash function): a ticket issued just before the upgrade must be issued
            // again. `ticket_uses` records which users a ticket authorized (at most a few, docs/security.md);
            // `sign_in_codes` holds the one-time codes of sign-in links. The other indexes serve the purge and
            // the start-up closing of calls a crash left open.
            try db.execute(sql: """
                DROP TABLE tickets;
                CREATE TABLE tickets (
                    ticket_hash TEXT NOT NULL PRIMARY KEY,
                    sn TEXT NOT NULL,
                    model_id TEXT NOT NULL,
                    app_id TEXT NOT NULL,
                    expires_at INTEGER NOT NULL,
                    used_at INTEGER,
                    created_at INTEGER NOT NULL,
                    FOREIGN KEY (model_id, app_id) REFERENCES models (id, app_id)
                ) STRICT;
                CREATE INDEX tickets_by_sn ON tickets (sn);
                CREATE INDEX tickets_by_model ON tickets (model_id, app_id);
                CREATE INDEX tickets_by_expiry ON tickets (expires_at);

                CREATE TABLE ticket_uses (
                    ticket_hash TEXT NOT NULL REFERENCES tickets (ticket_hash) ON DELETE CASCADE,
                    user_id TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (ticket_hash, user_id)
                ) STRICT;

                CREATE TABLE sign_in_codes (
                    code_hash TEXT NOT NULL PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    app_id TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    ttl_seconds INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    FOREIGN KEY (user_id, app_id) REFERENCES users (id, app_id)
                ) STRICT;
                CREATE INDEX sign_in_codes_by_user ON sign_in_codes (user_id, app_id);
                CREATE INDEX sign_in_codes_by_expiry ON sign_in_codes (expires_at);

                CREATE INDEX sessions_by_expiry ON sessions (expires_at);
                CREATE INDEX notices_read ON notices (read_at) WHERE read_at IS NOT NULL;
                CREATE INDEX calls_unfinished ON calls (outcome) WHERE outcome IN ('ringing', 'active');
                CREATE INDEX apps_by_time ON apps (created_at);
                """)
        }
        // Web Push subscriptions (docs/push.md): one row per browser endpoint, owned by one user.
        migrator.registerMigration("v3-push-subscriptions") { db in
            try db.execute(sql: """
                CREATE TABLE push_subscriptions (
                    id TEXT NOT NULL PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    app_id TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    endpoint TEXT NOT NULL UNIQUE,
                    p256dh BLOB NOT NULL,
                    auth BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    FOREIGN KEY (user_id, app_id) REFERENCES users (id, app_id)
                ) STRICT;
                CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id, created_at);
                """)
        }
        migrator.registerMigration("v4-one-call-at-a-time") { db in
            // At most one call ringing or active per device and per user, as a rule of the schema: the call
            // router's busy check then holds across processes and nodes, not only inside one router. Calls left
            // open by a crash before this migration are closed first (outcome `interrupted`, ended when they were
            // answered or started: the store reads no clock; the server would close them at start anyway).
            // `node` names the node that routes a call (several nodes on one PostgreSQL; NULL here).
            try db.execute(sql: """
                ALTER TABLE calls ADD COLUMN node TEXT;
                UPDATE calls SET outcome = 'interrupted', ended_at = coalesce(answered_at, started_at)
                    WHERE outcome IN ('ringing', 'active');
                CREATE UNIQUE INDEX calls_busy_device ON calls (sn) WHERE outcome IN ('ringing', 'active');
                CREATE UNIQUE INDEX calls_busy_user ON calls (user_id) WHERE outcome IN ('ringing', 'active');
                """)
        }
        return migrator
    }()
}

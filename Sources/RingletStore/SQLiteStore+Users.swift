import GRDB

// Users, sessions and authorizations.
extension SQLiteStore {
    // MARK: Users

    /// Inserts a user; `conflict` when its id, or its openId within its app, exists; `notFound` for an unknown app.
    public func insertUser(_ user: UserRecord) throws(StoreError) {
        try write("inserting user \(user.id)") { db in
            try db.execute(
                sql: "INSERT INTO users (\(UserRecord.columns)) VALUES (?, ?, ?, ?, ?)",
                arguments: [user.id, user.appID, user.openID, user.name, user.createdAt])
        }
    }

    /// The user with this id, or nil.
    public func user(id: String) throws(StoreError) -> UserRecord? {
        try read("reading user \(id)") { db in
            try db.one("SELECT \(UserRecord.columns) FROM users WHERE id = ?", [id], UserRecord.init(row:))
        }
    }

    /// The app's user with this openId, or nil (an openId of another app is nil here).
    public func user(appID: String, openID: String) throws(StoreError) -> UserRecord? {
        try read("reading user \(openID) of app \(appID)") { db in
            try db.one(
                "SELECT \(UserRecord.columns) FROM users WHERE app_id = ? AND open_id = ?", [appID, openID],
                UserRecord.init(row:))
        }
    }

    /// The app's users, oldest first.
    public func users(appID: String) throws(StoreError) -> [UserRecord] {
        try read("listing users of app \(appID)") { db in
            try db.all(
                "SELECT \(UserRecord.columns) FROM users WHERE app_id = ? ORDER BY created_at, rowid", [appID],
                UserRecord.init(row:))
        }
    }

    // MARK: Sessions

    /// Inserts a session; `conflict` when the token hash exists, `notFound` when the user is not of that app.
    public func insertSession(_ session: SessionRecord) throws(StoreError) {
        try write("inserting a session of user \(session.userID)") { db in
            try db.execute(
                sql: "INSERT INTO sessions (\(SessionRecord.columns)) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [session.tokenHash, session.userID, session.appID, session.channel.rawValue,
                            session.expiresAt, session.createdAt])
        }
    }

    /// The session with this token hash, or nil (expired ones too: the caller compares `expiresAt`).
    public func session(tokenHash: String) throws(StoreError) -> SessionRecord? {
        try read("reading a session") { db in
            try db.one(
                "SELECT \(SessionRecord.columns) FROM sessions WHERE token_hash = ?", [tokenHash],
                SessionRecord.init(row:))
        }
    }

    /// Deletes the session; deleting one that does not exist is not an error (sign-out is idempotent).
    public func deleteSession(tokenHash: String) throws(StoreError) {
        try write("deleting a session") { db in
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
        }
    }

    // MARK: Authorizations

    /// Inserts or replaces the (user, SN) authorization; `notFound` for an unknown user.
    public func setAuthorization(_ authorization: AuthorizationRecord) throws(StoreError) {
        try write("setting the authorization of \(authorization.sn) by user \(authorization.userID)") { db in
            try db.execute(
                sql: """
                    INSERT INTO authorizations (\(AuthorizationRecord.columns)) VALUES (?, ?, ?, ?)
                    ON CONFLICT (user_id, sn) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
                    """,
                arguments: [authorization.userID, authorization.sn, authorization.status.rawValue,
                            authorization.updatedAt])
        }
    }

    /// The (user, SN) authorization, or nil.
    public func authorization(userID: String, sn: String) throws(StoreError) -> AuthorizationRecord? {
        try read("reading the authorization of \(sn) by user \(userID)") { db in
            try db.one(
                "SELECT \(AuthorizationRecord.columns) FROM authorizations WHERE user_id = ? AND sn = ?", [userID, sn],
                AuthorizationRecord.init(row:))
        }
    }

    /// The device's authorizations (authorized and revoked), most recently changed first.
    public func authorizations(sn: String) throws(StoreError) -> [AuthorizationRecord] {
        try read("listing the authorizations of \(sn)") { db in
            try db.all(
                "SELECT \(AuthorizationRecord.columns) FROM authorizations WHERE sn = ? ORDER BY updated_at DESC, rowid DESC",
                [sn], AuthorizationRecord.init(row:))
        }
    }

    /// The user's authorizations (authorized and revoked), most recently changed first.
    public func authorizations(userID: String) throws(StoreError) -> [AuthorizationRecord] {
        try read("listing the authorizations of user \(userID)") { db in
            try db.all(
                "SELECT \(AuthorizationRecord.columns) FROM authorizations WHERE user_id = ? ORDER BY updated_at DESC, rowid DESC",
                [userID], AuthorizationRecord.init(row:))
        }
    }
}

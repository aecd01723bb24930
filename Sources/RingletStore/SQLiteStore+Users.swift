import GRDB

// Users, sessions and authorizations.
extension SQLiteStore {
    // MARK: Users

    /// Inserts a user; `conflict` when its id, or its openId within its app, exists; `notFound` for an unknown app.
    public func insertUser(_ user: UserRecord) async throws(StoreError) {
        try await write("inserting user \(user.id)") { db in
            try db.execute(
                sql: "INSERT INTO users (\(UserRecord.columns)) VALUES (?, ?, ?, ?, ?)",
                arguments: [user.id, user.appID, user.openID, user.name, user.createdAt])
        }
    }

    /// The user with this id, or nil.
    public func user(id: String) async throws(StoreError) -> UserRecord? {
        try await read("reading user \(id)") { db in
            try db.one("SELECT \(UserRecord.columns) FROM users WHERE id = ?", [id], UserRecord.init(row:))
        }
    }

    /// The app's user with this openId, or nil (an openId of another app is nil here).
    public func user(appID: String, openID: String) async throws(StoreError) -> UserRecord? {
        try await read("reading user \(openID) of app \(appID)") { db in
            try db.one(
                "SELECT \(UserRecord.columns) FROM users WHERE app_id = ? AND open_id = ?", [appID, openID],
                UserRecord.init(row:))
        }
    }

    /// The app's users, oldest first.
    public func users(appID: String) async throws(StoreError) -> [UserRecord] {
        try await read("listing users of app \(appID)") { db in
            try db.all(
                "SELECT \(UserRecord.columns) FROM users WHERE app_id = ? ORDER BY created_at, rowid", [appID],
                UserRecord.init(row:))
        }
    }

    /// The app's users, oldest first, one page at a time.
    public func users(appID: String, page: PageRequest) async throws(StoreError) -> Page<UserRecord> {
        let (filter, arguments) = Database.pageFilter(page.after, descending: false, keyColumn: "created_at", prefix: "AND")
        return try await read("listing users of app \(appID)") { db in
            try db.page(
                "SELECT rowid AS page_rowid, \(UserRecord.columns) FROM users WHERE app_id = ?\(filter) "
                    + "ORDER BY created_at, rowid LIMIT ?",
                [appID] + arguments, request: page, UserRecord.init(row:), key: \.createdAt)
        }
    }

    // MARK: Sessions

    /// Inserts a session; `conflict` when the token hash exists, `notFound` when the user is not of that app.
    public func insertSession(_ session: SessionRecord) async throws(StoreError) {
        try await write("inserting a session of user \(session.userID)") { db in
            try db.execute(
                sql: "INSERT INTO sessions (\(SessionRecord.columns)) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [session.tokenHash, session.userID, session.appID, session.channel.rawValue,
                            session.expiresAt, session.createdAt])
        }
    }

    /// The session with this token hash, or nil (expired ones too: the caller compares `expiresAt`).
    public func session(tokenHash: String) async throws(StoreError) -> SessionRecord? {
        try await read("reading a session") { db in
            try db.one(
                "SELECT \(SessionRecord.columns) FROM sessions WHERE token_hash = ?", [tokenHash],
                SessionRecord.init(row:))
        }
    }

    /// Deletes the session; deleting one that does not exist is not an error (sign-out is idempotent).
    public func deleteSession(tokenHash: String) async throws(StoreError) {
        try await write("deleting a session") { db in
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
        }
    }

    // MARK: Sign-in codes

    /// Inserts a sign-in code; `conflict` when its hash exists, `notFound` when the user is not of that app.
    public func insertSignInCode(_ code: SignInCodeRecord) async throws(StoreError) {
        try await write("inserting a sign-in code of user \(code.userID)") { db in
            try db.execute(
                sql: "INSERT INTO sign_in_codes (\(SignInCodeRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [code.codeHash, code.userID, code.appID, code.channel.rawValue, code.ttlSeconds,
                            code.expiresAt, code.createdAt])
        }
    }

    /// Deletes the code and returns it when it exists and has not expired at `now`; nil otherwise. One write
    /// transaction, so two exchanges of one code never both succeed.
    public func consumeSignInCode(codeHash: String, now: Int64) async throws(StoreError) -> SignInCodeRecord? {
        try await write("exchanging a sign-in code") { db in
            guard let code = try db.one(
                "SELECT \(SignInCodeRecord.columns) FROM sign_in_codes WHERE code_hash = ?", [codeHash],
                SignInCodeRecord.init(row:))
            else { return nil }
            try db.execute(sql: "DELETE FROM sign_in_codes WHERE code_hash = ?", arguments: [codeHash])
            return now < code.expiresAt ? code : nil
        }
    }

    // MARK: Authorizations

    /// Inserts or replaces the (user, SN) authorization; `notFound` for an unknown user.
    public func setAuthorization(_ authorization: AuthorizationRecord) async throws(StoreError) {
        try await write("setting the authorization of \(authorization.sn) by user \(authorization.userID)") { db in
            try Self.setAuthorization(authorization, db)
        }
    }

    static func setAuthorization(_ authorization: AuthorizationRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO authorizations (\(AuthorizationRecord.columns)) VALUES (?, ?, ?, ?)
                ON CONFLICT (user_id, sn) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
                """,
            arguments: [authorization.userID, authorization.sn, authorization.status.rawValue, authorization.updatedAt])
    }

    /// The (user, SN) authorization, or nil.
    public func authorization(userID: String, sn: String) async throws(StoreError) -> AuthorizationRecord? {
        try await read("reading the authorization of \(sn) by user \(userID)") { db in
            try db.one(
                "SELECT \(AuthorizationRecord.columns) FROM authorizations WHERE user_id = ? AND sn = ?", [userID, sn],
                AuthorizationRecord.init(row:))
        }
    }

    /// The device's authorizations (authorized and revoked), most recently changed first.
    public func authorizations(sn: String) async throws(StoreError) -> [AuthorizationRecord] {
        try await read("listing the authorizations of \(sn)") { db in
            try db.all(
                "SELECT \(AuthorizationRecord.columns) FROM authorizations WHERE sn = ? ORDER BY updated_at DESC, rowid DESC",
                [sn], AuthorizationRecord.init(row:))
        }
    }

    /// The user's authorizations (authorized and revoked), most recently changed first.
    public func authorizations(userID: String) async throws(StoreError) -> [AuthorizationRecord] {
        try await read("listing the authorizations of user \(userID)") { db in
            try db.all(
                "SELECT \(AuthorizationRecord.columns) FROM authorizations WHERE user_id = ? ORDER BY updated_at DESC, rowid DESC",
                [userID], AuthorizationRecord.init(row:))
        }
    }

    /// Authorizations, most recently changed first (ties: last inserted first), one page at a time: of `sn`,
    /// else of `userID`, else of every device of `appID`.
    public func authorizations(appID: String, sn: String?, userID: String?, page: PageRequest) async throws(StoreError)
        -> Page<AuthorizationRecord>
    {
        let columns = "a.user_id, a.sn, a.status, a.updated_at"
        let (filter, cursor) = Database.pageFilter(page.after, descending: true, keyColumn: "a.updated_at",
                                                   rowidColumn: "a.rowid", prefix: "AND")
        let condition: String
        var arguments: StatementArguments
        if let sn {
            condition = "a.sn = ?"
            arguments = [sn]
        } else if let userID {
            condition = "a.user_id = ?"
            arguments = [userID]
        } else {
            condition = "a.sn IN (SELECT sn FROM devices WHERE app_id = ?)"
            arguments = [appID]
        }
        let first = arguments
        if sn != nil, let userID {
            return try await read("listing authorizations") { db in
                try db.page(
                    "SELECT a.rowid AS page_rowid, \(columns) FROM authorizations a WHERE \(condition) AND a.user_id = ?"
                        + "\(filter) ORDER BY a.updated_at DESC, a.rowid DESC LIMIT ?",
                    first + [userID] + cursor, request: page, AuthorizationRecord.init(row:), key: \.updatedAt)
            }
        }
        let all = first + cursor
        return try await read("listing authorizations") { db in
            try db.page(
                "SELECT a.rowid AS page_rowid, \(columns) FROM authorizations a WHERE \(condition)\(filter) "
                    + "ORDER BY a.updated_at DESC, a.rowid DESC LIMIT ?",
                all, request: page, AuthorizationRecord.init(row:), key: \.updatedAt)
        }
    }
}

import PostgresNIO

// Users, sessions, sign-in codes and authorizations on PostgreSQL.
extension PostgresStore {
    // MARK: Users

    public func insertUser(_ user: UserRecord) async throws(StoreError) {
        try await rows("inserting user \(user.id)", """
            INSERT INTO users (\(unescaped: UserRecord.columns))
            VALUES (\(user.id), \(user.appID), \(user.openID), \(user.name), \(user.createdAt))
            """)
    }

    public func user(id: String) async throws(StoreError) -> UserRecord? {
        try await one("reading user \(id)", "SELECT \(unescaped: UserRecord.columns) FROM users WHERE id = \(id)",
                      UserRecord.init(postgres:))
    }

    public func user(appID: String, openID: String) async throws(StoreError) -> UserRecord? {
        try await one("reading user \(openID) of app \(appID)",
                      "SELECT \(unescaped: UserRecord.columns) FROM users WHERE app_id = \(appID) AND open_id = \(openID)",
                      UserRecord.init(postgres:))
    }

    public func users(appID: String) async throws(StoreError) -> [UserRecord] {
        try await all("listing users of app \(appID)",
                      "SELECT \(unescaped: UserRecord.columns) FROM users WHERE app_id = \(appID) ORDER BY created_at, seq",
                      UserRecord.init(postgres:))
    }

    public func users(appID: String, page: PageRequest) async throws(StoreError) -> Page<UserRecord> {
        try await appPage("listing users of app \(appID)", table: "users", columns: UserRecord.columns, appID: appID,
                          page: page, UserRecord.init(postgres:), key: \.createdAt)
    }

    // MARK: Sessions

    public func insertSession(_ session: SessionRecord) async throws(StoreError) {
        try await rows("inserting a session of user \(session.userID)", """
            INSERT INTO sessions (\(unescaped: SessionRecord.columns)) VALUES (\(session.tokenHash), \(session.userID),
            \(session.appID), \(session.channel.rawValue), \(session.expiresAt), \(session.createdAt))
            """)
    }

    public func session(tokenHash: String) async throws(StoreError) -> SessionRecord? {
        try await one("reading a session",
                      "SELECT \(unescaped: SessionRecord.columns) FROM sessions WHERE token_hash = \(tokenHash)",
                      SessionRecord.init(postgres:))
    }

    public func deleteSession(tokenHash: String) async throws(StoreError) {
        try await rows("deleting a session", "DELETE FROM sessions WHERE token_hash = \(tokenHash)")
    }

    // MARK: Sign-in codes

    public func insertSignInCode(_ code: SignInCodeRecord) async throws(StoreError) {
        try await rows("inserting a sign-in code of user \(code.userID)", """
            INSERT INTO sign_in_codes (\(unescaped: SignInCodeRecord.columns)) VALUES (\(code.codeHash), \(code.userID),
            \(code.appID), \(code.channel.rawValue), \(code.ttlSeconds), \(code.expiresAt), \(code.createdAt))
            """)
    }

    /// One `DELETE … RETURNING`: of two exchanges of one code, only one gets the row.
    public func consumeSignInCode(codeHash: String, now: Int64) async throws(StoreError) -> SignInCodeRecord? {
        let code = try await one("exchanging a sign-in code",
                                 "DELETE FROM sign_in_codes WHERE code_hash = \(codeHash) RETURNING \(unescaped: SignInCodeRecord.columns)",
                                 SignInCodeRecord.init(postgres:))
        guard let code, now < code.expiresAt else { return nil }
        return code
    }

    // MARK: Authorizations

    public func setAuthorization(_ authorization: AuthorizationRecord) async throws(StoreError) {
        try await rows("setting the authorization of \(authorization.sn) by user \(authorization.userID)",
                       Self.upsert(authorization))
    }

    /// Inserts or replaces the (user, SN) authorization (the row keeps its `seq`).
    static func upsert(_ authorization: AuthorizationRecord) -> PostgresQuery {
        """
        INSERT INTO authorizations (\(unescaped: AuthorizationRecord.columns))
        VALUES (\(authorization.userID), \(authorization.sn), \(authorization.status.rawValue), \(authorization.updatedAt))
        ON CONFLICT (user_id, sn) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
        """
    }

    public func authorization(userID: String, sn: String) async throws(StoreError) -> AuthorizationRecord? {
        try await one("reading the authorization of \(sn) by user \(userID)",
                      "SELECT \(unescaped: AuthorizationRecord.columns) FROM authorizations WHERE user_id = \(userID) AND sn = \(sn)",
                      AuthorizationRecord.init(postgres:))
    }

    public func authorizations(sn: String) async throws(StoreError) -> [AuthorizationRecord] {
        try await all("listing the authorizations of \(sn)", """
            SELECT \(unescaped: AuthorizationRecord.columns) FROM authorizations WHERE sn = \(sn)
            ORDER BY updated_at DESC, seq DESC
            """, AuthorizationRecord.init(postgres:))
    }

    public func authorizations(userID: String) async throws(StoreError) -> [AuthorizationRecord] {
        try await all("listing the authorizations of user \(userID)", """
            SELECT \(unescaped: AuthorizationRecord.columns) FROM authorizations WHERE user_id = \(userID)
            ORDER BY updated_at DESC, seq DESC
            """, AuthorizationRecord.init(postgres:))
    }

    public func authorizations(appID: String, sn: String?, userID: String?, page: PageRequest) async throws(StoreError)
        -> Page<AuthorizationRecord>
    {
        var statement = PostgresStatement()
        var conditions: [String] = []
        if let sn {
            conditions.append("a.sn = \(statement.bind(sn))")
            if let userID { conditions.append("a.user_id = \(statement.bind(userID))") }
        } else if let userID {
            conditions.append("a.user_id = \(statement.bind(userID))")
        } else {
            conditions.append("a.sn IN (SELECT sn FROM devices WHERE app_id = \(statement.bind(appID)))")
        }
        let filter = Self.pageFilter(page.after, descending: true, keyColumn: "a.updated_at", seqColumn: "a.seq",
                                     prefix: "AND", into: &statement)
        statement.sql = "SELECT a.user_id, a.sn, a.status, a.updated_at, a.seq AS page_seq FROM authorizations a "
            + "WHERE \(conditions.joined(separator: " AND "))\(filter) ORDER BY a.updated_at DESC, a.seq DESC"
        return try await self.page("listing authorizations", statement, request: page,
                                   AuthorizationRecord.init(postgres:), key: \.updatedAt)
    }
}

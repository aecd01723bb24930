import PostgresNIO

// Calls, notices, housekeeping and settings on PostgreSQL.
extension PostgresStore {
    // MARK: Calls

    public func insertCall(_ call: CallRecord) async throws(StoreError) {
        try await rows("inserting call \(call.id)", Self.insert(call))
    }

    static func insert(_ call: CallRecord) -> PostgresQuery {
        """
        INSERT INTO calls (\(unescaped: CallRecord.columns)) VALUES (\(call.id), \(call.appID), \(call.sn),
        \(call.userID), \(call.direction.rawValue), \(call.kind.rawValue), \(call.channel.rawValue),
        \(call.outcome.rawValue), \(call.startedAt), \(call.answeredAt), \(call.endedAt))
        """
    }

    public func updateCall(_ call: CallRecord) async throws(StoreError) {
        let changed = try await rows("updating call \(call.id)", """
            UPDATE calls SET outcome = \(call.outcome.rawValue), started_at = \(call.startedAt),
            answered_at = \(call.answeredAt), ended_at = \(call.endedAt) WHERE id = \(call.id) RETURNING id
            """)
        guard changed.count == 1 else { throw StoreError(.notFound, "no call \(call.id)") }
    }

    public func call(id: String) async throws(StoreError) -> CallRecord? {
        try await one("reading call \(id)", "SELECT \(unescaped: CallRecord.columns) FROM calls WHERE id = \(id)",
                      CallRecord.init(postgres:))
    }

    public func calls(appID: String?, sn: String?, userID: String?, limit: Int) async throws(StoreError) -> [CallRecord] {
        try await calls(appID: appID, sn: sn, userID: userID, page: PageRequest(limit: limit)).items
    }

    public func calls(appID: String?, sn: String?, userID: String?, page: PageRequest) async throws(StoreError)
        -> Page<CallRecord>
    {
        var statement = PostgresStatement()
        var conditions: [String] = []
        for (column, value) in [("app_id", appID), ("sn", sn), ("user_id", userID)] {
            guard let value else { continue }
            conditions.append("\(column) = \(statement.bind(value))")
        }
        if let after = page.after {
            conditions.append("(started_at, seq) < (\(statement.bind(after.key)), \(statement.bind(after.rowID)))")
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        statement.sql = "SELECT \(CallRecord.columns), seq AS page_seq FROM calls\(filter) ORDER BY started_at DESC, seq DESC"
        return try await self.page("listing calls", statement, request: page, CallRecord.init(postgres:),
                                   key: \.startedAt)
    }

    public func closeUnfinishedCalls(outcome: CallRecord.Outcome, now: Int64) async throws(StoreError) -> Int {
        try await rows("closing unfinished calls", """
            UPDATE calls SET outcome = \(outcome.rawValue), ended_at = \(now)
            WHERE outcome IN ('ringing', 'active') RETURNING id
            """).count
    }

    // MARK: Notices

    public func insertNotice(_ notice: NoticeRecord) async throws(StoreError) {
        try await rows("inserting notice \(notice.id)", """
            INSERT INTO notices (\(unescaped: NoticeRecord.columns)) VALUES (\(notice.id), \(notice.sn),
            \(notice.userID), \(notice.kind), \(notice.text), \(notice.createdAt), \(notice.readAt))
            """)
    }

    public func notices(userID: String, unreadOnly: Bool, limit: Int) async throws(StoreError) -> [NoticeRecord] {
        try await notices(userID: userID, unreadOnly: unreadOnly, page: PageRequest(limit: limit)).items
    }

    public func notices(userID: String, unreadOnly: Bool, page: PageRequest) async throws(StoreError)
        -> Page<NoticeRecord>
    {
        var statement = PostgresStatement()
        let user = statement.bind(userID)
        let unread = unreadOnly ? " AND read_at IS NULL" : ""
        let filter = Self.pageFilter(page.after, descending: true, keyColumn: "created_at", prefix: "AND",
                                     into: &statement)
        statement.sql = "SELECT \(NoticeRecord.columns), seq AS page_seq FROM notices WHERE user_id = \(user)\(unread)"
            + "\(filter) ORDER BY created_at DESC, seq DESC"
        return try await self.page("listing notices of user \(userID)", statement, request: page,
                                   NoticeRecord.init(postgres:), key: \.createdAt)
    }

    public func markNoticeRead(id: String, userID: String, now: Int64) async throws(StoreError) {
        let changed = try await rows("marking notice \(id) read", """
            UPDATE notices SET read_at = coalesce(read_at, \(now)) WHERE id = \(id) AND user_id = \(userID) RETURNING id
            """)
        guard changed.count == 1 else { throw StoreError(.notFound, "user \(userID) has no notice \(id)") }
    }

    // MARK: Housekeeping

    public func purge(now: Int64, ticketRetentionMs: Int64, noticeRetentionMs: Int64) async throws(StoreError)
        -> PurgeCounts
    {
        let logger = self.logger
        return try await transaction("purging") { connection in
            var counts = PurgeCounts()
            counts.tickets = try await connection.rows(
                "DELETE FROM tickets WHERE expires_at <= \(now - ticketRetentionMs) RETURNING 1", logger).count
            counts.sessions = try await connection.rows(
                "DELETE FROM sessions WHERE expires_at <= \(now) RETURNING 1", logger).count
            counts.signInCodes = try await connection.rows(
                "DELETE FROM sign_in_codes WHERE expires_at <= \(now) RETURNING 1", logger).count
            counts.notices = try await connection.rows(
                "DELETE FROM notices WHERE read_at IS NOT NULL AND read_at <= \(now - noticeRetentionMs) RETURNING 1",
                logger).count
            return counts
        }
    }

    // MARK: Settings

    public func setting(_ key: String) async throws(StoreError) -> String? {
        try await one("reading setting \(key)", "SELECT value FROM settings WHERE key = \(key)",
                      { try $0.decode(String.self) })
    }

    public func setSetting(_ key: String, _ value: String) async throws(StoreError) {
        try await rows("writing setting \(key)", """
            INSERT INTO settings (key, value) VALUES (\(key), \(value))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """)
    }
}

import GRDB

// Calls, notices and settings.
extension SQLiteStore {
    // MARK: Calls

    /// Inserts a call; `conflict` when its id exists, `notFound` for an unknown app.
    public func insertCall(_ call: CallRecord) async throws(StoreError) {
        try await write("inserting call \(call.id)") { db in try Self.insert(call, db) }
    }

    /// Inserts a call as it is (outcome and times).
    static func insert(_ call: CallRecord, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO calls (\(CallRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [call.id, call.appID, call.sn, call.userID, call.direction.rawValue, call.kind.rawValue,
                        call.channel.rawValue, call.outcome.rawValue, call.startedAt, call.answeredAt, call.endedAt])
    }

    /// Replaces the call's outcome and its three times (started, answered, ended); `notFound` if absent.
    public func updateCall(_ call: CallRecord) async throws(StoreError) {
        try await write("updating call \(call.id)") { db in
            try db.execute(
                sql: "UPDATE calls SET outcome = ?, started_at = ?, answered_at = ?, ended_at = ? WHERE id = ?",
                arguments: [call.outcome.rawValue, call.startedAt, call.answeredAt, call.endedAt, call.id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no call \(call.id)") }
        }
    }

    /// The call with this id, or nil.
    public func call(id: String) async throws(StoreError) -> CallRecord? {
        try await read("reading call \(id)") { db in
            try db.one("SELECT \(CallRecord.columns) FROM calls WHERE id = ?", [id], CallRecord.init(row:))
        }
    }

    /// At most `limit` calls (0 or less: none), newest `startedAt` first (ties: last inserted first); every
    /// non-nil filter must match. The first page of ``calls(appID:sn:userID:page:)``.
    public func calls(appID: String?, sn: String?, userID: String?, limit: Int) async throws(StoreError) -> [CallRecord] {
        try await calls(appID: appID, sn: sn, userID: userID, page: PageRequest(limit: limit)).items
    }

    /// One page of calls, newest `startedAt` first (ties: last inserted first); every non-nil filter must match.
    public func calls(appID: String?, sn: String?, userID: String?, page: PageRequest) async throws(StoreError)
        -> Page<CallRecord>
    {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        for (column, value) in [("app_id", appID), ("sn", sn), ("user_id", userID)] {
            guard let value else { continue }
            conditions.append("\(column) = ?")
            arguments += [value]
        }
        if let after = page.after {
            conditions.append("(started_at, rowid) < (?, ?)")
            arguments += [after.key, after.rowID]
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let bound = arguments
        return try await read("listing calls") { db in
            try db.page(
                "SELECT rowid AS page_rowid, \(CallRecord.columns) FROM calls\(filter) ORDER BY started_at DESC, rowid DESC LIMIT ?",
                bound, request: page, CallRecord.init(row:), key: \.startedAt)
        }
    }

    /// Ends every call left `ringing` or `active` with `outcome` at `now`; returns how many there were.
    public func closeUnfinishedCalls(outcome: CallRecord.Outcome, now: Int64) async throws(StoreError) -> Int {
        try await write("closing unfinished calls") { db in
            try db.execute(
                sql: "UPDATE calls SET outcome = ?, ended_at = ? WHERE outcome IN ('ringing', 'active')",
                arguments: [outcome.rawValue, now])
            return db.changesCount
        }
    }

    // MARK: Notices

    /// Inserts a notice; `conflict` when its id exists, `notFound` for an unknown user.
    public func insertNotice(_ notice: NoticeRecord) async throws(StoreError) {
        try await write("inserting notice \(notice.id)") { db in
            try db.execute(
                sql: "INSERT INTO notices (\(NoticeRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [notice.id, notice.sn, notice.userID, notice.kind, notice.text, notice.createdAt,
                            notice.readAt])
        }
    }

    /// At most `limit` of the user's notices (0 or less: none), newest first (ties: last inserted first);
    /// only those not read yet when `unreadOnly`. The first page of ``notices(userID:unreadOnly:page:)``.
    public func notices(userID: String, unreadOnly: Bool, limit: Int) async throws(StoreError) -> [NoticeRecord] {
        try await notices(userID: userID, unreadOnly: unreadOnly, page: PageRequest(limit: limit)).items
    }

    /// One page of the user's notices, newest first (ties: last inserted first); only unread ones when
    /// `unreadOnly`.
    public func notices(userID: String, unreadOnly: Bool, page: PageRequest) async throws(StoreError) -> Page<NoticeRecord> {
        let unread = unreadOnly ? " AND read_at IS NULL" : ""
        let (filter, cursor) = Database.pageFilter(page.after, descending: true, keyColumn: "created_at", prefix: "AND")
        return try await read("listing notices of user \(userID)") { db in
            try db.page(
                "SELECT rowid AS page_rowid, \(NoticeRecord.columns) FROM notices WHERE user_id = ?\(unread)\(filter) "
                    + "ORDER BY created_at DESC, rowid DESC LIMIT ?",
                [userID] + cursor, request: page, NoticeRecord.init(row:), key: \.createdAt)
        }
    }

    /// Marks the user's notice read at `now`; a notice read before keeps its first read time. `notFound` when
    /// the user has no notice with this id.
    public func markNoticeRead(id: String, userID: String, now: Int64) async throws(StoreError) {
        try await write("marking notice \(id) read") { db in
            try db.execute(
                sql: "UPDATE notices SET read_at = coalesce(read_at, ?) WHERE id = ? AND user_id = ?",
                arguments: [now, id, userID])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "user \(userID) has no notice \(id)") }
        }
    }

    // MARK: Housekeeping

    /// Deletes tickets that expired more than `ticketRetentionMs` before `now` (their uses go with them), sessions
    /// and sign-in codes that have expired, and notices read more than `noticeRetentionMs` before `now`; one
    /// write transaction.
    public func purge(now: Int64, ticketRetentionMs: Int64, noticeRetentionMs: Int64) async throws(StoreError) -> PurgeCounts {
        try await write("purging") { db in
            var counts = PurgeCounts()
            try db.execute(sql: "DELETE FROM tickets WHERE expires_at <= ?", arguments: [now - ticketRetentionMs])
            counts.tickets = db.changesCount
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [now])
            counts.sessions = db.changesCount
            try db.execute(sql: "DELETE FROM sign_in_codes WHERE expires_at <= ?", arguments: [now])
            counts.signInCodes = db.changesCount
            try db.execute(sql: "DELETE FROM notices WHERE read_at IS NOT NULL AND read_at <= ?",
                           arguments: [now - noticeRetentionMs])
            counts.notices = db.changesCount
            return counts
        }
    }

    // MARK: Settings

    /// The setting's value, or nil when never set.
    public func setting(_ key: String) async throws(StoreError) -> String? {
        try await read("reading setting \(key)") { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
        }
    }

    /// Sets (inserts or replaces) the setting.
    public func setSetting(_ key: String, _ value: String) async throws(StoreError) {
        try await write("writing setting \(key)") { db in
            try db.execute(
                sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }
}

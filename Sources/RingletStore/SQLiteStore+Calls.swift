import GRDB

// Calls, notices and settings.
extension SQLiteStore {
    // MARK: Calls

    /// Inserts a call; `conflict` when its id exists, `notFound` for an unknown app.
    public func insertCall(_ call: CallRecord) throws(StoreError) {
        try write("inserting call \(call.id)") { db in
            try db.execute(
                sql: "INSERT INTO calls (\(CallRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [call.id, call.appID, call.sn, call.userID, call.direction.rawValue, call.kind.rawValue,
                            call.channel.rawValue, call.outcome.rawValue, call.startedAt, call.answeredAt,
                            call.endedAt])
        }
    }

    /// Replaces the call's outcome and its three times (started, answered, ended); `notFound` if absent.
    public func updateCall(_ call: CallRecord) throws(StoreError) {
        try write("updating call \(call.id)") { db in
            try db.execute(
                sql: "UPDATE calls SET outcome = ?, started_at = ?, answered_at = ?, ended_at = ? WHERE id = ?",
                arguments: [call.outcome.rawValue, call.startedAt, call.answeredAt, call.endedAt, call.id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no call \(call.id)") }
        }
    }

    /// The call with this id, or nil.
    public func call(id: String) throws(StoreError) -> CallRecord? {
        try read("reading call \(id)") { db in
            try db.one("SELECT \(CallRecord.columns) FROM calls WHERE id = ?", [id], CallRecord.init(row:))
        }
    }

    /// At most `limit` calls (0 or less: none), newest `startedAt` first (ties: last inserted first); every
    /// non-nil filter must match.
    public func calls(appID: String?, sn: String?, userID: String?, limit: Int) throws(StoreError) -> [CallRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        for (column, value) in [("app_id", appID), ("sn", sn), ("user_id", userID)] {
            guard let value else { continue }
            conditions.append("\(column) = ?")
            arguments += [value]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [max(0, limit)]
        return try read("listing calls") { db in
            try db.all(
                "SELECT \(CallRecord.columns) FROM calls \(filter) ORDER BY started_at DESC, rowid DESC LIMIT ?",
                arguments, CallRecord.init(row:))
        }
    }

    // MARK: Notices

    /// Inserts a notice; `conflict` when its id exists, `notFound` for an unknown user.
    public func insertNotice(_ notice: NoticeRecord) throws(StoreError) {
        try write("inserting notice \(notice.id)") { db in
            try db.execute(
                sql: "INSERT INTO notices (\(NoticeRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [notice.id, notice.sn, notice.userID, notice.kind, notice.text, notice.createdAt,
                            notice.readAt])
        }
    }

    /// At most `limit` of the user's notices (0 or less: none), newest first (ties: last inserted first);
    /// only those not read yet when `unreadOnly`.
    public func notices(userID: String, unreadOnly: Bool, limit: Int) throws(StoreError) -> [NoticeRecord] {
        let unread = unreadOnly ? "AND read_at IS NULL" : ""
        return try read("listing notices of user \(userID)") { db in
            try db.all(
                """
                SELECT \(NoticeRecord.columns) FROM notices WHERE user_id = ? \(unread)
                ORDER BY created_at DESC, rowid DESC LIMIT ?
                """,
                [userID, max(0, limit)], NoticeRecord.init(row:))
        }
    }

    /// Marks the user's notice read at `now`; a notice read before keeps its first read time. `notFound` when
    /// the user has no notice with this id.
    public func markNoticeRead(id: String, userID: String, now: Int64) throws(StoreError) {
        try write("marking notice \(id) read") { db in
            try db.execute(
                sql: "UPDATE notices SET read_at = coalesce(read_at, ?) WHERE id = ? AND user_id = ?",
                arguments: [now, id, userID])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "user \(userID) has no notice \(id)") }
        }
    }

    // MARK: Settings

    /// The setting's value, or nil when never set.
    public func setting(_ key: String) throws(StoreError) -> String? {
        try read("reading setting \(key)") { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
        }
    }

    /// Sets (inserts or replaces) the setting.
    public func setSetting(_ key: String, _ value: String) throws(StoreError) {
        try write("writing setting \(key)") { db in
            try db.execute(
                sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }
}

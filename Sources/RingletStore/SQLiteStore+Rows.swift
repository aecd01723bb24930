import Foundation
import GRDB

// Rows → records. Decoding throws (never traps) on a NULL or a wrong type, and on an enum value this version
// does not know, so a damaged or newer database gives `StoreError.database`, not a crash.

extension Row {
    func value<T: DatabaseValueConvertible>(_ column: String) throws -> T {
        try decode(T.self, forColumn: column)
    }

    func raw<E: RawRepresentable>(_ column: String, as: E.Type = E.self) throws -> E where E.RawValue == String {
        let text: String = try value(column)
        guard let value = E(rawValue: text) else {
            throw StoreError(.database, "unknown value '\(text)' in column \(column)")
        }
        return value
    }

    func bytes(_ column: String) throws -> [UInt8]? {
        let data: Data? = try value(column)
        return data.map { [UInt8]($0) }
    }
}

extension AppRecord {
    static let columns = "id, name, secret_hash, release_approved, call_quota, created_at"

    init(row: Row) throws {
        self.init(id: try row.value("id"), name: try row.value("name"), secretHash: try row.value("secret_hash"),
                  releaseApproved: try row.value("release_approved"), callQuota: try row.value("call_quota"),
                  createdAt: try row.value("created_at"))
    }
}

extension ModelRecord {
    static let columns = "id, app_id, name, created_at"

    init(row: Row) throws {
        self.init(id: try row.value("id"), appID: try row.value("app_id"), name: try row.value("name"),
                  createdAt: try row.value("created_at"))
    }
}

extension DeviceRecord {
    static let columns = "sn, model_id, app_id, name, public_key, registered_at, created_at"

    init(row: Row) throws {
        self.init(sn: try row.value("sn"), modelID: try row.value("model_id"), appID: try row.value("app_id"),
                  name: try row.value("name"), publicKey: try row.bytes("public_key"),
                  registeredAt: try row.value("registered_at"), createdAt: try row.value("created_at"))
    }
}

extension TicketRecord {
    static let columns = "ticket_hash, sn, model_id, app_id, expires_at, used_at, created_at"

    init(row: Row) throws {
        self.init(ticketHash: try row.value("ticket_hash"), sn: try row.value("sn"), modelID: try row.value("model_id"),
                  appID: try row.value("app_id"), expiresAt: try row.value("expires_at"),
                  usedAt: try row.value("used_at"), createdAt: try row.value("created_at"))
    }
}

extension UserRecord {
    static let columns = "id, app_id, open_id, name, created_at"

    init(row: Row) throws {
        self.init(id: try row.value("id"), appID: try row.value("app_id"), openID: try row.value("open_id"),
                  name: try row.value("name"), createdAt: try row.value("created_at"))
    }
}

extension SessionRecord {
    static let columns = "token_hash, user_id, app_id, channel, expires_at, created_at"

    init(row: Row) throws {
        self.init(tokenHash: try row.value("token_hash"), userID: try row.value("user_id"),
                  appID: try row.value("app_id"), channel: try row.raw("channel"),
                  expiresAt: try row.value("expires_at"), createdAt: try row.value("created_at"))
    }
}

extension SignInCodeRecord {
    static let columns = "code_hash, user_id, app_id, channel, ttl_seconds, expires_at, created_at"

    init(row: Row) throws {
        self.init(codeHash: try row.value("code_hash"), userID: try row.value("user_id"),
                  appID: try row.value("app_id"), channel: try row.raw("channel"),
                  ttlSeconds: try row.value("ttl_seconds"), expiresAt: try row.value("expires_at"),
                  createdAt: try row.value("created_at"))
    }
}

extension AuthorizationRecord {
    static let columns = "user_id, sn, status, updated_at"

    init(row: Row) throws {
        self.init(userID: try row.value("user_id"), sn: try row.value("sn"), status: try row.raw("status"),
                  updatedAt: try row.value("updated_at"))
    }
}

extension CallRecord {
    static let columns = "id, app_id, sn, user_id, direction, kind, channel, outcome, started_at, answered_at, ended_at"

    init(row: Row) throws {
        self.init(id: try row.value("id"), appID: try row.value("app_id"), sn: try row.value("sn"),
                  userID: try row.value("user_id"), direction: try row.raw("direction"), kind: try row.raw("kind"),
                  channel: try row.raw("channel"), outcome: try row.raw("outcome"),
                  startedAt: try row.value("started_at"), answeredAt: try row.value("answered_at"),
                  endedAt: try row.value("ended_at"))
    }
}

extension NoticeRecord {
    static let columns = "id, sn, user_id, kind, text, created_at, read_at"

    init(row: Row) throws {
        self.init(id: try row.value("id"), sn: try row.value("sn"), userID: try row.value("user_id"),
                  kind: try row.value("kind"), text: try row.value("text"), createdAt: try row.value("created_at"),
                  readAt: try row.value("read_at"))
    }
}

extension Database {
    /// One page of the records `sql` selects. `sql` must select `rowid AS page_rowid` besides the record's
    /// columns, filter with `filter` (a `WHERE`/`AND` clause comparing `(key column, rowid)` to the cursor, or
    /// nothing for the first page, as ``pageFilter(_:descending:keyColumn:rowidColumn:)`` makes it), order by
    /// (key, rowid) and end with `LIMIT ?`; the limit argument is appended here (one more than asked, to know
    /// whether another page follows). `key` reads an item's sort key.
    func page<R: Sendable>(_ sql: String, _ arguments: StatementArguments, request: PageRequest, _ decode: (Row) throws -> R,
                 key: (R) -> Int64) throws -> Page<R> {
        let limit = max(0, request.limit)
        guard limit > 0 else { return Page(items: [], next: nil) }
        let rows = try Row.fetchAll(self, sql: sql, arguments: arguments + [limit + 1])
        var items: [R] = []
        var last: PageCursor?
        for row in rows.prefix(limit) {
            let item = try decode(row)
            items.append(item)
            last = PageCursor(key: key(item), rowID: try row.value("page_rowid"))
        }
        return Page(items: items, next: rows.count > limit ? last : nil)
    }

    /// The `(key, rowid)` comparison that starts a page after `cursor` ("" for the first page), and its
    /// arguments; `descending` lists go down from the cursor.
    static func pageFilter(_ cursor: PageCursor?, descending: Bool, keyColumn: String, rowidColumn: String = "rowid",
                           prefix: String) -> (String, StatementArguments) {
        guard let cursor else { return ("", []) }
        return (" \(prefix) (\(keyColumn), \(rowidColumn)) \(descending ? "<" : ">") (?, ?)", [cursor.key, cursor.rowID])
    }

    /// Fetches the records that `sql` selects, decoded by `decode`.
    func all<R>(_ sql: String, _ arguments: StatementArguments = [], _ decode: (Row) throws -> R) throws -> [R] {
        try Row.fetchAll(self, sql: sql, arguments: arguments).map(decode)
    }

    /// Fetches the first record that `sql` selects, or nil.
    func one<R>(_ sql: String, _ arguments: StatementArguments = [], _ decode: (Row) throws -> R) throws -> R? {
        try Row.fetchOne(self, sql: sql, arguments: arguments).map(decode)
    }
}

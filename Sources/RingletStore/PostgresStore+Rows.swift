import NIOCore
import PostgresNIO

// PostgreSQL rows → records, in the column order of each record's `columns` (the same names as SQLite's).
// Decoding throws (never traps) on a NULL, a wrong type or an enum value this version does not know.

/// An enum column's value, or `StoreError.database` when this version does not know it.
func rawValue<E: RawRepresentable>(_ text: String, _ column: String) throws -> E where E.RawValue == String {
    guard let value = E(rawValue: text) else { throw StoreError(.database, "unknown value '\(text)' in column \(column)") }
    return value
}

extension AppRecord {
    init(postgres row: PostgresRow) throws {
        let (id, name, secretHash, approved, quota, createdAt) = try row.decode(
            (String, String, String, Bool, Int?, Int64).self)
        self.init(id: id, name: name, secretHash: secretHash, releaseApproved: approved, callQuota: quota,
                  createdAt: createdAt)
    }
}

extension ModelRecord {
    init(postgres row: PostgresRow) throws {
        let (id, appID, name, createdAt) = try row.decode((String, String, String, Int64).self)
        self.init(id: id, appID: appID, name: name, createdAt: createdAt)
    }
}

extension DeviceRecord {
    init(postgres row: PostgresRow) throws {
        let (sn, modelID, appID, name, key, registeredAt, createdAt) = try row.decode(
            (String, String, String, String, ByteBuffer?, Int64?, Int64).self)
        self.init(sn: sn, modelID: modelID, appID: appID, name: name, publicKey: key.map { Array($0.readableBytesView) },
                  registeredAt: registeredAt, createdAt: createdAt)
    }
}

extension TicketRecord {
    init(postgres row: PostgresRow) throws {
        let (hash, sn, modelID, appID, expiresAt, usedAt, createdAt) = try row.decode(
            (String, String, String, String, Int64, Int64?, Int64).self)
        self.init(ticketHash: hash, sn: sn, modelID: modelID, appID: appID, expiresAt: expiresAt, usedAt: usedAt,
                  createdAt: createdAt)
    }
}

extension UserRecord {
    init(postgres row: PostgresRow) throws {
        let (id, appID, openID, name, createdAt) = try row.decode((String, String, String, String, Int64).self)
        self.init(id: id, appID: appID, openID: openID, name: name, createdAt: createdAt)
    }
}

extension SessionRecord {
    init(postgres row: PostgresRow) throws {
        let (hash, userID, appID, channel, expiresAt, createdAt) = try row.decode(
            (String, String, String, String, Int64, Int64).self)
        self.init(tokenHash: hash, userID: userID, appID: appID, channel: try rawValue(channel, "channel"),
                  expiresAt: expiresAt, createdAt: createdAt)
    }
}

extension SignInCodeRecord {
    init(postgres row: PostgresRow) throws {
        let (hash, userID, appID, channel, ttl, expiresAt, createdAt) = try row.decode(
            (String, String, String, String, Int, Int64, Int64).self)
        self.init(codeHash: hash, userID: userID, appID: appID, channel: try rawValue(channel, "channel"),
                  ttlSeconds: ttl, expiresAt: expiresAt, createdAt: createdAt)
    }
}

extension AuthorizationRecord {
    init(postgres row: PostgresRow) throws {
        let (userID, sn, status, updatedAt) = try row.decode((String, String, String, Int64).self)
        self.init(userID: userID, sn: sn, status: try rawValue(status, "status"), updatedAt: updatedAt)
    }
}

extension CallRecord {
    init(postgres row: PostgresRow) throws {
        let (id, appID, sn, userID, direction, kind, channel, outcome, startedAt, answeredAt, endedAt) = try row.decode(
            (String, String, String, String, String, String, String, String, Int64, Int64?, Int64?).self)
        self.init(id: id, appID: appID, sn: sn, userID: userID, direction: try rawValue(direction, "direction"),
                  kind: try rawValue(kind, "kind"), channel: try rawValue(channel, "channel"),
                  outcome: try rawValue(outcome, "outcome"), startedAt: startedAt, answeredAt: answeredAt,
                  endedAt: endedAt)
    }
}

extension NoticeRecord {
    init(postgres row: PostgresRow) throws {
        let (id, sn, userID, kind, text, createdAt, readAt) = try row.decode(
            (String, String, String, Int, String, Int64, Int64?).self)
        self.init(id: id, sn: sn, userID: userID, kind: kind, text: text, createdAt: createdAt, readAt: readAt)
    }
}

/// A statement built piece by piece: SQL text with `$n` placeholders and their values.
struct PostgresStatement {
    var sql = ""
    var binds = PostgresBindings()

    /// Binds `value` and returns its placeholder.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}

extension PostgresStore {
    /// One page of `R`: `statement` selects `seq AS page_seq` after the record's columns and ends before its
    /// `LIMIT`; one more row than asked is read to know whether another page follows.
    func page<R: Sendable>(_ what: String, _ statement: PostgresStatement, request: PageRequest,
                           _ decode: @escaping (PostgresRow) throws -> R, key: (R) -> Int64) async throws(StoreError)
        -> Page<R>
    {
        let limit = max(0, request.limit)
        guard limit > 0 else { return Page(items: [], next: nil) }
        var statement = statement
        statement.sql += " LIMIT \(statement.bind(limit + 1))"
        let rows = try await rows(what, statement.query)
        return try self.decode(what) {
            var items: [R] = []
            var last: PageCursor?
            for row in rows.prefix(limit) {
                let item = try decode(row)
                items.append(item)
                let random = row.makeRandomAccess()
                last = PageCursor(key: key(item), rowID: try random["page_seq"].decode(Int64.self))
            }
            return Page(items: items, next: rows.count > limit ? last : nil)
        }
    }

    /// One page of an app's records in `table` (models, devices, users), oldest first: `created_at`, then `seq`.
    func appPage<R: Sendable>(_ what: String, table: String, columns: String, appID: String, page request: PageRequest,
                              _ decode: @escaping (PostgresRow) throws -> R, key: (R) -> Int64)
        async throws(StoreError) -> Page<R>
    {
        var statement = PostgresStatement()
        let app = statement.bind(appID)
        let filter = Self.pageFilter(request.after, descending: false, keyColumn: "created_at", prefix: "AND",
                                     into: &statement)
        statement.sql = "SELECT \(columns), seq AS page_seq FROM \(table) WHERE app_id = \(app)\(filter) "
            + "ORDER BY created_at, seq"
        return try await page(what, statement, request: request, decode, key: key)
    }

    /// The `(key, seq)` comparison that starts a page after `cursor` ("" for the first page), bound into
    /// `statement`; `descending` lists go down from the cursor.
    static func pageFilter(_ cursor: PageCursor?, descending: Bool, keyColumn: String, seqColumn: String = "seq",
                           prefix: String, into statement: inout PostgresStatement) -> String {
        guard let cursor else { return "" }
        let key = statement.bind(cursor.key)
        let seq = statement.bind(cursor.rowID)
        return " \(prefix) (\(keyColumn), \(seqColumn)) \(descending ? "<" : ">") (\(key), \(seq))"
    }

    /// The records `query` selects, decoded.
    func all<R: Sendable>(_ what: String, _ query: PostgresQuery, _ decode: (PostgresRow) throws -> R)
        async throws(StoreError) -> [R]
    {
        let rows = try await rows(what, query)
        return try self.decode(what) { try rows.map(decode) }
    }

    /// The first record `query` selects, or nil.
    func one<R: Sendable>(_ what: String, _ query: PostgresQuery, _ decode: (PostgresRow) throws -> R)
        async throws(StoreError) -> R?
    {
        let rows = try await rows(what, query)
        return try self.decode(what) { try rows.first.map(decode) }
    }
}

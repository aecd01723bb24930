import NIOCore
import PostgresNIO

// The call router's reads and writes on PostgreSQL: the call's context in one statement, a batch of writes in one
// transaction of a few statements (one per kind of write, over arrays).
extension PostgresStore {
    public func callContext(sn: String, openID: String?, userID: String?) async throws(StoreError) -> CallContext {
        let what = "reading the context of a call of \(sn)"
        let rows = try await rows(what, """
            SELECT d.sn, d.model_id, d.app_id, d.name, d.public_key, d.registered_at, d.created_at,
                   m.id, m.app_id, m.name, m.created_at,
                   a.id, a.name, a.secret_hash, a.release_approved, a.call_quota, a.created_at,
                   u.id, u.app_id, u.open_id, u.name, u.created_at,
                   z.status, z.updated_at,
                   (u.id IS NULL AND \(openID)::text IS NOT NULL AND EXISTS (
                       SELECT 1 FROM users o WHERE o.open_id = \(openID) AND o.app_id <> d.app_id)),
                   ARRAY(SELECT DISTINCT p.channel FROM push_subscriptions p WHERE p.user_id = u.id AND p.app_id = d.app_id)
            FROM (SELECT 1) AS one
            LEFT JOIN devices d ON d.sn = \(sn)
            LEFT JOIN models m ON m.id = d.model_id
            LEFT JOIN apps a ON a.id = d.app_id
            LEFT JOIN users u ON (\(openID)::text IS NOT NULL AND u.app_id = d.app_id AND u.open_id = \(openID))
                              OR (\(openID)::text IS NULL AND u.id = \(userID))
            LEFT JOIN authorizations z ON z.user_id = u.id AND z.sn = d.sn
            """)
        return try decode(what) {
            guard let row = rows.first else { return CallContext() }
            let (dSN, dModel, dApp, dName, dKey, dRegistered, dCreated) = try row.decode(
                (String?, String?, String?, String?, ByteBuffer?, Int64?, Int64?).self)
            var context = CallContext()
            guard let dSN, let dModel, let dApp, let dName, let dCreated else { return context }
            context.device = DeviceRecord(sn: dSN, modelID: dModel, appID: dApp, name: dName,
                                          publicKey: dKey.map { Array($0.readableBytesView) }, registeredAt: dRegistered,
                                          createdAt: dCreated)
            let cells = Array(row)
            func cell<T: PostgresDecodable>(_ index: Int, _ type: T.Type = T.self) throws -> T {
                try cells[index].decode(T.self)
            }
            if let id: String = try cell(7) {
                context.model = ModelRecord(id: id, appID: try cell(8), name: try cell(9), createdAt: try cell(10))
            }
            if let id: String = try cell(11) {
                context.app = AppRecord(id: id, name: try cell(12), secretHash: try cell(13), releaseApproved: try cell(14),
                                        callQuota: try cell(15), createdAt: try cell(16))
            }
            if let id: String = try cell(17) {
                context.user = UserRecord(id: id, appID: try cell(18), openID: try cell(19), name: try cell(20),
                                          createdAt: try cell(21))
            }
            if let status: String = try cell(22), let user = context.user {
                context.authorization = AuthorizationRecord(userID: user.id, sn: dSN, status: try rawValue(status, "status"),
                                                            updatedAt: try cell(23))
            }
            context.openIDInOtherApp = (try cell(24, Bool?.self)) ?? false
            context.pushChannels = Set(try cell(25, [String].self).compactMap(AppChannel.init(rawValue:)))
            return context
        }
    }

    public func authorizedUsers(sn: String) async throws(StoreError) -> [AuthorizedUserRecord] {
        try await all("listing the users who authorized \(sn)", """
            SELECT a.user_id, u.open_id, a.updated_at FROM authorizations a JOIN users u ON u.id = a.user_id
            WHERE a.sn = \(sn) AND a.status = 'authorized' ORDER BY u.open_id
            """) { row in
            let (userID, openID, updatedAt) = try row.decode((String, String, Int64).self)
            return AuthorizedUserRecord(userID: userID, openID: openID, updatedAt: updatedAt)
        }
    }

    /// One transaction: the finishes (one statement), the starts (one statement for those without a quota, two
    /// for each that takes one), the attempts (one statement each: rare), the answers (one statement) and the
    /// notices (one statement).
    public func applyCallWrites(_ writes: [CallWrite]) async -> [CallWriteResult] {
        guard !writes.isEmpty else { return [] }
        let logger = self.logger
        do {
            return try await transaction("applying \(writes.count) call writes") { connection in
                var results = [CallWriteResult](repeating: .done, count: writes.count)
                var finishes: [CallRecord] = []
                var attempts: [CallRecord] = []
                var starts: [(Int, CallRecord, String?)] = []
                var quotaStarts: [(Int, CallRecord, String?)] = []
                var answers: [(Int, String, Int64)] = []
                var notices: [NoticeRecord] = []
                for (index, write) in writes.enumerated() {
                    switch write {
                    case .finish(let call): finishes.append(call)
                    case .attempt(let call): attempts.append(call)
                    case .start(let call, let takeQuota, let node):
                        if takeQuota { quotaStarts.append((index, call, node)) } else { starts.append((index, call, node)) }
                    case .answer(let callID, let at): answers.append((index, callID, at))
                    case .notices(let batch): notices += batch
                    }
                }
                if !finishes.isEmpty {
                    try await connection.rows("""
                        UPDATE calls c SET outcome = v.outcome, answered_at = NULLIF(v.answered, -1),
                            ended_at = NULLIF(v.ended, -1)
                        FROM unnest(\(finishes.map(\.id))::text[], \(finishes.map(\.outcome.rawValue))::text[],
                                    \(finishes.map { $0.answeredAt ?? -1 })::int8[], \(finishes.map { $0.endedAt ?? -1 })::int8[])
                            AS v(id, outcome, answered, ended)
                        WHERE c.id = v.id AND c.outcome IN ('ringing', 'active')
                        """, logger)
                }
                if !starts.isEmpty {
                    let calls = starts.map(\.1)
                    let inserted = Set(try await connection.rows("""
                        INSERT INTO calls (\(unescaped: CallRecord.columns), node)
                        SELECT v.id, v.app_id, v.sn, v.user_id, v.direction, v.kind, v.channel, v.outcome, v.started_at,
                               NULL, NULL, NULLIF(v.node, '')
                        FROM unnest(\(calls.map(\.id))::text[], \(calls.map(\.appID))::text[], \(calls.map(\.sn))::text[],
                                    \(calls.map(\.userID))::text[], \(calls.map(\.direction.rawValue))::text[],
                                    \(calls.map(\.kind.rawValue))::text[], \(calls.map(\.channel.rawValue))::text[],
                                    \(calls.map(\.outcome.rawValue))::text[], \(calls.map(\.startedAt))::int8[],
                                    \(starts.map { $0.2 ?? "" })::text[])
                            AS v(id, app_id, sn, user_id, direction, kind, channel, outcome, started_at, node)
                        ON CONFLICT DO NOTHING RETURNING id
                        """, logger).map { try $0.decode(String.self) })
                    for (index, call, _) in starts where !inserted.contains(call.id) { results[index] = .busy }
                }
                for (index, call, node) in quotaStarts {
                    let inserted = try await connection.rows("""
                        INSERT INTO calls (\(unescaped: CallRecord.columns), node) VALUES (\(call.id), \(call.appID),
                        \(call.sn), \(call.userID), \(call.direction.rawValue), \(call.kind.rawValue),
                        \(call.channel.rawValue), \(call.outcome.rawValue), \(call.startedAt), NULL, NULL, \(node))
                        ON CONFLICT DO NOTHING RETURNING id
                        """, logger)
                    guard !inserted.isEmpty else {
                        results[index] = .busy
                        continue
                    }
                    let taken = try await connection.rows(
                        "UPDATE apps SET call_quota = call_quota - 1 WHERE id = \(call.appID) AND call_quota > 0 RETURNING id",
                        logger)
                    if taken.isEmpty {
                        try await connection.rows("DELETE FROM calls WHERE id = \(call.id)", logger)
                        results[index] = .quotaExhausted
                    }
                }
                for call in attempts { try await connection.rows(Self.insert(call), logger) }
                if !answers.isEmpty {
                    let answered = Set(try await connection.rows("""
                        UPDATE calls c SET outcome = 'active', answered_at = v.at
                        FROM unnest(\(answers.map(\.1))::text[], \(answers.map(\.2))::int8[]) AS v(id, at)
                        WHERE c.id = v.id AND c.outcome = 'ringing' RETURNING c.id
                        """, logger).map { try $0.decode(String.self) })
                    for (index, callID, _) in answers where !answered.contains(callID) { results[index] = .notRinging }
                }
                if !notices.isEmpty {
                    try await connection.rows("""
                        INSERT INTO notices (\(unescaped: NoticeRecord.columns))
                        SELECT v.id, v.sn, v.user_id, v.kind, v.text, v.created_at, NULL
                        FROM unnest(\(notices.map(\.id))::text[], \(notices.map(\.sn))::text[],
                                    \(notices.map(\.userID))::text[], \(notices.map { Int64($0.kind) })::int8[],
                                    \(notices.map(\.text))::text[], \(notices.map(\.createdAt))::int8[])
                            AS v(id, sn, user_id, kind, text, created_at)
                        """, logger)
                }
                return results
            }
        } catch {
            return writes.map { _ in .failed(error) }
        }
    }
}

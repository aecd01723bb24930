import Foundation
import GRDB

// The call router's reads and writes on SQLite (docs/store.md, "The call router's reads and writes").
extension SQLiteStore {
    public func callContext(sn: String, openID: String?, userID: String?) async throws(StoreError) -> CallContext {
        try await read("reading the context of a call of \(sn)") { db in
            var context = CallContext()
            context.device = try db.one("SELECT \(DeviceRecord.columns) FROM devices WHERE sn = ?", [sn],
                                        DeviceRecord.init(row:))
            guard let device = context.device else { return context }
            context.model = try db.one("SELECT \(ModelRecord.columns) FROM models WHERE id = ?", [device.modelID],
                                       ModelRecord.init(row:))
            context.app = try db.one("SELECT \(AppRecord.columns) FROM apps WHERE id = ?", [device.appID],
                                     AppRecord.init(row:))
            if let openID {
                context.user = try db.one("SELECT \(UserRecord.columns) FROM users WHERE app_id = ? AND open_id = ?",
                                          [device.appID, openID], UserRecord.init(row:))
                if context.user == nil {
                    context.openIDInOtherApp = try Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM users WHERE open_id = ? AND app_id <> ?)",
                        arguments: [openID, device.appID]) ?? false
                }
            } else if let userID {
                context.user = try db.one("SELECT \(UserRecord.columns) FROM users WHERE id = ?", [userID],
                                          UserRecord.init(row:))
            }
            guard let user = context.user else { return context }
            context.authorization = try db.one(
                "SELECT \(AuthorizationRecord.columns) FROM authorizations WHERE user_id = ? AND sn = ?", [user.id, sn],
                AuthorizationRecord.init(row:))
            let channels = try String.fetchAll(
                db, sql: "SELECT DISTINCT channel FROM push_subscriptions WHERE user_id = ? AND app_id = ?",
                arguments: [user.id, device.appID])
            context.pushChannels = Set(channels.compactMap(AppChannel.init(rawValue:)))
            return context
        }
    }

    public func authorizedUsers(sn: String) async throws(StoreError) -> [AuthorizedUserRecord] {
        try await read("listing the users who authorized \(sn)") { db in
            try db.all("""
                SELECT a.user_id, u.open_id, a.updated_at FROM authorizations a JOIN users u ON u.id = a.user_id
                WHERE a.sn = ? AND a.status = 'authorized' ORDER BY u.open_id
                """, [sn]) { row in
                AuthorizedUserRecord(userID: try row.value("user_id"), openID: try row.value("open_id"),
                                     updatedAt: try row.value("updated_at"))
            }
        }
    }

    /// One write transaction (one commit, one fsync for the batch); each write in a savepoint of its own, so one
    /// that fails leaves the others.
    public func applyCallWrites(_ writes: [CallWrite]) async -> [CallWriteResult] {
        guard !writes.isEmpty else { return [] }
        do {
            return try await write("applying \(writes.count) call writes") { db in
                var results: [CallWriteResult] = []
                results.reserveCapacity(writes.count)
                for write in writes {
                    var result = CallWriteResult.done
                    do {
                        try db.inSavepoint {
                            result = try Self.apply(write, db)
                            return result == .done ? .commit : .rollback
                        }
                    } catch {
                        result = .failed(Self.storeError(error, "applying a call write"))
                    }
                    results.append(result)
                }
                return results
            }
        } catch {
            return writes.map { _ in .failed(error) }
        }
    }

    static func apply(_ write: CallWrite, _ db: Database) throws -> CallWriteResult {
        switch write {
        case .start(let call, let takeQuota, let node):
            try db.execute(
                sql: "INSERT INTO calls (\(CallRecord.columns), node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    + "ON CONFLICT DO NOTHING",
                arguments: [call.id, call.appID, call.sn, call.userID, call.direction.rawValue, call.kind.rawValue,
                            call.channel.rawValue, call.outcome.rawValue, call.startedAt, call.answeredAt, call.endedAt,
                            node])
            guard db.changesCount == 1 else { return .busy }
            if takeQuota {
                try db.execute(sql: "UPDATE apps SET call_quota = call_quota - 1 WHERE id = ? AND call_quota > 0",
                               arguments: [call.appID])
                guard db.changesCount == 1 else { return .quotaExhausted }
            }
            return .done
        case .answer(let callID, let at):
            try db.execute(sql: "UPDATE calls SET outcome = 'active', answered_at = ? WHERE id = ? AND outcome = 'ringing'",
                           arguments: [at, callID])
            return db.changesCount == 1 ? .done : .notRinging
        case .finish(let call):
            try db.execute(
                sql: """
                    UPDATE calls SET outcome = ?, answered_at = ?, ended_at = ?
                    WHERE id = ? AND outcome IN ('ringing', 'active')
                    """,
                arguments: [call.outcome.rawValue, call.answeredAt, call.endedAt, call.id])
            return .done
        case .attempt(let call):
            try insert(call, db)
            return .done
        case .notices(let notices):
            for notice in notices {
                try db.execute(
                    sql: "INSERT INTO notices (\(NoticeRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [notice.id, notice.sn, notice.userID, notice.kind, notice.text, notice.createdAt,
                                notice.readAt])
            }
            return .done
        }
    }
}

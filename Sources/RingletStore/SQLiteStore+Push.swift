import Foundation
import GRDB

// Web Push subscriptions (docs/push.md).
extension SQLiteStore {
    /// Stores `subscription` in one write transaction: a row with the same endpoint is replaced (keeping its id,
    /// taking the new user, channel, keys and time), then the user's oldest rows beyond `maximumPerUser` are
    /// deleted. `notFound` when the user is not of that app.
    public func savePushSubscription(_ subscription: PushSubscriptionRecord, maximumPerUser: Int) async throws(StoreError)
        -> PushSubscriptionRecord
    {
        try await write("saving a push subscription of user \(subscription.userID)") { db in
            var stored = subscription
            if let existing = try db.one("SELECT \(PushSubscriptionRecord.columns) FROM push_subscriptions WHERE endpoint = ?",
                                         [subscription.endpoint], PushSubscriptionRecord.init(row:)) {
                stored.id = existing.id
                try db.execute(
                    sql: """
                        UPDATE push_subscriptions SET user_id = ?, app_id = ?, channel = ?, p256dh = ?, auth = ?,
                        created_at = ? WHERE id = ?
                        """,
                    arguments: [stored.userID, stored.appID, stored.channel.rawValue, Data(stored.p256dh),
                                Data(stored.auth), stored.createdAt, stored.id])
            } else {
                try db.execute(
                    sql: "INSERT INTO push_subscriptions (\(PushSubscriptionRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [stored.id, stored.userID, stored.appID, stored.channel.rawValue, stored.endpoint,
                                Data(stored.p256dh), Data(stored.auth), stored.createdAt])
            }
            try db.execute(
                sql: """
                    DELETE FROM push_subscriptions WHERE user_id = ? AND id NOT IN (
                        SELECT id FROM push_subscriptions WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)
                    """,
                arguments: [stored.userID, stored.userID, max(1, maximumPerUser)])
            return stored
        }
    }

    /// The user's subscriptions, oldest first.
    public func pushSubscriptions(userID: String) async throws(StoreError) -> [PushSubscriptionRecord] {
        try await read("listing the push subscriptions of user \(userID)") { db in
            try db.all(
                "SELECT \(PushSubscriptionRecord.columns) FROM push_subscriptions WHERE user_id = ? ORDER BY created_at, rowid",
                [userID], PushSubscriptionRecord.init(row:))
        }
    }

    /// Deletes the user's subscription with `endpoint`; false when the user has none with it.
    public func deletePushSubscription(userID: String, endpoint: String) async throws(StoreError) -> Bool {
        try await write("deleting a push subscription of user \(userID)") { db in
            try db.execute(sql: "DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint = ?",
                           arguments: [userID, endpoint])
            return db.changesCount > 0
        }
    }

    /// Deletes the subscription with this id; absent is not an error.
    public func deletePushSubscription(id: String) async throws(StoreError) {
        try await write("deleting push subscription \(id)") { db in
            try db.execute(sql: "DELETE FROM push_subscriptions WHERE id = ?", arguments: [id])
        }
    }
}

extension PushSubscriptionRecord {
    static let columns = "id, user_id, app_id, channel, endpoint, p256dh, auth, created_at"

    init(row: Row) throws {
        self.init(id: try row.value("id"), userID: try row.value("user_id"), appID: try row.value("app_id"),
                  channel: try row.raw("channel"), endpoint: try row.value("endpoint"),
                  p256dh: try row.bytes("p256dh") ?? [], auth: try row.bytes("auth") ?? [],
                  createdAt: try row.value("created_at"))
    }
}

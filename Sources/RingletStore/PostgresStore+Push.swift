import NIOCore
import PostgresNIO

// Web Push subscriptions on PostgreSQL (docs/push.md).
extension PostgresStore {
    /// One transaction: the endpoint's row is locked (or inserted), then the user's oldest rows beyond
    /// `maximumPerUser` are deleted.
    public func savePushSubscription(_ subscription: PushSubscriptionRecord, maximumPerUser: Int) async throws(StoreError)
        -> PushSubscriptionRecord
    {
        let logger = self.logger
        return try await transaction("saving a push subscription of user \(subscription.userID)") { connection in
            var stored = subscription
            let p256dh = ByteBuffer(bytes: stored.p256dh)
            let auth = ByteBuffer(bytes: stored.auth)
            if let id = try await connection.rows(
                "SELECT id FROM push_subscriptions WHERE endpoint = \(subscription.endpoint) FOR UPDATE", logger)
                .first.map({ try $0.decode(String.self) }) {
                stored.id = id
                try await connection.rows("""
                    UPDATE push_subscriptions SET user_id = \(stored.userID), app_id = \(stored.appID),
                    channel = \(stored.channel.rawValue), p256dh = \(p256dh), auth = \(auth),
                    created_at = \(stored.createdAt) WHERE id = \(id)
                    """, logger)
            } else {
                try await connection.rows("""
                    INSERT INTO push_subscriptions (\(unescaped: PushSubscriptionRecord.columns))
                    VALUES (\(stored.id), \(stored.userID), \(stored.appID), \(stored.channel.rawValue), \(stored.endpoint),
                    \(p256dh), \(auth), \(stored.createdAt))
                    """, logger)
            }
            try await connection.rows("""
                DELETE FROM push_subscriptions WHERE user_id = \(stored.userID) AND id NOT IN (
                    SELECT id FROM push_subscriptions WHERE user_id = \(stored.userID)
                    ORDER BY created_at DESC, seq DESC LIMIT \(max(1, maximumPerUser)))
                """, logger)
            return stored
        }
    }

    public func pushSubscriptions(userID: String) async throws(StoreError) -> [PushSubscriptionRecord] {
        try await all("listing the push subscriptions of user \(userID)", """
            SELECT \(unescaped: PushSubscriptionRecord.columns) FROM push_subscriptions WHERE user_id = \(userID)
            ORDER BY created_at, seq
            """, PushSubscriptionRecord.init(postgres:))
    }

    public func deletePushSubscription(userID: String, endpoint: String) async throws(StoreError) -> Bool {
        try await rows("deleting a push subscription of user \(userID)", """
            DELETE FROM push_subscriptions WHERE user_id = \(userID) AND endpoint = \(endpoint) RETURNING id
            """).count > 0
    }

    public func deletePushSubscription(id: String) async throws(StoreError) {
        try await rows("deleting push subscription \(id)", "DELETE FROM push_subscriptions WHERE id = \(id)")
    }
}

extension PushSubscriptionRecord {
    init(postgres row: PostgresRow) throws {
        let (id, userID, appID, channel, endpoint, p256dh, auth, createdAt) = try row.decode(
            (String, String, String, String, String, ByteBuffer, ByteBuffer, Int64).self)
        self.init(id: id, userID: userID, appID: appID, channel: try rawValue(channel, "channel"), endpoint: endpoint,
                  p256dh: Array(p256dh.readableBytesView), auth: Array(auth.readableBytesView), createdAt: createdAt)
    }
}

import NIOCore
import PostgresNIO

// Apps, models, devices and SN tickets on PostgreSQL (the rules are the protocol's and SQLiteStore's).
extension PostgresStore {
    // MARK: Apps

    public func insertApp(_ app: AppRecord) async throws(StoreError) {
        try await rows("inserting app \(app.id)", """
            INSERT INTO apps (\(unescaped: AppRecord.columns)) VALUES (\(app.id), \(app.name), \(app.secretHash),
            \(app.releaseApproved), \(app.callQuota), \(app.createdAt))
            """)
    }

    public func app(id: String) async throws(StoreError) -> AppRecord? {
        try await one("reading app \(id)", "SELECT \(unescaped: AppRecord.columns) FROM apps WHERE id = \(id)",
                      AppRecord.init(postgres:))
    }

    public func apps() async throws(StoreError) -> [AppRecord] {
        try await all("listing apps", "SELECT \(unescaped: AppRecord.columns) FROM apps ORDER BY created_at, seq",
                      AppRecord.init(postgres:))
    }

    public func apps(page: PageRequest) async throws(StoreError) -> Page<AppRecord> {
        var statement = PostgresStatement()
        let filter = Self.pageFilter(page.after, descending: false, keyColumn: "created_at", prefix: "WHERE",
                                     into: &statement)
        statement.sql = "SELECT \(AppRecord.columns), seq AS page_seq FROM apps\(filter) ORDER BY created_at, seq"
        return try await self.page("listing apps", statement, request: page, AppRecord.init(postgres:), key: \.createdAt)
    }

    public func updateAppSecret(appID: String, secretHash: String) async throws(StoreError) {
        let changed = try await rows("rotating the secret of app \(appID)",
                                     "UPDATE apps SET secret_hash = \(secretHash) WHERE id = \(appID) RETURNING id")
        guard changed.count == 1 else { throw StoreError(.notFound, "no app \(appID)") }
    }

    public func updateApp(_ app: AppRecord) async throws(StoreError) {
        let changed = try await rows("updating app \(app.id)", """
            UPDATE apps SET name = \(app.name), release_approved = \(app.releaseApproved), call_quota = \(app.callQuota)
            WHERE id = \(app.id) RETURNING id
            """)
        guard changed.count == 1 else { throw StoreError(.notFound, "no app \(app.id)") }
    }

    /// One statement: the row lock of the `UPDATE` makes concurrent takes (on any node) queue, so none overdraws.
    public func consumeCallQuota(appID: String) async throws(StoreError) -> Bool {
        let what = "taking a call from the quota of app \(appID)"
        let taken = try await rows(what, """
            UPDATE apps SET call_quota = call_quota - 1
            WHERE id = \(appID) AND (call_quota IS NULL OR call_quota > 0) RETURNING id
            """)
        if taken.count == 1 { return true }
        guard try await one(what, "SELECT id FROM apps WHERE id = \(appID)", { try $0.decode(String.self) }) != nil
        else { throw StoreError(.notFound, "no app \(appID)") }
        return false
    }

    // MARK: Models

    public func insertModel(_ model: ModelRecord) async throws(StoreError) {
        try await rows("inserting model \(model.id)", """
            INSERT INTO models (\(unescaped: ModelRecord.columns))
            VALUES (\(model.id), \(model.appID), \(model.name), \(model.createdAt))
            """)
    }

    public func model(id: String) async throws(StoreError) -> ModelRecord? {
        try await one("reading model \(id)", "SELECT \(unescaped: ModelRecord.columns) FROM models WHERE id = \(id)",
                      ModelRecord.init(postgres:))
    }

    public func models(appID: String) async throws(StoreError) -> [ModelRecord] {
        try await all("listing models of app \(appID)",
                      "SELECT \(unescaped: ModelRecord.columns) FROM models WHERE app_id = \(appID) ORDER BY created_at, seq",
                      ModelRecord.init(postgres:))
    }

    public func models(appID: String, page: PageRequest) async throws(StoreError) -> Page<ModelRecord> {
        try await appPage("listing models of app \(appID)", table: "models", columns: ModelRecord.columns, appID: appID,
                          page: page, ModelRecord.init(postgres:), key: \.createdAt)
    }

    // MARK: Devices

    public func insertDevice(_ device: DeviceRecord) async throws(StoreError) {
        let key = device.publicKey.map { ByteBuffer(bytes: $0) }
        try await rows("inserting device \(device.sn)", """
            INSERT INTO devices (\(unescaped: DeviceRecord.columns)) VALUES (\(device.sn), \(device.modelID),
            \(device.appID), \(device.name), \(key), \(device.registeredAt), \(device.createdAt))
            """)
    }

    public func device(sn: String) async throws(StoreError) -> DeviceRecord? {
        try await one("reading device \(sn)", "SELECT \(unescaped: DeviceRecord.columns) FROM devices WHERE sn = \(sn)",
                      DeviceRecord.init(postgres:))
    }

    public func devices(appID: String) async throws(StoreError) -> [DeviceRecord] {
        try await all("listing devices of app \(appID)",
                      "SELECT \(unescaped: DeviceRecord.columns) FROM devices WHERE app_id = \(appID) ORDER BY created_at, seq",
                      DeviceRecord.init(postgres:))
    }

    public func devices(appID: String, page: PageRequest) async throws(StoreError) -> Page<DeviceRecord> {
        try await appPage("listing devices of app \(appID)", table: "devices", columns: DeviceRecord.columns, appID: appID,
                          page: page, DeviceRecord.init(postgres:), key: \.createdAt)
    }

    public func resetDevice(sn: String) async throws(StoreError) -> DeviceRecord {
        let logger = self.logger
        return try await transaction("resetting device \(sn)") { connection in
            guard var device = try await connection.rows(
                "SELECT \(unescaped: DeviceRecord.columns) FROM devices WHERE sn = \(sn) FOR UPDATE", logger)
                .first.map(DeviceRecord.init(postgres:))
            else { throw StoreError(.notFound, "no device \(sn)") }
            try await connection.rows("UPDATE devices SET public_key = NULL, registered_at = NULL WHERE sn = \(sn)", logger)
            try await Self.forgetCredentials(of: sn, connection, logger)
            device.publicKey = nil
            device.registeredAt = nil
            return device
        }
    }

    public func renameDevice(sn: String, name: String) async throws(StoreError) -> DeviceRecord {
        guard let device = try await one(
            "renaming device \(sn)",
            "UPDATE devices SET name = \(name) WHERE sn = \(sn) RETURNING \(unescaped: DeviceRecord.columns)",
            DeviceRecord.init(postgres:))
        else { throw StoreError(.notFound, "no device \(sn)") }
        return device
    }

    public func deleteDevice(sn: String) async throws(StoreError) -> Bool {
        let logger = self.logger
        return try await transaction("deleting device \(sn)") { connection in
            try await Self.forgetCredentials(of: sn, connection, logger)
            return try await connection.rows("DELETE FROM devices WHERE sn = \(sn) RETURNING sn", logger).count == 1
        }
    }

    /// Deletes the device's authorizations and its tickets (with their uses).
    static func forgetCredentials(of sn: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.rows("DELETE FROM authorizations WHERE sn = \(sn)", logger)
        try await connection.rows("DELETE FROM tickets WHERE sn = \(sn)", logger)
    }

    // MARK: SN tickets

    public func insertTicket(_ ticket: TicketRecord) async throws(StoreError) {
        try await rows("inserting a ticket for \(ticket.sn)", """
            INSERT INTO tickets (\(unescaped: TicketRecord.columns)) VALUES (\(ticket.ticketHash), \(ticket.sn),
            \(ticket.modelID), \(ticket.appID), \(ticket.expiresAt), \(ticket.usedAt), \(ticket.createdAt))
            """)
    }

    public func ticket(hash: String) async throws(StoreError) -> TicketRecord? {
        try await one("reading a ticket",
                      "SELECT \(unescaped: TicketRecord.columns) FROM tickets WHERE ticket_hash = \(hash)",
                      TicketRecord.init(postgres:))
    }

    /// The protocol's rules in one transaction under an advisory lock on the SN, so that two registrations of one
    /// device (on any nodes) run one after the other, as they do in SQLite's single writer.
    public func registerDevice(ticketHash: String, sn: String, publicKey: [UInt8], now: Int64) async throws(StoreError)
        -> DeviceRecord
    {
        let logger = self.logger
        return try await transaction("registering device \(sn)") { connection in
            try await connection.rows("SELECT pg_advisory_xact_lock(hashtextextended(\(sn), 17))", logger)
            let ticket = try await connection.rows(
                "SELECT \(unescaped: TicketRecord.columns) FROM tickets WHERE ticket_hash = \(ticketHash) FOR UPDATE",
                logger).first.map(TicketRecord.init(postgres:))
            let existing = try await connection.rows(
                "SELECT \(unescaped: DeviceRecord.columns) FROM devices WHERE sn = \(sn) FOR UPDATE", logger)
                .first.map(DeviceRecord.init(postgres:))
            let key = ByteBuffer(bytes: publicKey)
            let device: DeviceRecord
            switch try Registration.decide(ticket: ticket, sn: sn, publicKey: publicKey, now: now, existing: existing) {
            case .retry(let unchanged):
                return unchanged
            case .rekey(let rekeyed):
                device = rekeyed
                try await connection.rows(
                    "UPDATE devices SET public_key = \(key), registered_at = \(now) WHERE sn = \(sn)", logger)
            case .insert(let new):
                device = new
                try await connection.rows("""
                    INSERT INTO devices (\(unescaped: DeviceRecord.columns))
                    VALUES (\(sn), \(device.modelID), \(device.appID), \(device.name), \(key), \(now), \(now))
                    """, logger)
            }
            try await connection.rows("UPDATE tickets SET used_at = \(now) WHERE ticket_hash = \(ticketHash)", logger)
            return device
        }
    }

    public func authorizeWithTicket(ticketHash: String, sn: String, userID: String, appID: String, maxUsers: Int,
                                    now: Int64) async throws(StoreError) -> AuthorizationRecord
    {
        let logger = self.logger
        return try await transaction("authorizing \(sn) for user \(userID) with a ticket") { connection in
            guard let record = try await connection.rows(
                "SELECT \(unescaped: TicketRecord.columns) FROM tickets WHERE ticket_hash = \(ticketHash) FOR UPDATE",
                logger).first.map(TicketRecord.init(postgres:)),
                record.sn == sn, record.appID == appID, now < record.expiresAt
            else { throw StoreError(.ticketInvalid, "the ticket is unknown, expired or for another device") }
            let already = try await connection.rows(
                "SELECT 1 FROM ticket_uses WHERE ticket_hash = \(ticketHash) AND user_id = \(userID)", logger)
            if already.isEmpty {
                let count = try await connection.rows(
                    "SELECT count(*) FROM ticket_uses WHERE ticket_hash = \(ticketHash)", logger)
                    .first.map { try $0.decode(Int.self) } ?? 0
                guard count < maxUsers else {
                    throw StoreError(.ticketInvalid, "the ticket has authorized \(count) users, its limit")
                }
                try await connection.rows("""
                    INSERT INTO ticket_uses (ticket_hash, user_id, created_at) VALUES (\(ticketHash), \(userID), \(now))
                    """, logger)
            }
            let authorization = AuthorizationRecord(userID: userID, sn: sn, status: .authorized, updatedAt: now)
            try await connection.rows(Self.upsert(authorization), logger)
            return authorization
        }
    }
}

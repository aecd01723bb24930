import Foundation
import GRDB

// Apps, models, devices and SN tickets.
extension SQLiteStore {
    // MARK: Apps

    /// Inserts an app; `conflict` when its id exists.
    public func insertApp(_ app: AppRecord) async throws(StoreError) {
        try await write("inserting app \(app.id)") { db in
            try db.execute(
                sql: "INSERT INTO apps (\(AppRecord.columns)) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [app.id, app.name, app.secretHash, app.releaseApproved, app.callQuota, app.createdAt])
        }
    }

    /// The app with this id, or nil.
    public func app(id: String) async throws(StoreError) -> AppRecord? {
        try await read("reading app \(id)") { db in
            try db.one("SELECT \(AppRecord.columns) FROM apps WHERE id = ?", [id], AppRecord.init(row:))
        }
    }

    /// Every app, oldest first.
    public func apps() async throws(StoreError) -> [AppRecord] {
        try await read("listing apps") { db in
            try db.all("SELECT \(AppRecord.columns) FROM apps ORDER BY created_at, rowid", [], AppRecord.init(row:))
        }
    }

    /// The apps, oldest first (ties: first inserted first), one page at a time.
    public func apps(page: PageRequest) async throws(StoreError) -> Page<AppRecord> {
        let (filter, arguments) = Database.pageFilter(page.after, descending: false, keyColumn: "created_at", prefix: "WHERE")
        return try await read("listing apps") { db in
            try db.page(
                "SELECT rowid AS page_rowid, \(AppRecord.columns) FROM apps\(filter) ORDER BY created_at, rowid LIMIT ?",
                arguments, request: page, AppRecord.init(row:), key: \.createdAt)
        }
    }

    /// Replaces the app's secret hash; `notFound` if absent. The old secret stops working with this commit.
    public func updateAppSecret(appID: String, secretHash: String) async throws(StoreError) {
        try await write("rotating the secret of app \(appID)") { db in
            try db.execute(sql: "UPDATE apps SET secret_hash = ? WHERE id = ?", arguments: [secretHash, appID])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no app \(appID)") }
        }
    }

    /// Replaces name, releaseApproved and callQuota (not the secret hash or creation time); `notFound` if absent.
    public func updateApp(_ app: AppRecord) async throws(StoreError) {
        try await write("updating app \(app.id)") { db in
            try db.execute(
                sql: "UPDATE apps SET name = ?, release_approved = ?, call_quota = ? WHERE id = ?",
                arguments: [app.name, app.releaseApproved, app.callQuota, app.id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no app \(app.id)") }
        }
    }

    /// Takes one call from the app's quota in one write transaction: true when unlimited or one was left (then
    /// decremented), false at 0; `notFound` for an unknown app.
    public func consumeCallQuota(appID: String) async throws(StoreError) -> Bool {
        try await write("taking a call from the quota of app \(appID)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT call_quota FROM apps WHERE id = ?", arguments: [appID])
            else { throw StoreError(.notFound, "no app \(appID)") }
            let quota: Int? = try row.value("call_quota")
            guard let quota else { return true }
            guard quota > 0 else { return false }
            try db.execute(sql: "UPDATE apps SET call_quota = ? WHERE id = ?", arguments: [quota - 1, appID])
            return true
        }
    }

    // MARK: Models

    /// Inserts a model; `conflict` when its id exists, `notFound` when its app does not.
    public func insertModel(_ model: ModelRecord) async throws(StoreError) {
        try await write("inserting model \(model.id)") { db in
            try db.execute(
                sql: "INSERT INTO models (\(ModelRecord.columns)) VALUES (?, ?, ?, ?)",
                arguments: [model.id, model.appID, model.name, model.createdAt])
        }
    }

    /// The model with this id, or nil.
    public func model(id: String) async throws(StoreError) -> ModelRecord? {
        try await read("reading model \(id)") { db in
            try db.one("SELECT \(ModelRecord.columns) FROM models WHERE id = ?", [id], ModelRecord.init(row:))
        }
    }

    /// The app's models, oldest first.
    public func models(appID: String) async throws(StoreError) -> [ModelRecord] {
        try await read("listing models of app \(appID)") { db in
            try db.all(
                "SELECT \(ModelRecord.columns) FROM models WHERE app_id = ? ORDER BY created_at, rowid", [appID],
                ModelRecord.init(row:))
        }
    }

    /// The app's models, oldest first, one page at a time.
    public func models(appID: String, page: PageRequest) async throws(StoreError) -> Page<ModelRecord> {
        let (filter, arguments) = Database.pageFilter(page.after, descending: false, keyColumn: "created_at", prefix: "AND")
        return try await read("listing models of app \(appID)") { db in
            try db.page(
                "SELECT rowid AS page_rowid, \(ModelRecord.columns) FROM models WHERE app_id = ?\(filter) "
                    + "ORDER BY created_at, rowid LIMIT ?",
                [appID] + arguments, request: page, ModelRecord.init(row:), key: \.createdAt)
        }
    }

    // MARK: Devices

    /// Inserts a device; `conflict` when its SN exists, `notFound` when its model is not a model of its app.
    public func insertDevice(_ device: DeviceRecord) async throws(StoreError) {
        try await write("inserting device \(device.sn)") { db in
            try db.execute(
                sql: "INSERT INTO devices (\(DeviceRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [device.sn, device.modelID, device.appID, device.name, device.publicKey.map { Data($0) },
                            device.registeredAt, device.createdAt])
        }
    }

    /// The device with this SN, or nil.
    public func device(sn: String) async throws(StoreError) -> DeviceRecord? {
        try await read("reading device \(sn)") { db in
            try db.one("SELECT \(DeviceRecord.columns) FROM devices WHERE sn = ?", [sn], DeviceRecord.init(row:))
        }
    }

    /// The app's devices, oldest first.
    public func devices(appID: String) async throws(StoreError) -> [DeviceRecord] {
        try await read("listing devices of app \(appID)") { db in
            try db.all(
                "SELECT \(DeviceRecord.columns) FROM devices WHERE app_id = ? ORDER BY created_at, rowid", [appID],
                DeviceRecord.init(row:))
        }
    }

    /// The app's devices, oldest first, one page at a time.
    public func devices(appID: String, page: PageRequest) async throws(StoreError) -> Page<DeviceRecord> {
        let (filter, arguments) = Database.pageFilter(page.after, descending: false, keyColumn: "created_at", prefix: "AND")
        return try await read("listing devices of app \(appID)") { db in
            try db.page(
                "SELECT rowid AS page_rowid, \(DeviceRecord.columns) FROM devices WHERE app_id = ?\(filter) "
                    + "ORDER BY created_at, rowid LIMIT ?",
                [appID] + arguments, request: page, DeviceRecord.init(row:), key: \.createdAt)
        }
    }

    /// Forgets the device's key, authorizations and tickets in one transaction; `notFound` if absent.
    public func resetDevice(sn: String) async throws(StoreError) -> DeviceRecord {
        try await write("resetting device \(sn)") { db in
            guard var device = try db.one(
                "SELECT \(DeviceRecord.columns) FROM devices WHERE sn = ?", [sn], DeviceRecord.init(row:))
            else { throw StoreError(.notFound, "no device \(sn)") }
            try db.execute(sql: "UPDATE devices SET public_key = NULL, registered_at = NULL WHERE sn = ?", arguments: [sn])
            try Self.forgetCredentials(of: sn, db)
            device.publicKey = nil
            device.registeredAt = nil
            return device
        }
    }

    /// Sets the device's name; `notFound` if absent.
    public func renameDevice(sn: String, name: String) async throws(StoreError) -> DeviceRecord {
        try await write("renaming device \(sn)") { db in
            guard var device = try db.one(
                "SELECT \(DeviceRecord.columns) FROM devices WHERE sn = ?", [sn], DeviceRecord.init(row:))
            else { throw StoreError(.notFound, "no device \(sn)") }
            try db.execute(sql: "UPDATE devices SET name = ? WHERE sn = ?", arguments: [name, sn])
            device.name = name
            return device
        }
    }

    /// Deletes the device, its authorizations and tickets; false if there was none.
    public func deleteDevice(sn: String) async throws(StoreError) -> Bool {
        try await write("deleting device \(sn)") { db in
            try Self.forgetCredentials(of: sn, db)
            try db.execute(sql: "DELETE FROM devices WHERE sn = ?", arguments: [sn])
            return db.changesCount == 1
        }
    }

    /// Deletes what lets anyone use or call the device: its authorizations and its tickets (with their uses).
    static func forgetCredentials(of sn: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM authorizations WHERE sn = ?", arguments: [sn])
        try db.execute(sql: "DELETE FROM tickets WHERE sn = ?", arguments: [sn])
    }

    // MARK: SN tickets

    /// Inserts a ticket; `conflict` when its hash exists, `notFound` when its model is not of its app.
    public func insertTicket(_ ticket: TicketRecord) async throws(StoreError) {
        try await write("inserting a ticket for \(ticket.sn)") { db in
            try db.execute(
                sql: "INSERT INTO tickets (\(TicketRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [ticket.ticketHash, ticket.sn, ticket.modelID, ticket.appID, ticket.expiresAt, ticket.usedAt,
                            ticket.createdAt])
        }
    }

    /// The ticket record with this hash, or nil.
    public func ticket(hash: String) async throws(StoreError) -> TicketRecord? {
        try await read("reading a ticket") { db in
            try Self.ticket(hash: hash, db)
        }
    }

    static func ticket(hash: String, _ db: Database) throws -> TicketRecord? {
        try db.one("SELECT \(TicketRecord.columns) FROM tickets WHERE ticket_hash = ?", [hash], TicketRecord.init(row:))
    }

    /// Registers a device with a ticket in one write transaction.
    ///
    /// The ticket must exist, be for `sn`, and `now` must be before its `expiresAt` (a ticket is expired at
    /// `expiresAt`). A device that is registered already is not re-keyed (`alreadyRegistered`: the app or the
    /// operator resets it first), except that the same key presented again with the very ticket that
    /// registered it returns the device unchanged, so a device whose first answer was lost can retry. Otherwise
    /// an unused ticket is marked used at `now` and the device gets `publicKey` and `registeredAt = now`. When
    /// no device record exists yet, one is created from the ticket (name = SN, createdAt = now); when one exists
    /// under another model or app than the ticket's, the ticket is invalid for it. Any failed rule throws and
    /// nothing changes.
    public func registerDevice(ticketHash: String, sn: String, publicKey: [UInt8], now: Int64) async throws(StoreError)
        -> DeviceRecord
    {
        try await write("registering device \(sn)") { db in
            let ticket = try Self.ticket(hash: ticketHash, db)
            let existing = try db.one(
                "SELECT \(DeviceRecord.columns) FROM devices WHERE sn = ?", [sn], DeviceRecord.init(row:))
            let device: DeviceRecord
            switch try Registration.decide(ticket: ticket, sn: sn, publicKey: publicKey, now: now, existing: existing) {
            case .retry(let unchanged):
                return unchanged
            case .rekey(let rekeyed):
                device = rekeyed
                try db.execute(
                    sql: "UPDATE devices SET public_key = ?, registered_at = ? WHERE sn = ?",
                    arguments: [Data(publicKey), now, sn])
            case .insert(let new):
                device = new
                try db.execute(
                    sql: "INSERT INTO devices (\(DeviceRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [sn, device.modelID, device.appID, device.name, Data(publicKey), now, now])
            }
            try db.execute(sql: "UPDATE tickets SET used_at = ? WHERE ticket_hash = ?", arguments: [now, ticketHash])
            return device
        }
    }

    /// A user authorizes a device with a ticket in one write transaction (see the protocol): the ticket must be
    /// known, for `sn` and `appID`, unexpired at `now`, and have authorized fewer than `maxUsers` other users.
    public func authorizeWithTicket(ticketHash: String, sn: String, userID: String, appID: String, maxUsers: Int,
                                    now: Int64) async throws(StoreError) -> AuthorizationRecord
    {
        try await write("authorizing \(sn) for user \(userID) with a ticket") { db in
            guard let record = try Self.ticket(hash: ticketHash, db), record.sn == sn, record.appID == appID,
                  now < record.expiresAt
            else { throw StoreError(.ticketInvalid, "the ticket is unknown, expired or for another device") }
            let already = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM ticket_uses WHERE ticket_hash = ? AND user_id = ?)",
                arguments: [ticketHash, userID]) ?? false
            if !already {
                let count = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM ticket_uses WHERE ticket_hash = ?", arguments: [ticketHash]) ?? 0
                guard count < maxUsers else {
                    throw StoreError(.ticketInvalid, "the ticket has authorized \(count) users, its limit")
                }
                try db.execute(sql: "INSERT INTO ticket_uses (ticket_hash, user_id, created_at) VALUES (?, ?, ?)",
                               arguments: [ticketHash, userID, now])
            }
            let authorization = AuthorizationRecord(userID: userID, sn: sn, status: .authorized, updatedAt: now)
            try Self.setAuthorization(authorization, db)
            return authorization
        }
    }
}

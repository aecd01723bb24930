import Foundation
import GRDB

// Apps, models, devices and SN tickets.
extension SQLiteStore {
    // MARK: Apps

    /// Inserts an app; `conflict` when its id exists.
    public func insertApp(_ app: AppRecord) throws(StoreError) {
        try write("inserting app \(app.id)") { db in
            try db.execute(
                sql: "INSERT INTO apps (\(AppRecord.columns)) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [app.id, app.name, app.secretHash, app.releaseApproved, app.callQuota, app.createdAt])
        }
    }

    /// The app with this id, or nil.
    public func app(id: String) throws(StoreError) -> AppRecord? {
        try read("reading app \(id)") { db in
            try db.one("SELECT \(AppRecord.columns) FROM apps WHERE id = ?", [id], AppRecord.init(row:))
        }
    }

    /// Every app, oldest first.
    public func apps() throws(StoreError) -> [AppRecord] {
        try read("listing apps") { db in
            try db.all("SELECT \(AppRecord.columns) FROM apps ORDER BY created_at, rowid", [], AppRecord.init(row:))
        }
    }

    /// Replaces name, releaseApproved and callQuota (not the secret hash or creation time); `notFound` if absent.
    public func updateApp(_ app: AppRecord) throws(StoreError) {
        try write("updating app \(app.id)") { db in
            try db.execute(
                sql: "UPDATE apps SET name = ?, release_approved = ?, call_quota = ? WHERE id = ?",
                arguments: [app.name, app.releaseApproved, app.callQuota, app.id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no app \(app.id)") }
        }
    }

    /// Takes one call from the app's quota in one write transaction: true when unlimited or one was left (then
    /// decremented), false at 0; `notFound` for an unknown app.
    public func consumeCallQuota(appID: String) throws(StoreError) -> Bool {
        try write("taking a call from the quota of app \(appID)") { db in
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
    public func insertModel(_ model: ModelRecord) throws(StoreError) {
        try write("inserting model \(model.id)") { db in
            try db.execute(
                sql: "INSERT INTO models (\(ModelRecord.columns)) VALUES (?, ?, ?, ?)",
                arguments: [model.id, model.appID, model.name, model.createdAt])
        }
    }

    /// The model with this id, or nil.
    public func model(id: String) throws(StoreError) -> ModelRecord? {
        try read("reading model \(id)") { db in
            try db.one("SELECT \(ModelRecord.columns) FROM models WHERE id = ?", [id], ModelRecord.init(row:))
        }
    }

    /// The app's models, oldest first.
    public func models(appID: String) throws(StoreError) -> [ModelRecord] {
        try read("listing models of app \(appID)") { db in
            try db.all(
                "SELECT \(ModelRecord.columns) FROM models WHERE app_id = ? ORDER BY created_at, rowid", [appID],
                ModelRecord.init(row:))
        }
    }

    // MARK: Devices

    /// Inserts a device; `conflict` when its SN exists, `notFound` when its model is not a model of its app.
    public func insertDevice(_ device: DeviceRecord) throws(StoreError) {
        try write("inserting device \(device.sn)") { db in
            try db.execute(
                sql: "INSERT INTO devices (\(DeviceRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [device.sn, device.modelID, device.appID, device.name, device.publicKey.map { Data($0) },
                            device.registeredAt, device.createdAt])
        }
    }

    /// The device with this SN, or nil.
    public func device(sn: String) throws(StoreError) -> DeviceRecord? {
        try read("reading device \(sn)") { db in
            try db.one("SELECT \(DeviceRecord.columns) FROM devices WHERE sn = ?", [sn], DeviceRecord.init(row:))
        }
    }

    /// The app's devices, oldest first.
    public func devices(appID: String) throws(StoreError) -> [DeviceRecord] {
        try read("listing devices of app \(appID)") { db in
            try db.all(
                "SELECT \(DeviceRecord.columns) FROM devices WHERE app_id = ? ORDER BY created_at, rowid", [appID],
                DeviceRecord.init(row:))
        }
    }

    // MARK: SN tickets

    /// Inserts a ticket; `conflict` when the ticket string exists, `notFound` when its model is not of its app.
    public func insertTicket(_ ticket: TicketRecord) throws(StoreError) {
        try write("inserting a ticket for \(ticket.sn)") { db in
            try db.execute(
                sql: "INSERT INTO tickets (\(TicketRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [ticket.ticket, ticket.sn, ticket.modelID, ticket.appID, ticket.expiresAt, ticket.usedAt,
                            ticket.createdAt])
        }
    }

    /// The ticket record, or nil.
    public func ticket(_ ticket: String) throws(StoreError) -> TicketRecord? {
        try read("reading a ticket") { db in
            try db.one("SELECT \(TicketRecord.columns) FROM tickets WHERE ticket = ?", [ticket], TicketRecord.init(row:))
        }
    }

    /// Registers a device with a ticket in one write transaction.
    ///
    /// The ticket must exist, be for `sn`, not be used, and `now` must be before its `expiresAt` (a ticket is
    /// expired at `expiresAt`). It is marked used at `now`. The device gets `publicKey` and `registeredAt = now`;
    /// a device registered before gets the new key (a re-provisioned device). When no device record exists yet,
    /// one is created from the ticket (name = SN, createdAt = now); when one exists under another model or app
    /// than the ticket's, the ticket is invalid for it. Any failed rule → `ticketInvalid`, and nothing changes.
    public func registerDevice(ticket: String, sn: String, publicKey: [UInt8], now: Int64) throws(StoreError)
        -> DeviceRecord
    {
        try write("registering device \(sn)") { db in
            guard let record = try db.one(
                "SELECT \(TicketRecord.columns) FROM tickets WHERE ticket = ?", [ticket], TicketRecord.init(row:))
            else { throw StoreError(.ticketInvalid, "unknown ticket") }
            guard record.sn == sn else { throw StoreError(.ticketInvalid, "the ticket is for another SN") }
            guard record.usedAt == nil else { throw StoreError(.ticketInvalid, "the ticket was used already") }
            guard now < record.expiresAt else { throw StoreError(.ticketInvalid, "the ticket expired") }

            let existing = try db.one(
                "SELECT \(DeviceRecord.columns) FROM devices WHERE sn = ?", [sn], DeviceRecord.init(row:))
            var device: DeviceRecord
            if let existing {
                guard existing.appID == record.appID, existing.modelID == record.modelID else {
                    throw StoreError(.ticketInvalid, "the device belongs to another model or app than the ticket")
                }
                device = existing
                device.publicKey = publicKey
                device.registeredAt = now
                try db.execute(
                    sql: "UPDATE devices SET public_key = ?, registered_at = ? WHERE sn = ?",
                    arguments: [Data(publicKey), now, sn])
            } else {
                device = DeviceRecord(sn: sn, modelID: record.modelID, appID: record.appID, name: sn,
                                      publicKey: publicKey, registeredAt: now, createdAt: now)
                try db.execute(
                    sql: "INSERT INTO devices (\(DeviceRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [sn, device.modelID, device.appID, device.name, Data(publicKey), now, now])
            }
            try db.execute(sql: "UPDATE tickets SET used_at = ? WHERE ticket = ?", arguments: [now, ticket])
            return device
        }
    }
}

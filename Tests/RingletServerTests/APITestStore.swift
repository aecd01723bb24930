import Foundation
import RingletStore

/// A `Store` in memory for the API tests without SQLite (the restart tests use the real `SQLiteStore`).
final class APITestStore: Store, @unchecked Sendable {
    // @unchecked: every property is read and written only under `lock`.
    private let lock = NSLock()
    private var appsTable: [String: AppRecord] = [:]
    private var modelsTable: [String: ModelRecord] = [:]
    private var devicesTable: [String: DeviceRecord] = [:]
    private var ticketsTable: [String: TicketRecord] = [:]
    private var usersTable: [String: UserRecord] = [:]
    private var sessionsTable: [String: SessionRecord] = [:]
    private var authorizationsByKey: [String: AuthorizationRecord] = [:]
    private var callsByID: [String: CallRecord] = [:]
    private var noticesByID: [String: NoticeRecord] = [:]
    private var settings: [String: String] = [:]
    private var pushSubscriptionsByID: [String: PushSubscriptionRecord] = [:]

    private func locked<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func insertApp(_ app: AppRecord) throws(StoreError) {
        try locked { () throws(StoreError) in
            guard appsTable[app.id] == nil else { throw StoreError(.conflict, "app \(app.id)") }
            appsTable[app.id] = app
        }
    }
    func app(id: String) throws(StoreError) -> AppRecord? { try locked { appsTable[id] } }
    func apps() throws(StoreError) -> [AppRecord] { try locked { appsTable.values.sorted { $0.createdAt < $1.createdAt } } }
    func updateApp(_ app: AppRecord) throws(StoreError) {
        try locked { () throws(StoreError) in
            guard appsTable[app.id] != nil else { throw StoreError(.notFound, "app \(app.id)") }
            appsTable[app.id] = app
        }
    }
    func consumeCallQuota(appID: String) throws(StoreError) -> Bool {
        try locked { () throws(StoreError) in
            guard var app = appsTable[appID] else { throw StoreError(.notFound, "app") }
            guard let quota = app.callQuota else { return true }
            guard quota > 0 else { return false }
            app.callQuota = quota - 1
            appsTable[appID] = app
            return true
        }
    }

    func insertModel(_ model: ModelRecord) throws(StoreError) {
        try locked { () throws(StoreError) in
            guard modelsTable[model.id] == nil else { throw StoreError(.conflict, "model \(model.id)") }
            modelsTable[model.id] = model
        }
    }
    func model(id: String) throws(StoreError) -> ModelRecord? { try locked { modelsTable[id] } }
    func models(appID: String) throws(StoreError) -> [ModelRecord] {
        try locked { modelsTable.values.filter { $0.appID == appID }.sorted { $0.id < $1.id } }
    }

    func insertDevice(_ device: DeviceRecord) throws(StoreError) {
        try locked { () throws(StoreError) in
            guard devicesTable[device.sn] == nil else { throw StoreError(.conflict, "device \(device.sn)") }
            devicesTable[device.sn] = device
        }
    }
    func device(sn: String) throws(StoreError) -> DeviceRecord? { try locked { devicesTable[sn] } }
    func devices(appID: String) throws(StoreError) -> [DeviceRecord] {
        try locked { devicesTable.values.filter { $0.appID == appID }.sorted { $0.sn < $1.sn } }
    }

    func insertTicket(_ ticket: TicketRecord) throws(StoreError) {
        try locked { () throws(StoreError) in
            guard ticketsTable[ticket.ticket] == nil else { throw StoreError(.conflict, "ticket") }
            ticketsTable[ticket.ticket] = ticket
        }
    }
    func ticket(_ ticket: String) throws(StoreError) -> TicketRecord? { try locked { ticketsTable[ticket] } }
    func registerDevice(ticket: String, sn: String, publicKey: [UInt8], now: Int64) throws(StoreError) -> DeviceRecord {
        try locked { () throws(StoreError) in
            guard var record = ticketsTable[ticket], record.sn == sn, record.usedAt == nil, record.expiresAt > now else {
                throw StoreError(.ticketInvalid, "ticket")
            }
            guard var device = devicesTable[sn] else { throw StoreError(.notFound, "device \(sn)") }
            record.usedAt = now
            ticketsTable[ticket] = record
            device.publicKey = publicKey
            device.registeredAt = now
            devicesTable[sn] = device
            return device
        }
    }

    func insertUser(_ user: UserRecord) throws(StoreError) {
        try locked { () throws(StoreError) in
            guard usersTable[user.id] == nil else { throw StoreError(.conflict, "user") }
            usersTable[user.id] = user
        }
    }
    func user(id: String) throws(StoreError) -> UserRecord? { try locked { usersTable[id] } }
    func user(appID: String, openID: String) throws(StoreError) -> UserRecord? {
        try locked { usersTable.values.first { $0.appID == appID && $0.openID == openID } }
    }
    func users(appID: String) throws(StoreError) -> [UserRecord] {
        try locked { usersTable.values.filter { $0.appID == appID }.sorted { $0.id < $1.id } }
    }
    func insertSession(_ session: SessionRecord) throws(StoreError) { try locked { sessionsTable[session.tokenHash] = session } }
    func session(tokenHash: String) throws(StoreError) -> SessionRecord? { try locked { sessionsTable[tokenHash] } }
    func deleteSession(tokenHash: String) throws(StoreError) { try locked { sessionsTable[tokenHash] = nil } }

    func setAuthorization(_ authorization: AuthorizationRecord) throws(StoreError) {
        try locked { authorizationsByKey[authorization.userID + "/" + authorization.sn] = authorization }
    }
    func authorization(userID: String, sn: String) throws(StoreError) -> AuthorizationRecord? {
        try locked { authorizationsByKey[userID + "/" + sn] }
    }
    func authorizations(sn: String) throws(StoreError) -> [AuthorizationRecord] {
        try locked { authorizationsByKey.values.filter { $0.sn == sn }.sorted { $0.userID < $1.userID } }
    }
    func authorizations(userID: String) throws(StoreError) -> [AuthorizationRecord] {
        try locked { authorizationsByKey.values.filter { $0.userID == userID }.sorted { $0.sn < $1.sn } }
    }

    func insertCall(_ call: CallRecord) throws(StoreError) { try locked { callsByID[call.id] = call } }
    func updateCall(_ call: CallRecord) throws(StoreError) {
        try locked { () throws(StoreError) in
            guard callsByID[call.id] != nil else { throw StoreError(.notFound, "call") }
            callsByID[call.id] = call
        }
    }
    func call(id: String) throws(StoreError) -> CallRecord? { try locked { callsByID[id] } }
    func calls(appID: String?, sn: String?, userID: String?, limit: Int) throws(StoreError) -> [CallRecord] {
        try locked {
            Array(callsByID.values.filter {
                (appID == nil || $0.appID == appID) && (sn == nil || $0.sn == sn) && (userID == nil || $0.userID == userID)
            }.sorted { $0.startedAt > $1.startedAt }.prefix(limit))
        }
    }

    func insertNotice(_ notice: NoticeRecord) throws(StoreError) { try locked { noticesByID[notice.id] = notice } }
    func notices(userID: String, unreadOnly: Bool, limit: Int) throws(StoreError) -> [NoticeRecord] {
        try locked {
            Array(noticesByID.values.filter { $0.userID == userID && (!unreadOnly || $0.readAt == nil) }
                .sorted { $0.createdAt > $1.createdAt }.prefix(limit))
        }
    }
    func markNoticeRead(id: String, userID: String, now: Int64) throws(StoreError) {
        try locked { () throws(StoreError) in
            guard var notice = noticesByID[id], notice.userID == userID else { throw StoreError(.notFound, "notice") }
            notice.readAt = notice.readAt ?? now
            noticesByID[id] = notice
        }
    }

    func savePushSubscription(_ subscription: PushSubscriptionRecord, maximumPerUser: Int) throws(StoreError)
        -> PushSubscriptionRecord
    {
        try locked { () throws(StoreError) in
            guard usersTable[subscription.userID]?.appID == subscription.appID else { throw StoreError(.notFound, "user") }
            var stored = subscription
            if let existing = pushSubscriptionsByID.values.first(where: { $0.endpoint == subscription.endpoint }) {
                stored.id = existing.id
            }
            pushSubscriptionsByID[stored.id] = stored
            let mine = pushSubscriptionsByID.values.filter { $0.userID == stored.userID }.sorted { $0.createdAt > $1.createdAt }
            for old in mine.dropFirst(max(1, maximumPerUser)) { pushSubscriptionsByID[old.id] = nil }
            return stored
        }
    }
    func pushSubscriptions(userID: String) throws(StoreError) -> [PushSubscriptionRecord] {
        try locked { pushSubscriptionsByID.values.filter { $0.userID == userID }.sorted { $0.createdAt < $1.createdAt } }
    }
    func deletePushSubscription(userID: String, endpoint: String) throws(StoreError) -> Bool {
        try locked {
            guard let found = pushSubscriptionsByID.values.first(where: { $0.userID == userID && $0.endpoint == endpoint })
            else { return false }
            pushSubscriptionsByID[found.id] = nil
            return true
        }
    }
    func deletePushSubscription(id: String) throws(StoreError) { try locked { pushSubscriptionsByID[id] = nil } }

    func setting(_ key: String) throws(StoreError) -> String? { try locked { settings[key] } }
    func setSetting(_ key: String, _ value: String) throws(StoreError) { try locked { settings[key] = value } }
}

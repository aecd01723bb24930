import Foundation
import RingletStore
import RingletTestSupport

/// A fresh SQLite file in its own temporary folder, removed when the fixture goes away.
final class Fixture {
    let folder: URL
    let path: String
    private(set) var store: SQLiteStore

    init() throws {
        folder = try temporaryFolder(prefix: "ringlet-store")
        path = folder.appendingPathComponent("ringlet.sqlite").path
        store = try SQLiteStore(path: path)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Closes the store and opens the same file again, as a restarted server does.
    func reopen() throws {
        try store.close()
        store = try SQLiteStore(path: path)
    }
}

/// Records that belong together: one app with a model, a device, a user.
enum Sample {
    static let now: Int64 = 1_764_000_000_000

    static func app(_ id: String = "app_0123456789abcdef", quota: Int? = nil) -> AppRecord {
        AppRecord(id: id, name: "Door bells", secretHash: String(repeating: "ab", count: 32), releaseApproved: true,
                  callQuota: quota, createdAt: now)
    }

    static func model(_ id: String = "mdl_0123456789ab", appID: String = "app_0123456789abcdef") -> ModelRecord {
        ModelRecord(id: id, appID: appID, name: "Bell 2", createdAt: now)
    }

    static func device(_ sn: String = "BELL_0001", modelID: String = "mdl_0123456789ab",
                       appID: String = "app_0123456789abcdef") -> DeviceRecord {
        DeviceRecord(sn: sn, modelID: modelID, appID: appID, name: "Front door", createdAt: now)
    }

    static func user(_ id: String = "usr_0123456789abcdef", openID: String = "oid_0123456789abcdef01234567",
                     appID: String = "app_0123456789abcdef") -> UserRecord {
        UserRecord(id: id, appID: appID, openID: openID, name: "Ada", createdAt: now)
    }

    static func ticket(_ ticket: String = "rlt_ticket-1", sn: String = "BELL_0001", expiresAt: Int64 = now + 300_000)
        -> TicketRecord {
        TicketRecord(ticketHash: ticket, sn: sn, modelID: "mdl_0123456789ab", appID: "app_0123456789abcdef",
                     expiresAt: expiresAt, createdAt: now)
    }

    static func call(_ id: String, startedAt: Int64, sn: String = "BELL_0001", userID: String = "usr_0123456789abcdef",
                     appID: String = "app_0123456789abcdef") -> CallRecord {
        CallRecord(id: id, appID: appID, sn: sn, userID: userID, direction: .deviceToUser, kind: .video,
                   channel: .release, outcome: .ringing, startedAt: startedAt)
    }

    static func notice(_ id: String, createdAt: Int64, userID: String = "usr_0123456789abcdef") -> NoticeRecord {
        NoticeRecord(id: id, sn: "BELL_0001", userID: userID, kind: 7, text: "Someone is at the door",
                     createdAt: createdAt)
    }

    /// An app, its model, a device and a user.
    static func populate(_ store: some Store) throws {
        try store.insertApp(app())
        try store.insertModel(model())
        try store.insertDevice(device())
        try store.insertUser(user())
    }
}

import Foundation
import Logging
import RingletCore
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTestSupport

/// A call router over a real SQLiteStore in a temporary folder, with one app, one model, two devices and three
/// users (two authorized the first device), and helpers that open sessions and drain outputs.
final class CallRouterFixture {
    let folder: URL
    let store: SQLiteStore
    var router: CallRouter
    var now: Int64 = 1_700_000_000_000
    private var nextSession: UInt64 = 1

    static let appID = "app_00000000000000a1"
    static let otherAppID = "app_00000000000000b2"
    static let modelID = "mdl_000000000001"
    static let sn = "SN_DOOR-1"
    static let sn2 = "SN_GATE-2"
    static let alice = "usr_00000000000000a1"
    static let aliceOpenID = "oid_aaaaaaaaaaaaaaaaaaaaaaa1"
    static let bob = "usr_00000000000000b2"
    static let bobOpenID = "oid_bbbbbbbbbbbbbbbbbbbbbbb2"
    static let carol = "usr_00000000000000c3"
    static let carolOpenID = "oid_ccccccccccccccccccccccc3"
    static let stranger = "usr_00000000000000d4"
    static let strangerOpenID = "oid_ddddddddddddddddddddddd4"
    static let secret: [UInt8] = Array("turn-shared-secret".utf8)

    init(ringTimeoutMs: Int64 = 60_000, releaseApproved: Bool = true, callQuota: Int? = nil, push: Bool = false) throws {
        folder = try temporaryFolder(prefix: "ringlet-router")
        store = try CallRouterFixture.makeStore(path: folder.appendingPathComponent("ringlet.sqlite").path)
        let t: Int64 = 1_600_000_000_000
        try store.insertApp(AppRecord(id: Self.appID, name: "Doorbell", secretHash: "00", releaseApproved: releaseApproved,
                                      callQuota: callQuota, createdAt: t))
        try store.insertApp(AppRecord(id: Self.otherAppID, name: "Other", secretHash: "00", releaseApproved: true,
                                      callQuota: nil, createdAt: t))
        try store.insertModel(ModelRecord(id: Self.modelID, appID: Self.appID, name: "Door", createdAt: t))
        let key = [UInt8](repeating: 4, count: 65)
        try store.insertDevice(DeviceRecord(sn: Self.sn, modelID: Self.modelID, appID: Self.appID, name: "Front door",
                                            publicKey: key, registeredAt: t, createdAt: t))
        try store.insertDevice(DeviceRecord(sn: Self.sn2, modelID: Self.modelID, appID: Self.appID, name: "Gate",
                                            publicKey: key, registeredAt: t, createdAt: t))
        try store.insertUser(UserRecord(id: Self.alice, appID: Self.appID, openID: Self.aliceOpenID, name: "Alice", createdAt: t))
        try store.insertUser(UserRecord(id: Self.bob, appID: Self.appID, openID: Self.bobOpenID, name: "Bob", createdAt: t))
        try store.insertUser(UserRecord(id: Self.carol, appID: Self.appID, openID: Self.carolOpenID, name: "Carol", createdAt: t))
        try store.insertUser(UserRecord(id: Self.stranger, appID: Self.otherAppID, openID: Self.strangerOpenID,
                                        name: "Stranger", createdAt: t))
        for user in [Self.alice, Self.bob] {
            for sn in [Self.sn, Self.sn2] {
                try store.setAuthorization(AuthorizationRecord(userID: user, sn: sn, status: .authorized, updatedAt: t))
            }
        }
        var configuration = CallRouter.Configuration(
            ringTimeoutMs: ringTimeoutMs, stunURLs: ["stun:127.0.0.1:3478"],
            turnURLs: ["turn:127.0.0.1:3478?transport=udp"], turnSecret: Self.secret, credentialTTLSeconds: 600)
        configuration.pushEnabled = push
        router = CallRouter(configuration: configuration, store: store, random: SeededRandom(seed: 7),
                            logger: Logger(label: "test.router"))
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The records of a live test: the app and model, the device (registered with `deviceKey`'s public key),
    /// Alice (who authorized it) and a session of hers with `token` (release channel, an hour).
    static func seedLive(_ store: SQLiteStore, deviceKey: DeviceKey, token: String) throws {
        let t = Int64(Date().timeIntervalSince1970 * 1000)
        try store.insertApp(AppRecord(id: appID, name: "Doorbell", secretHash: "00", releaseApproved: true, callQuota: nil,
                                      createdAt: t))
        try store.insertModel(ModelRecord(id: modelID, appID: appID, name: "Door", createdAt: t))
        try store.insertDevice(DeviceRecord(sn: sn, modelID: modelID, appID: appID, name: "Front door",
                                            publicKey: deviceKey.publicKey, registeredAt: t, createdAt: t))
        try store.insertUser(UserRecord(id: alice, appID: appID, openID: aliceOpenID, name: "Alice", createdAt: t))
        try store.setAuthorization(AuthorizationRecord(userID: alice, sn: sn, status: .authorized, updatedAt: t))
        try store.insertSession(SessionRecord(tokenHash: SignalingHub.sha256Hex(Array(token.utf8)), userID: alice,
                                              appID: appID, channel: .release, expiresAt: t + 3_600_000, createdAt: t))
    }

    /// The one place that knows how SQLiteStore is made.
    static func makeStore(path: String) throws -> SQLiteStore {
        try SQLiteStore(path: path)
    }

    /// Opens a session and returns its id and what the router sent (the welcome).
    @discardableResult
    func open(_ identity: SessionIdentity) -> SessionID {
        let id = SessionID(rawValue: nextSession)
        nextSession += 1
        router.sessionOpened(id, identity: identity, now: now)
        _ = drain()
        return id
    }

    func openDevice(_ sn: String = CallRouterFixture.sn) -> SessionID { open(.device(sn: sn)) }

    func openUser(_ userID: String = CallRouterFixture.alice, channel: AppChannel = .release) -> SessionID {
        open(.user(userID: userID, appID: Self.appID, channel: channel))
    }

    func drain() -> [CallRouter.Output] {
        var outputs: [CallRouter.Output] = []
        while let output = router.pollOutput() { outputs.append(output) }
        return outputs
    }

    /// Handles a message and returns what the router did.
    func handle(_ session: SessionID, _ message: ClientMessage) -> [CallRouter.Output] {
        router.handle(session, message, now: now)
        return drain()
    }

    /// The device calls `openID`; returns the call_result and every output.
    func call(from device: SessionID, to openID: String = CallRouterFixture.aliceOpenID, channel: CallChannel = .release)
        -> (result: CallResult?, outputs: [CallRouter.Output]) {
        let outputs = handle(device, .call(CallRequest(requestId: "call-1", openId: openID, kind: .video, channel: channel,
                                                         callerCamera: true, calleeCamera: false)))
        return (outputs.messages(to: device).compactMap { if case .callResult(let r) = $0 { r } else { nil } }.first, outputs)
    }

    func record(_ callID: String) throws -> CallRecord? { try store.call(id: callID) }

    /// Gives `userID` a push subscription made on `channel`.
    func subscribe(_ userID: String = CallRouterFixture.alice, channel: AppChannel = .release,
                   endpoint: String = "https://push.example.com/alice") throws {
        _ = try store.savePushSubscription(
            PushSubscriptionRecord(id: "psb_\(userID.suffix(4))\(endpoint.count)", userID: userID, appID: Self.appID,
                                   channel: channel, endpoint: endpoint, p256dh: [4] + [UInt8](repeating: 1, count: 64),
                                   auth: [UInt8](repeating: 2, count: 16), createdAt: now),
            maximumPerUser: 5)
    }
}

extension [CallRouter.Output] {
    /// Messages sent to `session`, in order.
    func messages(to session: SessionID) -> [ServerMessage] {
        compactMap { if case .send(let id, let message) = $0, id == session { message } else { nil } }
    }

    /// Every session that got at least one message.
    var recipients: Set<SessionID> {
        Set(compactMap { if case .send(let id, _) = $0 { id } else { nil } })
    }

    /// The Web Push messages handed to the push service, in order.
    var pushes: [PushIntent] {
        compactMap { if case .push(let intent) = $0 { intent } else { nil } }
    }

    var endedCalls: [CallRecord] {
        compactMap { if case .event(.callEnded(let record)) = $0 { record } else { nil } }
    }
}

extension ServerMessage {
    var ring: Ring? { if case .ring(let m) = self { m } else { nil } }
    var callEvent: CallEvent? { if case .callEvent(let m) = self { m.event } else { nil } }
    var ringStopReason: CallEvent? { if case .ringStop(let m) = self { m.reason } else { nil } }
    var callResult: CallResult? { if case .callResult(let m) = self { m } else { nil } }
    var errorCode: SignalingError.Code? { if case .error(let m) = self { m.code } else { nil } }
}

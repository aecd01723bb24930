import Foundation
import Logging
import RingletCore
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTestSupport
import Testing

/// A call router driven as the server's shell drives it, over a real store (``TestStoreKind/current``), with one
/// app, one model, two devices and three users (two authorized the first device), and helpers that open sessions
/// and drain outputs. ``drain()`` performs the router's reads and writes on the store (writes in one batch, as the
/// group committer does) and feeds their results back until the router asks for nothing more.
final class CallRouterFixture {
    let folder: URL
    let store: any Store
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

    init(ringTimeoutMs: Int64 = 60_000, releaseApproved: Bool = true, callQuota: Int? = nil, push: Bool = false) async throws {
        folder = try temporaryFolder(prefix: "ringlet-router")
        store = try await APITestStore(folder: folder)
        let t: Int64 = 1_600_000_000_000
        try await store.insertApp(AppRecord(id: Self.appID, name: "Doorbell", secretHash: "00", releaseApproved: releaseApproved,
                                      callQuota: callQuota, createdAt: t))
        try await store.insertApp(AppRecord(id: Self.otherAppID, name: "Other", secretHash: "00", releaseApproved: true,
                                      callQuota: nil, createdAt: t))
        try await store.insertModel(ModelRecord(id: Self.modelID, appID: Self.appID, name: "Door", createdAt: t))
        let key = [UInt8](repeating: 4, count: 65)
        try await store.insertDevice(DeviceRecord(sn: Self.sn, modelID: Self.modelID, appID: Self.appID, name: "Front door",
                                            publicKey: key, registeredAt: t, createdAt: t))
        try await store.insertDevice(DeviceRecord(sn: Self.sn2, modelID: Self.modelID, appID: Self.appID, name: "Gate",
                                            publicKey: key, registeredAt: t, createdAt: t))
        try await store.insertUser(UserRecord(id: Self.alice, appID: Self.appID, openID: Self.aliceOpenID, name: "Alice", createdAt: t))
        try await store.insertUser(UserRecord(id: Self.bob, appID: Self.appID, openID: Self.bobOpenID, name: "Bob", createdAt: t))
        try await store.insertUser(UserRecord(id: Self.carol, appID: Self.appID, openID: Self.carolOpenID, name: "Carol", createdAt: t))
        try await store.insertUser(UserRecord(id: Self.stranger, appID: Self.otherAppID, openID: Self.strangerOpenID,
                                        name: "Stranger", createdAt: t))
        for user in [Self.alice, Self.bob] {
            for sn in [Self.sn, Self.sn2] {
                try await store.setAuthorization(AuthorizationRecord(userID: user, sn: sn, status: .authorized, updatedAt: t))
            }
        }
        var configuration = CallRouter.Configuration(
            ringTimeoutMs: ringTimeoutMs, stunURLs: ["stun:127.0.0.1:3478"],
            turnURLs: ["turn:127.0.0.1:3478?transport=udp"], turnSecret: Self.secret, credentialTTLSeconds: 600)
        configuration.pushEnabled = push
        router = CallRouter(configuration: configuration, random: SeededRandom(seed: 7),
                            logger: Logger(label: "test.router"))
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The records of a live test: the app and model, the device (registered with `deviceKey`'s public key),
    /// Alice (who authorized it) and a session of hers with `token` (release channel, an hour).
    static func seedLive(_ store: any Store, deviceKey: DeviceKey, token: String) async throws {
        let t = Int64(Date().timeIntervalSince1970 * 1000)
        try await store.insertApp(AppRecord(id: appID, name: "Doorbell", secretHash: "00", releaseApproved: true, callQuota: nil,
                                      createdAt: t))
        try await store.insertModel(ModelRecord(id: modelID, appID: appID, name: "Door", createdAt: t))
        try await store.insertDevice(DeviceRecord(sn: sn, modelID: modelID, appID: appID, name: "Front door",
                                            publicKey: deviceKey.publicKey, registeredAt: t, createdAt: t))
        try await store.insertUser(UserRecord(id: alice, appID: appID, openID: aliceOpenID, name: "Alice", createdAt: t))
        try await store.setAuthorization(AuthorizationRecord(userID: alice, sn: sn, status: .authorized, updatedAt: t))
        try await store.insertSession(SessionRecord(tokenHash: SignalingHub.sha256Hex(Array(token.utf8)), userID: alice,
                                              appID: appID, channel: .release, expiresAt: t + 3_600_000, createdAt: t))
    }

    /// What the shell reads with a session's credentials: its app, and the user's openId or the device's name.
    func profile(_ identity: SessionIdentity) async throws -> SessionProfile {
        switch identity {
        case .device(let sn):
            let device = try #require(try await store.device(sn: sn))
            return SessionProfile(appID: device.appID, deviceName: device.name)
        case .user(let userID, _, _):
            let user = try #require(try await store.user(id: userID))
            return SessionProfile(appID: user.appID, openID: user.openID)
        }
    }

    /// A user authorized or revoked a device, as the hub tells the router (openId and device name read here).
    func authorizationChanged(_ authorization: AuthorizationRecord) async throws {
        let user = try #require(try await store.user(id: authorization.userID))
        let device = try #require(try await store.device(sn: authorization.sn))
        router.authorizationChanged(authorization, openID: user.openID, deviceName: device.name, now: now)
    }

    /// The hub's periodic re-check: the sessions' credentials read again, those taken back closed.
    func recheck() async throws {
        let closes = await SignalingHub.credentialCloses(router.sessionsToRecheck, store: store, now: now,
                                                         logger: Logger(label: "test.recheck"))
        for (id, reason) in closes { router.closeSession(id, reason, now: now) }
    }

    /// Opens a session (with `credential`) as the shell does, with the profile read from the store; drains nothing.
    func sessionOpened(_ id: SessionID, identity: SessionIdentity, credential: SessionCredential = .none) async throws {
        router.sessionOpened(id, identity: identity, credential: credential, profile: try await profile(identity),
                             now: now)
    }

    /// Opens a session (with `credential`) as the shell does and returns what the router did.
    func open(_ id: SessionID, _ identity: SessionIdentity, credential: SessionCredential = .none) async throws
        -> [CallRouter.Output] {
        router.sessionOpened(id, identity: identity, credential: credential, profile: try await profile(identity),
                             now: now)
        return await drain()
    }

    /// Opens a session and returns its id (what the router sent, the welcome, is drained).
    @discardableResult
    func open(_ identity: SessionIdentity) async throws -> SessionID {
        let id = SessionID(rawValue: nextSession)
        nextSession += 1
        _ = try await open(id, identity)
        return id
    }

    func openDevice(_ sn: String = CallRouterFixture.sn) async throws -> SessionID { try await open(.device(sn: sn)) }

    func openUser(_ userID: String = CallRouterFixture.alice, channel: AppChannel = .release) async throws -> SessionID {
        try await open(.user(userID: userID, appID: Self.appID, channel: channel))
    }

    /// Every output of the router until it waits for nothing: its reads are performed on the store and their
    /// results handed back; its writes are applied in one batch (the group committer's transaction) and the
    /// results it waits for handed back. Reads and writes stay in the list, after the outputs that asked for them.
    func drain() async -> [CallRouter.Output] {
        var outputs: [CallRouter.Output] = []
        while true {
            var loads: [CallRouter.Load] = []
            var writes: [CallRouter.Persist] = []
            while let output = router.pollOutput() {
                outputs.append(output)
                switch output {
                case .load(let load): loads.append(load)
                case .persist(let write): writes.append(write)
                default: break
                }
            }
            if loads.isEmpty, writes.isEmpty { return outputs }
            for load in loads {
                router.loaded(load.id, await Self.perform(load, store: store), now: now)
            }
            let results = await store.applyCallWrites(writes.map(\.write))
            for (write, result) in zip(writes, results) {
                if let id = write.id { router.persisted(id, result, now: now) }
            }
        }
    }

    /// One read of the router, on one node (no presence elsewhere).
    static func perform(_ load: CallRouter.Load, store: any Store) async -> CallRouter.LoadResult {
        do {
            switch load {
            case .callContext(_, let sn, let openID, let userID, _):
                return .callContext(try await store.callContext(sn: sn, openID: openID, userID: userID), remote: [])
            case .authorizedUsers(_, let sn, _):
                return .authorizedUsers(try await store.authorizedUsers(sn: sn), remote: [])
            }
        } catch {
            return .failed(error)
        }
    }

    /// Handles a message and returns what the router did.
    func handle(_ session: SessionID, _ message: ClientMessage) async -> [CallRouter.Output] {
        router.handle(session, message, now: now)
        return await drain()
    }

    /// The device calls `openID`; returns the call_result and every output.
    func call(from device: SessionID, to openID: String = CallRouterFixture.aliceOpenID, channel: CallChannel = .release)
        async -> (result: CallResult?, outputs: [CallRouter.Output]) {
        let outputs = await handle(device, .call(CallRequest(requestId: "call-1", openId: openID, kind: .video, channel: channel,
                                                         callerCamera: true, calleeCamera: false)))
        return (outputs.messages(to: device).compactMap { if case .callResult(let r) = $0 { r } else { nil } }.first, outputs)
    }

    func record(_ callID: String) async throws -> CallRecord? { try await store.call(id: callID) }

    /// Gives `userID` a push subscription made on `channel`.
    func subscribe(_ userID: String = CallRouterFixture.alice, channel: AppChannel = .release,
                   endpoint: String = "https://push.example.com/alice") async throws {
        _ = try await store.savePushSubscription(
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

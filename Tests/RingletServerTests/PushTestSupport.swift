import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import RingletCore
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTestSupport
import RingletWebPush
import ServiceLifecycle
import Synchronization
import Testing

/// A whole `RingletCloud` in this process (dev mode, Web Push on, a fresh VAPID key) over a real store (``TestStoreKind/current``) on
/// loopback, with a registered device whose key the test holds and a user with a session token.
final class PushCloud: Sendable {
    static let token = "rlu_push-test-token-0123456789"
    let folder: URL
    let store: any Store
    let deviceKey: DeviceKey
    let cloud: RingletCloud
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let vapidPublicKey: [UInt8]

    private init(folder: URL, store: any Store, deviceKey: DeviceKey, cloud: RingletCloud, group: ServiceGroup,
                 task: Task<Void, any Error>, port: Int, vapidPublicKey: [UInt8]) {
        self.folder = folder
        self.store = store
        self.deviceKey = deviceKey
        self.cloud = cloud
        self.group = group
        self.task = task
        self.port = port
        self.vapidPublicKey = vapidPublicKey
    }

    /// Starts it and waits until it listens.
    static func start(ringTimeout: Int = 60,
                      push: @escaping (inout PushService.Configuration) -> Void = { _ in }) async throws -> PushCloud {
        let folder = try temporaryFolder(prefix: "ringlet-push")
        let store = try await APITestStore(folder: folder)
        let deviceKey = try DeviceKey.generate()
        try await CallRouterFixture.seedLive(store, deviceKey: deviceKey, token: Self.token)
        var configuration = ServerConfiguration()
        configuration.dev = true
        configuration.dataDir = folder.path
        configuration.ringTimeoutSeconds = ringTimeout
        configuration.http = .init(host: "127.0.0.1", port: 0)
        configuration.turn = .init(host: "127.0.0.1", port: Int(try freePort()))
        try configuration.validate()
        let key = try await ServerBootstrap.vapidKey(store: store)
        let cloud = try RingletCloud(configuration: configuration, store: store, turnSecret: "push-test-secret",
                                     logger: Logger(label: "test.push"), vapidKey: key, pushConfiguration: push)
        let (listening, continuation) = AsyncStream<Int>.makeStream()
        let group = cloud.makeServiceGroup { channel in continuation.yield(channel.localAddress?.port ?? 0) }
        let task = Task { try await group.run() }
        let port = try await withDeadline(.seconds(30), "the cloud starting") {
            for await port in listening { return port }
            return 0
        }
        guard port > 0 else { throw TestSupportError("the cloud did not start") }
        return PushCloud(folder: folder, store: store, deviceKey: deviceKey, cloud: cloud, group: group, task: task,
                         port: port, vapidPublicKey: key.publicKey)
    }

    /// Stops the service group and waits for it.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await withDeadline(.seconds(15), "the cloud stopping") { try await self.task.value }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `body` with a started cloud, stopping it afterwards whatever happens.
    static func run(ringTimeout: Int = 60, push: @escaping (inout PushService.Configuration) -> Void = { _ in },
                    _ body: (PushCloud) async throws -> Void) async throws {
        let cloud = try await start(ringTimeout: ringTimeout, push: push)
        do {
            try await body(cloud)
        } catch {
            await cloud.stop()
            throw error
        }
        await cloud.stop()
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// An API call over loopback with the user's token (or none); returns the status and the JSON body.
    func request(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, token: String? = PushCloud.token)
        async throws -> (status: Int, json: [String: Any])
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        return (Int(response.status.code), object)
    }

    /// Subscribes the user to `endpoint` with these keys through the API (as the web app does).
    func subscribe(endpoint: String, p256dh: [UInt8], auth: [UInt8]) async throws {
        let answer = try await request(.POST, "/v1/me/push-subscriptions", json: [
            "endpoint": endpoint, "keys": ["p256dh": Base64URL.encode(p256dh), "auth": Base64URL.encode(auth)],
        ])
        guard answer.status == 201 else { throw TestSupportError("subscribe: \(answer.status) \(answer.json)") }
    }

    /// The sum of a metric's samples (over its label sets, or those containing `label`).
    func metric(_ name: String, label: String? = nil) -> Double {
        var buffer: [UInt8] = []
        cloud.app.metrics.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").reduce(0) { sum, line in
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0] == name || parts[0].hasPrefix("\(name){") else { return sum }
            if let label, !parts[0].contains(label) { return sum }
            return sum + (Double(parts[1]) ?? 0)
        }
    }

    /// Waits (bounded) until `condition` holds.
    func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        let end = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < end else { throw TestSupportError("waited \(timeout) for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A signaling WebSocket client for tests: messages kept in arrival order, sends through a queue.
final class LiveSession: Sendable {
    private let received = Mutex<[ServerMessage]>([])
    private let closed = Mutex<Bool>(false)
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    private init(outgoing: AsyncStream<String>.Continuation, task: Task<Void, Never>) {
        self.outgoing = outgoing
        self.task = task
    }

    /// Connects to `path` and authenticates: a device by signing the challenge, a user with `token`.
    static func connect(port: Int, device key: DeviceKey? = nil, token: String? = nil) async throws -> LiveSession {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let box = Mutex<LiveSession?>(nil)
        let path = key != nil ? "/v1/signal/device" : "/v1/signal/user"
        let task = Task {
            _ = try? await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)\(path)",
                                                   logger: Logger(label: "test.session")) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.writeTextMessage(text) }
                        try? await outbound.close(.normalClosure, reason: nil)
                    }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message, let parsed = try? ServerMessage(parsing: text) else { continue }
                        box.withLock { $0 }?.receive(parsed)
                    }
                    group.cancelAll()
                }
            }
            box.withLock { $0 }?.closed.withLock { $0 = true }
        }
        let session = LiveSession(outgoing: continuation, task: task)
        box.withLock { $0 = session }
        if let key {
            let challenge = try await session.next("challenge") { if case .challenge = $0 { true } else { false } }
            guard case .challenge(let c) = challenge, let nonce = Base64URL.decode(c.nonce) else {
                throw TestSupportError("no challenge")
            }
            session.send(.authDevice(AuthDevice(sn: CallRouterFixture.sn,
                                                signature: Base64URL.encode(try key.signChallenge(nonce: nonce)))))
        } else {
            session.send(.authUser(AuthUser(token: token ?? PushCloud.token)))
        }
        _ = try await session.next("welcome") { if case .welcome = $0 { true } else { false } }
        return session
    }

    private func receive(_ message: ServerMessage) { received.withLock { $0.append(message) } }

    /// Every message so far.
    var messages: [ServerMessage] { received.withLock { $0 } }

    func send(_ message: ClientMessage) { outgoing.yield(message.text) }

    /// The first message (after `after` earlier ones) that satisfies `match`, waiting up to `timeout`.
    @discardableResult
    func next(_ what: String, after: Int = 0, timeout: Duration = .seconds(15),
              _ match: (ServerMessage) -> Bool) async throws -> ServerMessage {
        let end = ContinuousClock.now + timeout
        while true {
            if let found = messages.dropFirst(after).first(where: match) { return found }
            if closed.withLock({ $0 }) { throw TestSupportError("the session closed waiting for \(what): \(messages)") }
            guard ContinuousClock.now < end else { throw TestSupportError("no \(what) within \(timeout): \(messages)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The device calls Alice; returns the call id.
    func callAlice() async throws -> String {
        let before = messages.count
        send(.call(CallRequest(requestId: "call-\(before)", openId: CallRouterFixture.aliceOpenID, kind: .video,
                               channel: .release, callerCamera: true, calleeCamera: true)))
        let result = try await next("call_result", after: before) { $0.callResult != nil }
        guard let callID = result.callResult?.callId, result.callResult?.code == .ok else {
            throw TestSupportError("the call was refused: \(result)")
        }
        return callID
    }

    func close() {
        outgoing.finish()
        task.cancel()
    }
}

/// A push service stand-in on loopback (Hummingbird): `POST /push/{id}` answers as the test says for that id
/// and records every request; it holds the user agents' keys, so tests decrypt what arrived.
final class StandInPushService: Sendable {
    enum Behaviour: Sendable {
        case status(Int, retryAfter: String? = nil)
        /// Never answers (until the server gives up or the stand-in stops).
        case hang
        /// Each request takes the next one; the last repeats.
        case sequence([Behaviour])
    }

    struct Received: Sendable {
        let id: String
        let headers: [String: String]
        let body: [UInt8]
        let at: Int64
    }

    struct Subscriber: Sendable {
        let id: String
        let key: P256.KeyAgreement.PrivateKey
        let auth: [UInt8]
        var p256dh: [UInt8] { Array(key.publicKey.x963Representation) }
    }

    private let behaviours = Mutex<[String: Behaviour]>([:])
    private let counts = Mutex<[String: Int]>([:])
    private let log = Mutex<[Received]>([])
    private let subscribers = Mutex<[String: Subscriber]>([:])
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    private init(group: ServiceGroup, task: Task<Void, any Error>, port: Int) {
        self.group = group
        self.task = task
        self.port = port
    }

    static func start() async throws -> StandInPushService {
        let holder = Mutex<StandInPushService?>(nil)
        let router = Router()
        router.post("/push/{id}") { request, context -> Response in
            let id = context.parameters.get("id") ?? ""
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            // Names lowercased (HTTP names are case-insensitive).
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            guard let service = holder.withLock({ $0 }) else { return Response(status: .internalServerError) }
            return try await service.answer(id: id, headers: headers, body: [UInt8](body.readableBytesView))
        }
        let (listening, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
                              logger: Logger(label: "test.push-service"))
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test.push-service")))
        let task = Task { try await group.run() }
        let port = try await withDeadline(.seconds(15), "the stand-in push service starting") {
            for await port in listening { return port }
            return 0
        }
        let service = StandInPushService(group: group, task: task, port: port)
        holder.withLock { $0 = service }
        return service
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        task.cancel()
        _ = try? await withDeadline(.seconds(10), "the stand-in stopping") { try await self.task.value }
    }

    /// A new subscriber (user agent keys) answering with `behaviour`; returns it.
    func subscriber(_ id: String, _ behaviour: Behaviour = .status(201)) -> Subscriber {
        let subscriber = Subscriber(id: id, key: P256.KeyAgreement.PrivateKey(),
                                    auth: (0..<16).map { _ in UInt8.random(in: 0...255) })
        subscribers.withLock { $0[id] = subscriber }
        behaviours.withLock { $0[id] = behaviour }
        return subscriber
    }

    func endpoint(_ id: String) -> String { "http://127.0.0.1:\(port)/push/\(id)" }

    /// The requests that arrived for `id` (all when nil), oldest first.
    func received(_ id: String? = nil) -> [Received] {
        log.withLock { $0.filter { id == nil || $0.id == id } }
    }

    /// The decrypted JSON of a request.
    func payload(_ received: Received) throws -> [String: Any] {
        guard let subscriber = subscribers.withLock({ $0[received.id] }) else { throw TestSupportError("no subscriber") }
        let plaintext = try WebPushEncryption.decrypt(received.body, privateKey: subscriber.key, authSecret: subscriber.auth)
        return (try JSONSerialization.jsonObject(with: Data(plaintext))) as? [String: Any] ?? [:]
    }

    /// Waits (bounded) until `id` received a request whose payload satisfies `match`; returns it.
    @discardableResult
    func waitFor(_ id: String, _ what: String, timeout: Duration = .seconds(20),
                 _ match: ([String: Any]) -> Bool = { _ in true }) async throws -> Received {
        let end = ContinuousClock.now + timeout
        while true {
            if let found = try received(id).first(where: { match(try payload($0)) }) { return found }
            guard ContinuousClock.now < end else {
                throw TestSupportError("no \(what) for \(id) within \(timeout): \(try received(id).map { try payload($0) })")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func answer(id: String, headers: [String: String], body: [UInt8]) async throws -> Response {
        log.withLock { $0.append(Received(id: id, headers: headers, body: body, at: Int64(Date().timeIntervalSince1970 * 1000))) }
        let index = counts.withLock { counts -> Int in
            defer { counts[id, default: 0] += 1 }
            return counts[id, default: 0]
        }
        var behaviour = behaviours.withLock { $0[id] } ?? .status(404)
        if case .sequence(let steps) = behaviour { behaviour = steps.isEmpty ? .status(201) : steps[min(index, steps.count - 1)] }
        switch behaviour {
        case .status(let code, let retryAfter):
            var fields = HTTPFields()
            if let retryAfter { fields[.retryAfter] = retryAfter }
            return Response(status: .init(code: code), headers: fields)
        case .hang:
            try await Task.sleep(for: .seconds(3600))
            return Response(status: .created)
        case .sequence:
            return Response(status: .created)
        }
    }
}

extension ServerMessage {
    var ringStop: RingStop? { if case .ringStop(let m) = self { m } else { nil } }
    var isPong: Bool { if case .pong = self { true } else { false } }
}

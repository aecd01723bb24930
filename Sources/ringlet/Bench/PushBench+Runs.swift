import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RingletCore
import RingletServer
import RingletSignaling
import RingletStore
import RingletWebPush
import ServiceLifecycle

/// A `RingletCloud` in this process for the push bench: dev mode, Web Push on, one app, one registered device
/// (key held here), `users` users who authorized it, each subscribed `subscriptionsPerUser` times to the bench's
/// stand-in push service.
struct PushBenchCloud {
    static let appID = "app_00000000bench001"
    static let sn = "BENCH_DOOR-1"
    let folder: URL
    let store: SQLiteStore
    let cloud: RingletCloud
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let deviceKey: DeviceKey
    let openIDs: [String]
    let userIDs: [String]

    static func start(users: Int, subscriptionsPerUser: Int, endpoint: BenchPushEndpoint,
                      push: @escaping (inout PushService.Configuration) -> Void) async throws -> PushBenchCloud {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-bench-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("ringlet.sqlite").path)
        let deviceKey = try DeviceKey.generate()
        let t = Int64(Date().timeIntervalSince1970 * 1000)
        try await store.insertApp(AppRecord(id: appID, name: "Bench", secretHash: "00", releaseApproved: true, callQuota: nil,
                                      createdAt: t))
        try await store.insertModel(ModelRecord(id: "mdl_bench", appID: appID, name: "Door", createdAt: t))
        try await store.insertDevice(DeviceRecord(sn: sn, modelID: "mdl_bench", appID: appID, name: "Front door",
                                            publicKey: deviceKey.publicKey, registeredAt: t, createdAt: t))
        var openIDs: [String] = []
        var userIDs: [String] = []
        let userAgent = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        for index in 0..<users {
            let hex = String(format: "%024x", index)
            let user = UserRecord(id: "usr_bench\(hex)", appID: appID, openID: "oid_\(hex)", name: "User \(index)", createdAt: t)
            try await store.insertUser(user)
            try await store.setAuthorization(AuthorizationRecord(userID: user.id, sn: sn, status: .authorized, updatedAt: t))
            for subscription in 0..<subscriptionsPerUser {
                let id = "u\(index)s\(subscription)"
                _ = try await store.savePushSubscription(
                    PushSubscriptionRecord(id: "psb_\(id)", userID: user.id, appID: appID, channel: .release,
                                           endpoint: endpoint.url(id), p256dh: userAgent,
                                           auth: [UInt8](repeating: 3, count: 16), createdAt: t + Int64(subscription)),
                    maximumPerUser: max(5, subscriptionsPerUser))
            }
            openIDs.append(user.openID)
            userIDs.append(user.id)
        }
        var configuration = ServerConfiguration()
        configuration.dev = true
        configuration.dataDir = folder.path
        configuration.http = .init(host: "127.0.0.1", port: 0)
        configuration.turn = .init(host: "127.0.0.1", port: try FreePort.pick(tcp: true, udp: true))
        var logger = Logger(label: "ringlet.bench")
        logger.logLevel = .critical
        let cloud = try RingletCloud(configuration: configuration, store: store, turnSecret: "bench", logger: logger,
                                     vapidKey: VAPIDKey(), pushConfiguration: push)
        let (listening, continuation) = AsyncStream<Int>.makeStream()
        let group = cloud.makeServiceGroup { continuation.yield($0.localAddress?.port ?? 0) }
        let task = Task { try await group.run() }
        var port = 0
        for await value in listening {
            port = value
            break
        }
        return PushBenchCloud(folder: folder, store: store, cloud: cloud, group: group, task: task, port: port,
                              deviceKey: deviceKey, openIDs: openIDs, userIDs: userIDs)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? FileManager.default.removeItem(at: folder)
    }

    /// The sum of a metric's samples.
    func metric(_ name: String) -> Double {
        var buffer: [UInt8] = []
        cloud.app.metrics.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").reduce(0) { sum, line in
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0] == name || parts[0].hasPrefix("\(name){") else { return sum }
            return sum + (Double(parts[1]) ?? 0)
        }
    }
}

/// The device's signaling session for the bench: authenticated, messages handed to a waiting reader.
final class BenchDeviceSession: Sendable {
    private let received = NIOLockedValueBox<[ServerMessage]>([])
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    private init(outgoing: AsyncStream<String>.Continuation, task: Task<Void, Never>) {
        self.outgoing = outgoing
        self.task = task
    }

    static func connect(port: Int, sn: String, key: DeviceKey) async throws -> BenchDeviceSession {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let holder = NIOLockedValueBox<BenchDeviceSession?>(nil)
        let task = Task {
            _ = try? await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/signal/device",
                                                   logger: Logger(label: "bench.device")) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.writeTextMessage(text) }
                    }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message, let parsed = try? ServerMessage(parsing: text) else { continue }
                        holder.withLockedValue { $0 }?.received.withLockedValue { $0.append(parsed) }
                    }
                    group.cancelAll()
                }
            }
        }
        let session = BenchDeviceSession(outgoing: continuation, task: task)
        holder.withLockedValue { $0 = session }
        guard case .challenge(let challenge) = try await session.next({ if case .challenge = $0 { true } else { false } }),
              let nonce = Base64URL.decode(challenge.nonce)
        else { throw ValidationError("no challenge") }
        session.send(.authDevice(AuthDevice(sn: sn, signature: Base64URL.encode(try key.signChallenge(nonce: nonce)))))
        _ = try await session.next { if case .welcome = $0 { true } else { false } }
        return session
    }

    func send(_ message: ClientMessage) { outgoing.yield(message.text) }

    /// The first message satisfying `match` that arrived after `after` messages (bounded).
    func next(after: Int = 0, _ match: (ServerMessage) -> Bool) async throws -> ServerMessage {
        let end = ContinuousClock.now + .seconds(30)
        while true {
            if let found = received.withLockedValue({ Array($0.dropFirst(after)) }).first(where: match) { return found }
            guard ContinuousClock.now < end else { throw ValidationError("the device waited 30 s for a message") }
            try await Task.sleep(for: .microseconds(200))
        }
    }

    var count: Int { received.withLockedValue { $0.count } }

    func close() {
        outgoing.finish()
        task.cancel()
    }
}

/// From the device's `call` to the stand-in push service receiving the ring.
struct PushLatencyBench {
    let calls: Int
    let endpoint: BenchPushEndpoint

    func run() async throws -> [String: Any] {
        let cloud = try await PushBenchCloud.start(users: 1, subscriptionsPerUser: 1, endpoint: endpoint) { _ in }
        var toPush: [Duration] = []
        var toResult: [Duration] = []
        var plain: [Duration] = []
        do {
            let device = try await BenchDeviceSession.connect(port: cloud.port, sn: PushBenchCloud.sn, key: cloud.deviceKey)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            for round in 0..<calls {
                let before = device.count
                let sent = ContinuousClock.now
                device.send(.call(CallRequest(requestId: "b\(round)", openId: cloud.openIDs[0], kind: .video,
                                              channel: .release, callerCamera: true, calleeCamera: true)))
                let result = try await device.next(after: before) { if case .callResult = $0 { true } else { false } }
                toResult.append(ContinuousClock.now - sent)
                guard case .callResult(let answer) = result, let callID = answer.callId else {
                    throw ValidationError("call \(round) refused: \(result)")
                }
                // Each call gives the subscription a ring and then a ring_stop: POST 2·round+1 is this ring.
                toPush.append(try await endpoint.waitFor("u0s0", count: 2 * round + 1) - sent)
                device.send(.cancel(CallAction(callId: callID)))
                _ = try await endpoint.waitFor("u0s0", count: 2 * round + 2)
                // The floor: a plain POST of a ring's size to the same stand-in.
                var request = HTTPClientRequest(url: endpoint.url("plain"))
                request.method = .POST
                request.body = .bytes(ByteBuffer(repeating: 0x61, count: 480))
                let start = ContinuousClock.now
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1024)
                plain.append(ContinuousClock.now - start)
            }
            device.close()
            try await client.shutdown()
        } catch {
            await cloud.stop()
            throw error
        }
        await cloud.stop()
        let push = percentiles(toPush), floor = percentiles(plain)
        return [
            "calls": calls,
            "call_to_push_service": push,
            "call_to_call_result": percentiles(toResult),
            "plain_post_floor": floor,
            "ratio_p50_to_floor": rounded((push["p50_ms"] ?? 0) / max(0.001, floor["p50_ms"] ?? 1), places: 2),
        ]
    }
}

/// The push service alone with a push service that answers slowly.
struct PushThroughputBench {
    let messages: Int
    let concurrency: Int
    let delayMs: Int
    let endpoint: BenchPushEndpoint

    func run() async throws -> [String: Any] {
        // Each of `users` users has 5 subscriptions and gets 10 rings (with 10 different topics): 50 messages each.
        let users = max(1, messages / 50)
        let cloud = try await PushBenchCloud.start(users: users, subscriptionsPerUser: 5, endpoint: endpoint) {
            $0.concurrency = concurrency
            $0.maximumWaiting = 1_000_000
            $0.maximumWaitingPerSubscription = 64
            $0.queueCapacity = 1_000_000
        }
        let push = try requireValue(cloud.cloud.push)
        let answeredBefore = endpoint.answered.withLockedValue { $0 }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let rounds = (messages + users * 5 - 1) / (users * 5)
        let start = ContinuousClock.now
        for round in 0..<rounds {
            for (index, user) in cloud.userIDs.enumerated() {
                let payload = PushPayload.ring(callID: "call_\(round)_\(index)", sn: PushBenchCloud.sn,
                                               deviceName: "Front door", kind: "video", expiresAt: now + 600_000, sentAt: now)
                push.enqueue(PushIntent(userID: user, channel: .release, payload: payload, urgency: .high, ttlSeconds: 60,
                                        topic: "call_\(round)_\(index)", createdAt: now, deadline: now + 600_000))
            }
        }
        let total = rounds * users * 5
        // Until every push was answered, or nothing more arrives for 15 s (then `delivered` says how many did).
        var last = (count: 0, at: ContinuousClock.now)
        var finished = start
        while true {
            let count = endpoint.answered.withLockedValue { $0 } - answeredBefore
            if count != last.count { last = (count, ContinuousClock.now) }
            finished = last.at
            if count >= total || ContinuousClock.now - last.at > .seconds(15) { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let elapsed = finished - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let delivered = endpoint.answered.withLockedValue { $0 } - answeredBefore
        let failed = cloud.metric("ringlet_push_failed_total")
        await cloud.stop()
        let rate = Double(delivered) / max(seconds, 0.001)
        let ceiling = delayMs > 0 ? Double(concurrency) * 1000 / Double(delayMs) : 0
        return [
            "messages": total, "delivered": delivered, "seconds": rounded(seconds, places: 2),
            "pushes_per_s": rate.rounded(), "endpoint_delay_ms": delayMs, "concurrency": concurrency,
            "ceiling_pushes_per_s": ceiling.rounded(), "ratio_to_ceiling": ceiling > 0 ? rounded(rate / ceiling, places: 3) : 0,
            "failed": failed,
        ]
    }
}

func requireValue<T>(_ value: T?) throws -> T {
    guard let value else { throw ValidationError("the cloud has no push service") }
    return value
}

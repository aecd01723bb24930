import ArgumentParser
import Crypto
import Foundation
import Hummingbird
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

/// `ringlet bench push`: Web Push delivery (docs/push.md, docs/benchmarks.md), all on loopback in this process.
///
/// - latency: a device's `call` (sent over its signaling WebSocket) until a stand-in push service receives the
///   ring's POST, over `--calls` calls of a user who has no page open; beside it, in the same rounds, a plain
///   POST of the same size to the same stand-in (the floor: loopback HTTP without signaling, store, encryption).
/// - throughput: the push service alone, fed `--messages` rings for users with 5 subscriptions each, the
///   stand-in answering every POST after `--endpoint-delay-ms`; pushes per second from the first enqueue to the
///   last answer, and the ceiling `concurrency / delay` it is compared with.
/// - encryption: building one request (ECDH, HKDF, AES-GCM, a cached VAPID token), per second.
struct PushBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Web Push: call-to-push-service latency, delivery throughput with a slow push service (JSON)."
    )

    @Option(help: "Calls for the latency figure.") var calls = 200
    @Option(help: "Messages for the throughput figure.") var messages = 5000
    @Option(name: .customLong("endpoint-delay-ms"), help: "How long the stand-in push service takes to answer in the throughput run.")
    var endpointDelayMs = 100
    @Option(help: "The push service's concurrent requests (its default is 128).") var concurrency = 128

    func validate() throws {
        guard (10...10_000).contains(calls) else { throw ValidationError("--calls is 10…10000") }
        guard (100...200_000).contains(messages) else { throw ValidationError("--messages is 100…200000") }
        guard (0...2000).contains(endpointDelayMs) else { throw ValidationError("--endpoint-delay-ms is 0…2000") }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency is 1…1024") }
    }

    func run() async throws {
        let standIn = try await BenchPushEndpoint.start()
        var result: [String: Any] = [:]
        do {
            result["latency"] = try await PushLatencyBench(calls: calls, endpoint: standIn).run()
            standIn.delayMs.withLockedValue { $0 = endpointDelayMs }
            result["throughput"] = try await PushThroughputBench(messages: messages, concurrency: concurrency,
                                                                 delayMs: endpointDelayMs, endpoint: standIn).run()
            result["encryption"] = PushBenchCommand.encryption()
        } catch {
            await standIn.stop()
            throw error
        }
        await standIn.stop()
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Requests built per second (one fresh ephemeral key and salt each, a cached VAPID token).
    static func encryption() -> [String: Any] {
        let userAgent = P256.KeyAgreement.PrivateKey()
        let subscription = try? PushSubscription(endpoint: PushEndpoint("https://push.example.com/bench"),
                                                 p256dh: Array(userAgent.publicKey.x963Representation),
                                                 auth: [UInt8](repeating: 7, count: 16))
        guard let subscription, let subject = try? VAPIDSubject("mailto:bench@example.com") else { return [:] }
        var authorizations = VAPIDAuthorizations(key: VAPIDKey(), subject: subject)
        let payload = PushPayload.ring(callID: "call_0123456789abcdef", sn: "BENCH-1", deviceName: "Front door",
                                       kind: "video", expiresAt: 1, sentAt: 0).encoded()
        let message = WebPushMessage(payload: payload, ttlSeconds: 60, urgency: .high, topic: PushTopic("call_1"))
        var rounds: [Double] = []
        for _ in 0..<5 {
            rounds.append(timeOnce(iterations: 300) {
                let header = authorizations.header(audience: subscription.endpoint.origin, now: 1_700_000_000)
                let request = try? WebPushRequest(message: message, subscription: subscription, authorization: header,
                                                  ephemeralKey: P256.KeyAgreement.PrivateKey(),
                                                  salt: [UInt8](repeating: 1, count: 16))
                return request?.body.count ?? 0
            })
        }
        let median = rounds.sorted()[rounds.count / 2]
        return ["requests_per_s_median": (1e9 / median).rounded(), "us_per_request_median": rounded(median / 1000, places: 1),
                "payload_bytes": payload.count, "body_bytes": payload.count + 86 + 17]
    }
}

/// The stand-in push service of the bench: answers `POST /push/{id}` with 201 after `delayMs`, and reports when
/// each POST arrived (monotonic) to whoever waits for it.
final class BenchPushEndpoint: Sendable {
    let delayMs = NIOLockedValueBox(0)
    let arrivals = NIOLockedValueBox<[String: [ContinuousClock.Instant]]>([:])
    let answered = NIOLockedValueBox(0)
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    private init(group: ServiceGroup, task: Task<Void, any Error>, port: Int) {
        self.group = group
        self.task = task
        self.port = port
    }

    static func start() async throws -> BenchPushEndpoint {
        let holder = NIOLockedValueBox<BenchPushEndpoint?>(nil)
        let router = Router()
        router.post("/push/{id}") { request, context -> Response in
            let arrived = ContinuousClock.now
            _ = try await request.body.collect(upTo: 8192)
            guard let endpoint = holder.withLockedValue({ $0 }) else { return Response(status: .serviceUnavailable) }
            let id = context.parameters.get("id") ?? ""
            endpoint.arrivals.withLockedValue { $0[id, default: []].append(arrived) }
            let delay = endpoint.delayMs.withLockedValue { $0 }
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            endpoint.answered.withLockedValue { $0 += 1 }
            return Response(status: .created)
        }
        let (listening, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
                              logger: Logger(label: "bench.push-service"))
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "bench.push-service")))
        let task = Task { try await group.run() }
        var port = 0
        for await value in listening {
            port = value
            break
        }
        guard port > 0 else { throw ValidationError("the stand-in push service did not start") }
        let endpoint = BenchPushEndpoint(group: group, task: task, port: port)
        holder.withLockedValue { $0 = endpoint }
        return endpoint
    }

    func url(_ id: String) -> String { "http://127.0.0.1:\(port)/push/\(id)" }

    /// Waits (bounded) until `id` has had `count` POSTs; returns the arrival of the last of them.
    func waitFor(_ id: String, count: Int, timeout: Duration = .seconds(30)) async throws -> ContinuousClock.Instant {
        let end = ContinuousClock.now + timeout
        while true {
            let times = arrivals.withLockedValue { $0[id] ?? [] }
            if times.count >= count { return times[count - 1] }
            guard ContinuousClock.now < end else { throw ValidationError("the push service got no POST \(count) for \(id)") }
            try await Task.sleep(for: .microseconds(200))
        }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Percentiles of durations, in ms.
func percentiles(_ values: [Duration]) -> [String: Double] {
    let ms = values.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
    guard !ms.isEmpty else { return [:] }
    func at(_ p: Double) -> Double { ms[min(ms.count - 1, Int((p * Double(ms.count)).rounded(.up)) - 1)] }
    return ["p50_ms": rounded(at(0.5), places: 2), "p90_ms": rounded(at(0.9), places: 2),
            "p99_ms": rounded(at(0.99), places: 2), "max_ms": rounded(ms.last ?? 0, places: 2), "samples": Double(ms.count)]
}

import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import RingletStore
import RingletWebPush
import ServiceLifecycle
import Synchronization

/// Web Push delivery (docs/push.md): a service with its own bounded queue, worker pool and HTTP client. The call
/// router hands it ``PushIntent``s through ``enqueue(_:)``, which never waits; the service looks up the user's
/// subscriptions, encrypts each message for each one (RFC 8291), signs a VAPID token for its push service (RFC
/// 8292), POSTs it (RFC 8030) and follows ``PushDeliveryPolicy``: 404/410 delete the subscription; 429, 5xx and
/// network errors are retried with backoff until the message's deadline (a ring's end).
///
/// Metrics (through the injected factory): `ringlet_push_sent_total{type}`, `ringlet_push_failed_total{reason}`
/// (rejected, retries_exhausted, deadline, queue_full, encryption, store), `ringlet_push_retries_total`,
/// `ringlet_push_superseded_total`, `ringlet_push_expired_subscriptions_total`, `ringlet_push_latency_seconds{type}`
/// (from the router's ring to the push service's answer), `ringlet_push_queue_depth`.
public final class PushService: Service, Sendable {
    /// Limits and timeouts, each with its documented default (docs/push.md, "Limits and defaults").
    public struct Configuration: Sendable {
        /// The VAPID `sub` claim.
        public var subject: VAPIDSubject
        /// Which endpoints subscriptions may name (`--dev` allows http:// to loopback).
        public var endpointPolicy: PushEndpoint.Policy
        /// Intents waiting for their subscriptions to be looked up. Default 1024.
        public var queueCapacity = 1024
        /// Messages waiting for delivery, in all lanes; per subscription. Defaults 10 000 and 8.
        public var maximumWaiting = 10_000
        public var maximumWaitingPerSubscription = 8
        /// Requests in flight at once (workers; also the HTTP/1.1 connections per push service host). Default 128:
        /// with a push service that takes 100 ms per answer, up to 1280 pushes per second.
        public var concurrency = 128
        /// Subscriptions kept per user (the oldest goes). Default 5.
        public var maximumSubscriptionsPerUser = 5
        /// One request's limit (a push service that hangs costs at most this, per attempt). Default 10 s.
        public var requestTimeout: Duration = .seconds(10)
        /// TCP/TLS connect limit. Default 5 s.
        public var connectTimeout: Duration = .seconds(5)
        /// Retries and backoff.
        public var policy = PushDeliveryPolicy()
        /// How long shutdown waits for deliveries in flight. Default 3 s.
        public var shutdownGrace: Duration = .seconds(3)

        public init(subject: VAPIDSubject, endpointPolicy: PushEndpoint.Policy = .init()) {
            self.subject = subject
            self.endpointPolicy = endpointPolicy
        }
    }

    let configuration: Configuration
    let store: any Store
    let logger: Logger
    let clock: @Sendable () -> Int64
    let lanes: PushLanes
    let authorizations: Mutex<VAPIDAuthorizations>
    let queue: AsyncStream<PushIntent>
    let input: AsyncStream<PushIntent>.Continuation
    let metrics: PushMetrics
    /// The server's VAPID public key (base64url): the web app's `applicationServerKey`.
    public let publicKey: String

    /// Makes the service; nothing runs until ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: subject, endpoint policy, limits.
    ///   - key: the server's VAPID key (``ServerBootstrap/vapidKey(store:)``: made once, kept in the store).
    ///   - store: where subscriptions are read and deleted.
    ///   - metricsFactory: the server's Prometheus factory.
    ///   - clock: Unix ms.
    public init(configuration: Configuration, key: VAPIDKey, store: any Store, metricsFactory: any MetricsFactory,
                logger: Logger = Logger(label: "ringlet.push"),
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.clock = clock
        lanes = PushLanes(perLane: configuration.maximumWaitingPerSubscription, total: configuration.maximumWaiting)
        authorizations = Mutex(VAPIDAuthorizations(key: key, subject: configuration.subject))
        (queue, input) = AsyncStream.makeStream(of: PushIntent.self,
                                                bufferingPolicy: .bufferingOldest(max(1, configuration.queueCapacity)))
        metrics = PushMetrics(factory: metricsFactory)
        publicKey = key.publicKeyBase64URL
    }

    /// Queues `intent` without waiting; false (and counted as `queue_full`) when the queue is full or the service
    /// has stopped.
    @discardableResult
    public func enqueue(_ intent: PushIntent) -> Bool {
        if case .enqueued = input.yield(intent) { return true }
        metrics.failed("queue_full")
        logger.warning("push dropped: the queue is full or the service stopped", metadata: ["type": "\(intent.payload.type)"])
        return false
    }

    /// Runs the dispatcher and the workers until graceful shutdown; then stops taking intents, lets deliveries in
    /// flight finish for ``Configuration/shutdownGrace`` (no more retries) and closes the HTTP client.
    public func run() async throws {
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: Self.timeAmount(configuration.connectTimeout),
                             read: Self.timeAmount(configuration.requestTimeout))
        http.redirectConfiguration = .disallow
        http.decompression = .disabled
        http.connectionPool = .init(idleTimeout: .seconds(60),
                                    concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.concurrency))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        let grace = configuration.shutdownGrace
        let workers = max(1, configuration.concurrency)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { pool in
                    for _ in 0..<workers { pool.addTask { await self.work(client) } }
                }
            }
            group.addTask {
                // Ends on graceful shutdown (the input finishes) or cancellation (the stream ends).
                await withGracefulShutdownHandler {
                    for await intent in self.queue { await self.dispatch(intent) }
                } onGracefulShutdown: {
                    self.input.finish()
                }
                await self.lanes.close()
                // Deliveries in flight get this long; then whatever still runs is cancelled.
                try? await Task.sleep(for: grace)
            }
            // The first to end: the workers (all drained in time) or the grace timer.
            _ = await group.next()
            group.cancelAll()
        }
        try? await client.shutdown()
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Looks up the intent's subscriptions and queues one delivery per subscription.
    func dispatch(_ intent: PushIntent) async {
        let subscriptions: [PushSubscriptionRecord]
        do {
            subscriptions = try await store.pushSubscriptions(userID: intent.userID)
        } catch {
            metrics.failed("store")
            logger.warning("push: reading subscriptions failed", metadata: ["error": "\(error)"])
            return
        }
        for subscription in subscriptions {
            if let channel = intent.channel, subscription.channel != channel { continue }
            if let excluded = intent.excludedEndpoint, subscription.endpoint == excluded { continue }
            switch await lanes.submit(PushDelivery(intent: intent, subscription: subscription)) {
            case .queued: break
            case .replaced: metrics.superseded.increment()
            case .dropped:
                metrics.failed("queue_full")
                logger.warning("push dropped: too many messages waiting", metadata: ["subscription": "\(subscription.id)"])
            }
        }
        metrics.queueDepth.record(await lanes.waitingCount)
    }

    /// One worker: takes a lane, sends its messages in order, takes the next lane.
    func work(_ client: HTTPClient) async {
        while let lane = await lanes.takeLane() {
            while let delivery = await lanes.next(in: lane) {
                if Task.isCancelled { continue }
                await deliver(delivery, lane: lane, client: client)
            }
            metrics.queueDepth.record(await lanes.waitingCount)
        }
    }
}

/// The service's metrics.
struct PushMetrics: Sendable {
    let factory: any MetricsFactory
    let retries: Counter
    let superseded: Counter
    let expired: Counter
    let queueDepth: Gauge

    init(factory: any MetricsFactory) {
        self.factory = factory
        retries = Counter(label: "ringlet_push_retries_total", factory: factory)
        superseded = Counter(label: "ringlet_push_superseded_total", factory: factory)
        expired = Counter(label: "ringlet_push_expired_subscriptions_total", factory: factory)
        queueDepth = Gauge(label: "ringlet_push_queue_depth", factory: factory)
        queueDepth.record(0)
        for type in ["ring", "ring_stop", "notice", "authorization"] {
            Counter(label: "ringlet_push_sent_total", dimensions: [("type", type)], factory: factory).increment(by: 0)
        }
    }

    func sent(_ type: String, latencyMs: Int64) {
        Counter(label: "ringlet_push_sent_total", dimensions: [("type", type)], factory: factory).increment()
        Timer(label: "ringlet_push_latency_seconds", dimensions: [("type", type)], factory: factory)
            .recordMilliseconds(max(0, latencyMs))
    }

    func failed(_ reason: String) {
        Counter(label: "ringlet_push_failed_total", dimensions: [("reason", reason)], factory: factory).increment()
    }
}

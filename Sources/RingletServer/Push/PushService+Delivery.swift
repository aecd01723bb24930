import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import RingletStore
import RingletWebPush

extension PushService {
    /// What one attempt got: the status and `Retry-After`, or no answer.
    struct Answer {
        var status: Int?
        var retryAfter: String?
        var error: String?
    }

    /// Sends one message to one subscription, with retries, until it is delivered, gone, failed, superseded by a
    /// newer message with the same topic, or past its deadline.
    func deliver(_ delivery: PushDelivery, lane: String, client: HTTPClient) async {
        let intent = delivery.intent
        let record = delivery.subscription
        let type = intent.payload.type
        let subscription: PushSubscription
        do {
            subscription = try PushSubscription(endpoint: PushEndpoint(record.endpoint, policy: configuration.endpointPolicy),
                                                p256dh: record.p256dh, auth: record.auth)
        } catch {
            // Stored under another policy (a dev subscription on a production start): it can never be sent.
            metrics.failed("rejected")
            logger.info("push: stored subscription no longer accepted", metadata: ["subscription": "\(record.id)",
                                                                                  "error": "\(error)"])
            return
        }
        let message = WebPushMessage(payload: intent.payload.encoded(), ttlSeconds: intent.ttlSeconds,
                                     urgency: intent.urgency, topic: intent.topic.map(PushTopic.init))
        var attempt = 0
        while true {
            attempt += 1
            let now = clock()
            guard now < intent.deadline else {
                metrics.failed("deadline")
                logger.info("push: deadline passed", metadata: ["type": "\(type)", "subscription": "\(record.id)"])
                return
            }
            if await lanes.isSuperseded(lane: lane, topic: intent.topic) {
                metrics.superseded.increment()
                return
            }
            let authorization = authorizations.withLock { $0.header(audience: subscription.endpoint.origin, now: now / 1000) }
            let request: WebPushRequest
            do {
                var random = SystemRandomNumberGenerator()
                let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
                request = try WebPushRequest(message: message, subscription: subscription, authorization: authorization,
                                             ephemeralKey: P256.KeyAgreement.PrivateKey(), salt: salt)
            } catch {
                metrics.failed("encryption")
                logger.warning("push: encryption failed", metadata: ["error": "\(error)"])
                return
            }
            let remaining = Duration.milliseconds(max(1, intent.deadline - now))
            let answer = await send(request, client: client, timeout: min(configuration.requestTimeout, remaining))
            let after = clock()
            let decision = configuration.policy.decide(status: answer.status, retryAfter: answer.retryAfter,
                                                       attempt: attempt, now: after, deadline: intent.deadline,
                                                       jitter: Double.random(in: 0...1))
            switch decision {
            case .delivered:
                metrics.sent(type, latencyMs: after - intent.createdAt)
                logger.debug("push delivered", metadata: ["type": "\(type)", "subscription": "\(record.id)",
                                                         "status": "\(answer.status ?? 0)"])
                return
            case .gone:
                metrics.expired.increment()
                do {
                    try await store.deletePushSubscription(id: record.id)
                } catch {
                    logger.warning("push: deleting an expired subscription failed", metadata: ["error": "\(error)"])
                }
                let dropped = await lanes.discard(lane: lane)
                logger.info("push subscription expired and deleted",
                            metadata: ["subscription": "\(record.id)", "status": "\(answer.status ?? 0)",
                                       "discarded": "\(dropped)"])
                return
            case .failed(let reason):
                metrics.failed(reason)
                logger.info("push failed", metadata: ["type": "\(type)", "subscription": "\(record.id)",
                                                     "reason": "\(reason)", "status": "\(answer.status.map(String.init) ?? "none")",
                                                     "error": "\(answer.error ?? "")"])
                return
            case .retry(let at):
                metrics.retries.increment()
                logger.debug("push retry", metadata: ["type": "\(type)", "subscription": "\(record.id)",
                                                      "attempt": "\(attempt)", "status": "\(answer.status.map(String.init) ?? "none")"])
                guard await waitForRetry(until: at, lane: lane, topic: intent.topic) else {
                    metrics.superseded.increment()
                    return
                }
            }
        }
    }

    /// Waits until `at` (Unix ms) in short steps; false when a newer message with the topic arrived, the service
    /// is shutting down or the task was cancelled (no more retries then).
    func waitForRetry(until at: Int64, lane: String, topic: String?) async -> Bool {
        while clock() < at {
            let step = min(at - clock(), 100)
            if step > 0 {
                do {
                    try await Task.sleep(for: .milliseconds(step))
                } catch {
                    return false
                }
            }
            if await lanes.isClosed { return false }
            if await lanes.isSuperseded(lane: lane, topic: topic) { return false }
        }
        return true
    }

    /// One POST; the answer's body is read (at most 16 KiB) and dropped so the connection can be reused.
    func send(_ request: WebPushRequest, client: HTTPClient, timeout: Duration) async -> Answer {
        var http = HTTPClientRequest(url: request.url)
        http.method = .POST
        for header in request.headers { http.headers.add(name: header.name, value: header.value) }
        http.body = .bytes(ByteBuffer(bytes: request.body))
        do {
            let response = try await client.execute(http, timeout: Self.timeAmount(timeout), logger: nil)
            _ = try? await response.body.collect(upTo: 16 * 1024)
            return Answer(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"))
        } catch {
            return Answer(status: nil, retryAfter: nil, error: String(describing: error))
        }
    }
}

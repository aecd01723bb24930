import Metrics
import NIOCore
import RingletCore
import Synchronization

/// Failed authentications per client IP (docs/security.md, "Rate limits"): a token bucket per address, shared by
/// the HTTP API (401s, bad sign-in codes, bad tickets) and the signaling hub (refused `auth_device` /
/// `auth_user`). Each failure takes a token; an address with none left is refused before its credentials are
/// even looked at (429 / `rate_limited`) until it has earned one back.
///
/// Memory is bounded (`maximumAddresses`; idle buckets are forgotten); an address that cannot get a bucket
/// because the table is full of busy ones is not limited (fail open: the table only fills under an attack from
/// more addresses than that, and refusing everyone would be the attacker's win). Requests without a peer
/// address (in-process tests) are not counted.
public final class AuthFailureLimiter: Sendable {
    /// Addresses tracked at most.
    public static let maximumAddresses = 65_536

    private let buckets: Mutex<KeyedTokenBuckets<String>>
    private let clock: @Sendable () -> Instant
    private let refused: Counter
    private let httpFailures: Counter
    private let signalingFailures: Counter

    /// A limiter allowing `burst` failures at once and `perMinute` more each minute.
    public init(burst: Int, perMinute: Int, metricsFactory: any MetricsFactory,
                clock: @escaping @Sendable () -> Instant = AuthFailureLimiter.monotonicNow) {
        buckets = Mutex(KeyedTokenBuckets(capacity: Double(burst), refillPerSecond: Double(perMinute) / 60,
                                          maximumKeys: Self.maximumAddresses, whenFull: .allow))
        self.clock = clock
        refused = Counter(label: "ringlet_refused_total", dimensions: [("reason", "auth_rate_limited")],
                          factory: metricsFactory)
        httpFailures = Counter(label: "ringlet_auth_failures_total", dimensions: [("where", "http")], factory: metricsFactory)
        signalingFailures = Counter(label: "ringlet_auth_failures_total", dimensions: [("where", "signaling")],
                                    factory: metricsFactory)
        httpFailures.increment(by: 0)
        signalingFailures.increment(by: 0)
    }

    /// The process's monotonic clock.
    @Sendable public static func monotonicNow() -> Instant {
        Instant(nanoseconds: Int64(clamping: NIODeadline.now().uptimeNanoseconds))
    }

    /// Seconds `ip` must wait before it may try to authenticate again; nil when it may now.
    public func retryAfter(_ ip: String?) -> Int? {
        guard let ip else { return nil }
        let now = clock()
        let wait: Double? = buckets.withLock { table in
            table.has(ip, now: now) ? nil : table.secondsUntil(ip)
        }
        guard let wait else { return nil }
        refused.increment()
        return Int(wait.rounded(.up))
    }

    /// Where an authentication failed.
    public enum Source: Sendable { case http, signaling }

    /// Counts one failed authentication from `ip` (`ringlet_auth_failures_total{where}`).
    public func recordFailure(_ ip: String?, at source: Source = .http) {
        (source == .http ? httpFailures : signalingFailures).increment()
        guard let ip else { return }
        let now = clock()
        buckets.withLock { table in _ = table.take(ip, now: now) }
    }
}

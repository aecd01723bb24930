import Logging
import Metrics
import RingletStore
import ServiceLifecycle

/// Housekeeping of the store as a service of `ringlet serve` (docs/security.md, "Retention"): at start and then
/// every ``ServerLimits/purgeIntervalSeconds`` it deletes tickets expired more than
/// ``ServerLimits/ticketRetentionDays`` ago, expired sessions and sign-in codes, and notices read more than
/// ``ServerLimits/readNoticeRetentionDays`` ago. Call history is kept. Counts go to
/// `ringlet_purged_total{kind}` and the log (info, counts only).
public struct StoreJanitor: Service {
    let store: any Store
    let limits: ServerLimits
    let logger: Logger
    let clock: @Sendable () -> Int64
    let counters: [String: Counter]

    public init(store: any Store, limits: ServerLimits, metricsFactory: any MetricsFactory, logger: Logger,
                clock: @escaping @Sendable () -> Int64) {
        self.store = store
        self.limits = limits
        self.logger = logger
        self.clock = clock
        var counters: [String: Counter] = [:]
        for kind in ["tickets", "sessions", "sign_in_codes", "notices"] {
            counters[kind] = Counter(label: "ringlet_purged_total", dimensions: [("kind", kind)], factory: metricsFactory)
        }
        self.counters = counters
    }

    /// One purge now; returns what it deleted (nil when the store failed, which is logged).
    @discardableResult
    public func purgeOnce() async -> PurgeCounts? {
        let day: Int64 = 86_400_000
        do {
            let counts = try await store.purge(now: clock(), ticketRetentionMs: Int64(limits.ticketRetentionDays) * day,
                                         noticeRetentionMs: Int64(limits.readNoticeRetentionDays) * day)
            counters["tickets"]?.increment(by: Int64(counts.tickets))
            counters["sessions"]?.increment(by: Int64(counts.sessions))
            counters["sign_in_codes"]?.increment(by: Int64(counts.signInCodes))
            counters["notices"]?.increment(by: Int64(counts.notices))
            if counts.total > 0 {
                logger.info("purged old records", metadata: [
                    "tickets": "\(counts.tickets)", "sessions": "\(counts.sessions)",
                    "signInCodes": "\(counts.signInCodes)", "notices": "\(counts.notices)",
                ])
            }
            return counts
        } catch {
            logger.error("purge failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Purges at start, then every interval, until graceful shutdown.
    public func run() async throws {
        let interval = Duration.seconds(limits.purgeIntervalSeconds)
        await purgeOnce()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await purgeOnce()
            }
        }
    }
}

/// A token bucket (the rate limiter of docs/security.md): it holds at most `capacity` tokens and gains
/// `refillPerSecond` of them per second; each thing allowed takes some. Sans-IO: the caller passes the instant.
///
/// A bucket starts full, so a burst of `capacity` passes at once and the steady rate is `refillPerSecond`.
public struct TokenBucket: Hashable, Sendable {
    /// The most tokens the bucket holds (the burst).
    public let capacity: Double
    /// Tokens gained per second (the steady rate).
    public let refillPerSecond: Double
    /// Tokens now (as of ``updated``).
    public private(set) var tokens: Double
    /// When ``tokens`` was last brought up to date.
    public private(set) var updated: Instant

    /// A full bucket at `now`.
    /// - Parameters:
    ///   - capacity: the burst, at least 0.
    ///   - refillPerSecond: the steady rate, at least 0.
    public init(capacity: Double, refillPerSecond: Double, now: Instant) {
        self.capacity = max(0, capacity)
        self.refillPerSecond = max(0, refillPerSecond)
        tokens = self.capacity
        updated = now
    }

    /// Adds what accrued since the last call (time never runs backwards here: an earlier `now` adds nothing).
    public mutating func refill(now: Instant) {
        guard now > updated else { return }
        let seconds = Double(now.nanoseconds &- updated.nanoseconds) / 1_000_000_000
        tokens = min(capacity, tokens + seconds * refillPerSecond)
        updated = now
    }

    /// Takes `cost` tokens if the bucket has them; false (and nothing taken) otherwise.
    public mutating func take(_ cost: Double = 1, now: Instant) -> Bool {
        refill(now: now)
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    /// Takes `cost` tokens even if that leaves the bucket below zero (a debt paid back by later refills); used
    /// where the thing was already done (bytes relayed) and only the next ones can be refused.
    public mutating func charge(_ cost: Double, now: Instant) {
        refill(now: now)
        tokens = max(-capacity, tokens - cost)
    }

    /// Whether at least `cost` tokens are there now (nothing taken).
    public mutating func has(_ cost: Double = 1, now: Instant) -> Bool {
        refill(now: now)
        return tokens >= cost
    }

    /// Whether the bucket is full at `now` (an idle key that can be forgotten).
    public mutating func isFull(now: Instant) -> Bool {
        refill(now: now)
        return tokens >= capacity
    }

    /// Seconds until `cost` tokens are there (0 when they are), for a `Retry-After`.
    public func secondsUntil(_ cost: Double = 1) -> Double {
        guard tokens < cost else { return 0 }
        guard refillPerSecond > 0 else { return .infinity }
        return (cost - tokens) / refillPerSecond
    }
}

/// Token buckets by key (a client address, a device), in bounded memory: at most `maximumKeys` are kept. When
/// the table is full, buckets that have refilled completely are forgotten (they hold nothing a new bucket would
/// not); if none has, a new key is handled as `whenFull` says.
public struct KeyedTokenBuckets<Key: Hashable & Sendable>: Sendable {
    /// What a new key gets when the table is full of busy buckets.
    public enum Overflow: Sendable {
        /// Refuse it (fail closed: the right answer for reflection and floods).
        case refuse
        /// Allow it without keeping a bucket (fail open).
        case allow
    }

    public let capacity: Double
    public let refillPerSecond: Double
    public let maximumKeys: Int
    public let whenFull: Overflow
    private var buckets: [Key: TokenBucket] = [:]
    /// When a full table was last swept; sweeps are at most one a second, so a flood of new keys against a
    /// full table costs a lookup each, not a sweep each.
    private var lastSweep: Instant?

    /// An empty table.
    public init(capacity: Double, refillPerSecond: Double, maximumKeys: Int, whenFull: Overflow) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.maximumKeys = max(1, maximumKeys)
        self.whenFull = whenFull
    }

    /// The number of keys kept.
    public var count: Int { buckets.count }

    /// Takes `cost` from `key`'s bucket (a new key starts full); false when refused.
    public mutating func take(_ key: Key, cost: Double = 1, now: Instant) -> Bool {
        if buckets[key] == nil {
            guard makeRoom(now: now) else { return whenFull == .allow }
            buckets[key] = TokenBucket(capacity: capacity, refillPerSecond: refillPerSecond, now: now)
        }
        return buckets[key]?.take(cost, now: now) ?? false
    }

    /// Whether `key` has `cost` tokens (an unknown key has: it would start full); takes nothing.
    public mutating func has(_ key: Key, cost: Double = 1, now: Instant) -> Bool {
        buckets[key]?.has(cost, now: now) ?? true
    }

    /// Seconds until `key` has `cost` tokens again.
    public func secondsUntil(_ key: Key, cost: Double = 1) -> Double {
        buckets[key]?.secondsUntil(cost) ?? 0
    }

    /// Forgets every full bucket.
    public mutating func forgetIdle(now: Instant) {
        buckets = buckets.filter { _, bucket in
            var bucket = bucket
            return !bucket.isFull(now: now)
        }
    }

    /// Makes room for one more key; false when every kept bucket is still in use.
    private mutating func makeRoom(now: Instant) -> Bool {
        guard buckets.count >= maximumKeys else { return true }
        if let lastSweep, now < lastSweep + .seconds(1) { return false }
        lastSweep = now
        forgetIdle(now: now)
        return buckets.count < maximumKeys
    }
}

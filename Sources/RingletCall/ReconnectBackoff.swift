import RingletCore

/// When to try again after a lost or failed connection: exponential backoff with jitter, reset once a
/// connection has lasted (a pure value: the caller passes the random source).
///
/// The n-th consecutive failure waits `initial × factor^(n-1)`, at most `maximum`, then ± `jitter` of that.
public struct ReconnectBackoff: Hashable, Sendable {
    /// The first delay. Default 0.5 s.
    public var initial: Duration = .milliseconds(500)
    /// The growth per failure. Default 2.
    public var factor: Double = 2
    /// The longest delay. Default 30 s.
    public var maximum: Duration = .seconds(30)
    /// The relative jitter (0 … 1). Default 0.2.
    public var jitter: Double = 0.2
    /// Consecutive failures so far.
    public private(set) var failures = 0

    /// The defaults.
    public init() {}

    /// Makes a backoff with its parameters.
    public init(initial: Duration, factor: Double = 2, maximum: Duration, jitter: Double = 0.2) {
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        self.jitter = jitter
    }

    /// Records one more failure and returns how long to wait before the next attempt.
    public mutating func nextDelay(using rng: inout some RandomNumberGenerator) -> Duration {
        failures += 1
        let base = min(seconds(initial) * pow(factor, Double(min(failures - 1, 64))), seconds(maximum))
        let j = max(0, min(1, jitter))
        let unit = Double(rng.next() >> 11) / Double(1 << 53)  // [0, 1)
        let delay = base * (1 - j + 2 * j * unit)
        return .nanoseconds(Int64(max(0, delay) * 1e9))
    }

    /// Forgets the failures (a connection succeeded and lasted).
    public mutating func reset() { failures = 0 }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func pow(_ x: Double, _ n: Double) -> Double {
        var r = 1.0
        var i = 0.0
        while i < n { r *= x; i += 1 }
        return r
    }
}

/// A point on a monotonic clock, in nanoseconds, supplied by the caller.
///
/// The protocol core never reads a clock: shells pass the current `Instant` into every state machine, and tests
/// pass a fake one. The origin is arbitrary; only differences between instants mean anything.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since an arbitrary origin.
    public var nanoseconds: Int64

    /// Makes an instant from nanoseconds since the caller's origin.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The origin of the caller's clock.
    public static let zero = Instant(nanoseconds: 0)

    /// Makes an instant from milliseconds since the caller's origin.
    public static func milliseconds(_ ms: Int64) -> Instant { Instant(nanoseconds: ms &* 1_000_000) }

    /// Milliseconds since the origin, rounded down.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The instant `duration` after this one.
    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondsClamped)
    }

    /// The instant `duration` before this one.
    public static func - (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds &- rhs.nanosecondsClamped)
    }

    /// The time from `rhs` to `lhs`.
    public static func - (lhs: Instant, rhs: Instant) -> Duration {
        .nanoseconds(lhs.nanoseconds &- rhs.nanoseconds)
    }

    public var description: String { "Instant(\(nanoseconds) ns)" }
}

extension Duration {
    /// This duration in whole nanoseconds, clamped to the range of `Int64`.
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (secNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = secNanos.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }
}

/// Converts presentation times in milliseconds to RTP timestamps and back for one clock rate
/// (RFC 3550 §5.1: the timestamp counts sampling instants and wraps at 2^32).
public struct RTPClock: Hashable, Sendable {
    /// Ticks per second.
    public let rate: UInt32

    /// Makes a clock; a rate of 0 is taken as 1.
    public init(rate: UInt32) { self.rate = max(1, rate) }

    /// The 90 kHz video clock (RFC 6184 §5.1, RFC 7798 §4.1).
    public static let video = RTPClock(rate: 90_000)
    /// The 48 kHz Opus clock (RFC 7587 §4.1).
    public static let opus = RTPClock(rate: 48_000)
    /// The 8 kHz G.711 clock (RFC 3551 §4.5.14).
    public static let g711 = RTPClock(rate: 8_000)

    /// Ticks in `milliseconds`, rounded toward negative infinity, modulo 2^64 (never traps).
    public func ticks(milliseconds ms: Int64) -> Int64 {
        var q = ms / 1000, r = ms % 1000
        if r < 0 { q -= 1; r += 1000 }
        return q &* Int64(rate) &+ (r * Int64(rate)) / 1000
    }

    /// The RTP timestamp for a presentation time: `base` plus the ticks in `milliseconds`, wrapping at 2^32.
    public func timestamp(milliseconds ms: Int64, base: UInt32 = 0) -> UInt32 {
        base &+ UInt32(truncatingIfNeeded: ticks(milliseconds: ms))
    }

    /// Milliseconds in `ticks` (an unwrapped timestamp difference), rounded toward negative infinity.
    public func milliseconds(ticks: Int64) -> Int64 {
        let rate = Int64(rate)
        var q = ticks / rate, r = ticks % rate
        if r < 0 { q -= 1; r += rate }
        return q &* 1000 &+ (r * 1000) / rate
    }
}

/// Extends wrapping 32-bit RTP timestamps to a 64-bit count of ticks since the first timestamp seen, so that a
/// stream longer than 2^32 ticks (13 h 15 min at 90 kHz) keeps increasing. A timestamp up to 2^31 ticks
/// behind the latest one is taken as older (reordered), not as a wrap.
public struct RTPTimestampUnwrapper: Hashable, Sendable {
    private var first: UInt32?
    private var last: UInt32 = 0
    private var lastExtended: Int64 = 0

    /// Makes an unwrapper that has seen nothing.
    public init() {}

    /// Ticks from the first timestamp seen to `timestamp` (0 for the first one; negative for an older one).
    public mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        guard first != nil else {
            first = timestamp
            last = timestamp
            lastExtended = 0
            return 0
        }
        let delta = Int64(Int32(bitPattern: timestamp &- last))
        let extended = lastExtended &+ delta
        if delta > 0 {
            last = timestamp
            lastExtended = extended
        }
        return extended
    }
}

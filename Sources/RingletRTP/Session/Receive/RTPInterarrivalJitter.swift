import RingletCore

/// The interarrival jitter estimate of RFC 3550 §6.4.1 and Appendix A.8, in RTP timestamp units.
///
/// Arrival times are converted to the stream's clock (`RTPClock.rate`) from the caller's `Instant`, counted from
/// the first arrival; the relative transit time `arrival − timestamp` is taken modulo 2^32, as the RFC does.
/// The estimate is kept scaled by 16 (the RFC's integer form: `J += |D| − (J + 8) / 16`).
struct RTPInterarrivalJitter: Sendable {
    let rate: Int64
    private var origin: Instant?
    private var lastTransit: UInt32 = 0
    private var hasTransit = false
    /// The estimate times 16.
    private var scaled: UInt64 = 0

    init(clock: RTPClock) { rate = Int64(clock.rate) }

    /// The current estimate, in timestamp units (what a report block carries).
    var value: UInt32 { UInt32(clamping: scaled >> 4) }

    /// `instant` in clock ticks since the first arrival, modulo 2^32.
    func ticks(at instant: Instant) -> UInt32 {
        guard let origin else { return 0 }
        let ns = instant.nanoseconds &- origin.nanoseconds
        let seconds = ns / 1_000_000_000, rest = ns % 1_000_000_000
        let ticks = seconds &* rate &+ (rest &* rate) / 1_000_000_000
        return UInt32(truncatingIfNeeded: ticks)
    }

    /// Takes one packet's RTP timestamp and arrival instant.
    mutating func update(timestamp: UInt32, arrival: Instant) {
        if origin == nil { origin = arrival }
        let transit = ticks(at: arrival) &- timestamp
        defer { lastTransit = transit; hasTransit = true }
        guard hasTransit else { return }
        let d = Int64(Int32(bitPattern: transit &- lastTransit)).magnitude
        // J += (|D| − J) / 16, in the scaled form.
        scaled = scaled &+ d &- ((scaled &+ 8) >> 4)
    }
}

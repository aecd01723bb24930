import RingletCore

extension CodedError.Code where Domain == RTPErrors {
    /// The first video frame given to a send stream is not a keyframe (the device SDK reports it as -306).
    public static var firstFrameNotKeyframe: Self { Self("firstFrameNotKeyframe") }
    /// A frame was given for a media kind the send session has no stream for.
    public static var noSuchStream: Self { Self("noSuchStream") }
    /// A frame is empty, larger than the configured maximum, or refused by its payload format.
    public static var invalidFrame: Self { Self("invalidFrame") }
    /// A send configuration value is out of range.
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
}

/// Which media source a send stream carries: the pacer sends audio before retransmissions before video.
public enum RTPSendMedia: Hashable, Sendable {
    /// The audio source (Opus or G.711).
    case audio
    /// The video source (H.264 or H.265).
    case video
}

/// A 64-bit NTP timestamp (RFC 5905 §6, used by RFC 3550 §4): seconds since 1900 in the high 32 bits, the
/// fraction of a second in the low 32 bits.
enum SendNTP {
    /// The NTP timestamp of `now`, given the NTP time at `Instant.zero` (`offset`). Wraps modulo 2^64.
    static func timestamp(_ now: Instant, offset: Duration) -> UInt64 {
        let ns = now.nanoseconds &+ offset.nanosecondsClamped
        var seconds = ns / 1_000_000_000
        var rest = ns % 1_000_000_000
        if rest < 0 { seconds &-= 1; rest &+= 1_000_000_000 }
        let fraction = (UInt64(rest) << 32) / 1_000_000_000
        return UInt64(bitPattern: seconds) << 32 | fraction
    }

    /// The middle 32 bits of an NTP timestamp, the unit of LSR (RFC 3550 §6.4.1): 1/65536 s.
    static func middle(_ ntp: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ntp >> 16) }

    /// abs-send-time (webrtc.org http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time): 6.18 fixed-point
    /// seconds, 24 bits.
    static func absSendTime(_ ntp: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ntp >> 14) & 0xFF_FFFF }
}

/// Bytes counted over a sliding window of `bucketCount` buckets of `bucketWidth` each (a fixed amount of
/// memory): the rate over the window and the total since the start.
struct SendRateWindow: Sendable {
    private var buckets: [Int64]
    private let bucketWidth: Int64
    private var newestBucket: Int64?
    private(set) var total: Int64 = 0
    private(set) var first: Instant?

    init(window: Duration = .seconds(1), buckets count: Int = 20) {
        let n = max(1, count)
        buckets = Array(repeating: 0, count: n)
        bucketWidth = max(1, window.nanosecondsClamped / Int64(n))
    }

    private var span: Int64 { bucketWidth &* Int64(buckets.count) }

    private mutating func advance(to now: Instant) {
        let index = now.nanoseconds / bucketWidth
        guard let newest = newestBucket else { newestBucket = index; return }
        guard index > newest else { return }
        let steps = min(index - newest, Int64(buckets.count))
        var k: Int64 = 1
        while k <= steps {
            buckets[Int((newest &+ k) % Int64(buckets.count) + Int64(buckets.count)) % buckets.count] = 0
            k += 1
        }
        newestBucket = index
    }

    mutating func add(_ bytes: Int, at now: Instant) {
        if first == nil { first = now }
        advance(to: now)
        let index = newestBucket ?? 0
        let slot = Int(index % Int64(buckets.count) + Int64(buckets.count)) % buckets.count
        buckets[slot] &+= Int64(bytes)
        total &+= Int64(bytes)
    }

    /// Bytes per second over the window ending at `now`.
    mutating func rate(at now: Instant) -> Int64 {
        advance(to: now)
        var sum: Int64 = 0
        for b in buckets { sum &+= b }
        guard let first else { return 0 }
        let elapsed = min(span, max(bucketWidth, now.nanoseconds &- first.nanoseconds))
        return sum &* 1_000_000_000 / elapsed
    }

    /// Bytes per second since the first byte counted.
    func average(at now: Instant) -> Int64 {
        guard let first else { return 0 }
        let elapsed = max(1_000_000, now.nanoseconds &- first.nanoseconds)
        return Int64(Double(total) * 1e9 / Double(elapsed))
    }
}

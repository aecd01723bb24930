import RingletCore

/// A congestion mark of the send queue, in bytes (the device API's "buffer"): crossing one upwards or falling
/// back below it raises ``RTPSendEvent/watermark(_:rising:queueBytes:)``.
public enum RTPSendWatermark: Int, Hashable, Sendable, Comparable {
    /// The low mark: the queue starts to build.
    case low = 1
    /// The warning mark: the application should lower its bitrate.
    case warn = 2
    /// The high mark: the link cannot keep up.
    case high = 3

    /// Marks order low < warn < high.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The send pacer: a queue of RTP packets released at a target rate in bursts of at most one interval's worth.
///
/// Order: audio first (never held by the budget, only counted), then retransmissions, then new video. The budget
/// is a leaky bucket: it earns `rate × elapsed` bytes, at most one burst interval's worth, and each packet
/// spends its size; non-audio packets leave only while it is positive. When the queue is over the hard limit,
/// whole video frames that have not started leaving are dropped, oldest first: non-key frames, and keyframes
/// that a newer queued keyframe supersedes. A retransmission is refused when the queue is over the limit.
struct RTPPacer: Sendable {
    /// Pacing settings (see ``RTPSendSession/Configuration``).
    struct Limits: Sendable {
        var burstInterval: Duration
        var low: Int
        var warn: Int
        var high: Int
        var maxQueueBytes: Int
    }

    let limits: Limits
    private var audio = FIFOQueue<RTPSendPacket>()
    private var retransmissions = FIFOQueue<RTPSendPacket>()
    private var video = FIFOQueue<RTPSendPacket>()
    /// The video frame whose packets have started leaving (it is never dropped).
    private var startedFrame: UInt64?
    /// Bytes per second the budget earns.
    private(set) var rate: Double
    private var budget: Double = 0
    private var lastRefill: Instant?
    /// Bytes queued (all queues).
    private(set) var queueBytes = 0
    private var level = 0
    /// Watermarks crossed since the last call to ``takeCrossings()``, in order.
    private var crossings: [(RTPSendWatermark, Bool)] = []
    /// Video frames dropped over the hard limit, since the start.
    private(set) var droppedFrames = 0

    init(limits: Limits, bytesPerSecond: Double) {
        self.limits = limits
        self.rate = max(1, bytesPerSecond)
    }

    /// Packets queued (all queues).
    var queuePackets: Int { audio.count + retransmissions.count + video.count }

    /// Changes the rate the budget earns, in bytes per second.
    mutating func setRate(bytesPerSecond: Double, now: Instant) {
        refill(now)
        rate = max(1, bytesPerSecond)
    }

    /// Queues the packets of one frame (all from one stream); returns how many video frames were dropped to stay
    /// under the hard limit (possibly this one).
    mutating func enqueue(frame packets: [RTPSendPacket]) -> Int {
        guard let first = packets.first else { return 0 }
        for p in packets {
            if first.media == .audio { audio.append(p) } else { video.append(p) }
            queueBytes += p.size
        }
        let dropped = first.media == .video ? dropOverLimit() : 0
        updateLevel()
        return dropped
    }

    /// Queues a retransmission ahead of new video; refused (false) when the queue is over the hard limit.
    mutating func enqueue(retransmission packet: RTPSendPacket) -> Bool {
        guard queueBytes + packet.size <= limits.maxQueueBytes else { return false }
        retransmissions.append(packet)
        queueBytes += packet.size
        updateLevel()
        return true
    }

    /// The next packet whose send time has come at `now`, or nil.
    mutating func pop(now: Instant) -> RTPSendPacket? {
        refill(now)
        var packet = audio.popFirst()
        if packet == nil, budget > 0 {
            packet = retransmissions.popFirst()
            if packet == nil, let p = video.popFirst() {
                startedFrame = p.marker ? nil : p.frameID
                packet = p
            }
        }
        guard let packet else { return nil }
        budget -= Double(packet.size)
        queueBytes -= packet.size
        updateLevel()
        return packet
    }

    /// When the pacer next has a packet to release: nil when empty, `now` when one may leave already.
    func nextWakeUp(now: Instant) -> Instant? {
        if !audio.isEmpty { return now }
        guard !retransmissions.isEmpty || !video.isEmpty else { return nil }
        var available = budget
        if let lastRefill {
            available = min(budget + rate * Double(max(0, now.nanoseconds &- lastRefill.nanoseconds)) / 1e9,
                            max(budget, burstBytes))
        }
        if available > 0 { return now }
        let waitNs = max(Double(limits.burstInterval.nanosecondsClamped), (-available + 1) / rate * 1e9)
        return now + .nanoseconds(Int64(min(waitNs, 1e12)))
    }

    /// Watermark crossings since the last call, in the order they happened.
    mutating func takeCrossings() -> [(RTPSendWatermark, Bool)] {
        defer { crossings.removeAll(keepingCapacity: true) }
        return crossings
    }

    private var burstBytes: Double { rate * Double(limits.burstInterval.nanosecondsClamped) / 1e9 }

    private mutating func refill(_ now: Instant) {
        guard let last = lastRefill else {
            lastRefill = now
            budget = burstBytes
            return
        }
        let elapsed = now.nanoseconds &- last.nanoseconds
        guard elapsed > 0 else { return }
        budget = min(budget + rate * Double(elapsed) / 1e9, max(budget, burstBytes))
        lastRefill = now
    }

    private mutating func updateLevel() {
        var new = 0
        if queueBytes >= limits.high { new = 3 } else if queueBytes >= limits.warn { new = 2 } else if queueBytes >= limits.low { new = 1 }
        while level < new {
            level += 1
            if let mark = RTPSendWatermark(rawValue: level) { crossings.append((mark, true)) }
        }
        while level > new {
            if let mark = RTPSendWatermark(rawValue: level) { crossings.append((mark, false)) }
            level -= 1
        }
    }

    /// Drops whole, unstarted video frames, oldest first, until the queue fits the hard limit.
    private mutating func dropOverLimit() -> Int {
        var dropped = 0
        while queueBytes > limits.maxQueueBytes {
            let queued = video.elements
            let newestKey = queued.last(where: { $0.isKeyframe })?.frameID
            guard let victim = queued.first(where: { p in
                p.frameID != startedFrame && (!p.isKeyframe || (newestKey.map { p.frameID != $0 } ?? false))
            })?.frameID else { break }
            var freed = 0
            video.removeAll { p in
                guard p.frameID == victim else { return false }
                freed += p.size
                return true
            }
            queueBytes -= freed
            dropped += 1
        }
        droppedFrames += dropped
        return dropped
    }
}

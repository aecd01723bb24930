import RingletCore
import RingletRTP

/// The receive side of transport-wide congestion control
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): records when each transport-wide sequence number
/// arrived and, every interval, turns the new ones into one `RTCPTransportWideFeedback`.
///
/// Bounded: at most ``maxPackets`` sequence numbers wait for a report; older ones are forgotten. Sequence
/// numbers are unwrapped to 64 bits against the highest seen.
struct TransportFeedbackGenerator {
    /// Most arrivals held between reports.
    static let maxPackets = 2048
    let interval: Duration
    private(set) var nextDeadline: Instant?
    private var arrivals: [Int64: Instant] = [:]
    private var highest: Int64?
    private var nextBase: Int64?
    private var feedbackCount: UInt8 = 0

    init(interval: Duration) { self.interval = interval }

    mutating func record(sequenceNumber: UInt16, arrival: Instant) {
        let index: Int64
        if let h = highest {
            let delta = Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: h)))
            index = h &+ delta
        } else {
            index = Int64(sequenceNumber)
        }
        if highest.map({ index > $0 }) ?? true { highest = index }
        if let base = nextBase, index < base { return }
        if arrivals[index] == nil { arrivals[index] = arrival }
        if nextBase == nil { nextBase = index }
        if arrivals.count > Self.maxPackets, let h = highest {
            let floor = h &- Int64(Self.maxPackets)
            arrivals = arrivals.filter { $0.key > floor }
            if let b = nextBase, b <= floor { nextBase = floor &+ 1 }
        }
        if nextDeadline == nil { nextDeadline = arrival + interval }
    }

    /// The feedback for everything recorded since the last one, or nil when there is nothing (or it cannot be
    /// encoded, e.g. a gap of more than 8 s between arrivals: then the batch is dropped).
    mutating func makeFeedback(senderSSRC: UInt32, mediaSSRC: UInt32, now: Instant) -> RTCPTransportWideFeedback? {
        nextDeadline = nil
        guard let base = nextBase, let h = highest, h >= base, !arrivals.isEmpty else { return nil }
        let end = min(h, base &+ 0xFFFF)
        var list = [Instant?]()
        list.reserveCapacity(Int(end &- base &+ 1))
        var i = base
        while i <= end {
            list.append(arrivals.removeValue(forKey: i))
            i &+= 1
        }
        nextBase = end &+ 1
        if !arrivals.isEmpty { nextDeadline = now + interval }
        let count = feedbackCount
        feedbackCount &+= 1
        return try? RTCPTransportWideFeedback(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: UInt16(truncatingIfNeeded: base),
            feedbackPacketCount: count, arrivals: list)
    }
}

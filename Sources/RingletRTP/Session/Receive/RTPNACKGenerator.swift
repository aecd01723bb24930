import RingletCore

/// Which packets to request again with generic NACK (RFC 4585 §6.2.1), and when.
///
/// A gap in the sequence adds its numbers to the missing list (ascending indexes). Each is first requested
/// `reorderDelay` after it was found missing, then again every round-trip time, at most `maxRetries` times, and
/// forgotten once it is older than the jitter buffer's `maxDelay` (it would be skipped anyway). The list holds
/// at most `maxMissing` numbers: a larger gap clears it (the caller asks for a keyframe instead), and when it is
/// full the oldest numbers go first.
struct RTPNACKGenerator: Sendable {
    struct Missing: Sendable {
        var index: Int64
        var since: Instant
        var due: Instant
        var sent: Int
    }

    let reorderDelay: Duration
    let maxRetries: Int
    let maxMissing: Int
    let maxAge: Duration
    var roundTripTime: Duration

    /// Missing packets, ascending index.
    private(set) var missing: [Missing] = []
    private var first = 0

    init(configuration c: RTPReceiveStream.Configuration) {
        reorderDelay = c.nackReorderDelay
        maxRetries = c.maxNACKRetries
        maxMissing = c.maxMissingPackets
        maxAge = c.maxDelay
        roundTripTime = c.defaultRoundTripTime
    }

    var count: Int { missing.count - first }

    /// Records a new highest index; numbers between the previous highest and it are missing.
    /// - Returns: false when the gap is larger than `maxMissing` (the list is cleared: give up, ask a keyframe).
    mutating func handleNewHighest(_ index: Int64, previous: Int64, now: Instant) -> Bool {
        let gap = index &- previous &- 1
        guard gap > 0 else { return true }
        guard gap <= Int64(maxMissing) else {
            clear()
            return false
        }
        compact()
        var i = previous &+ 1
        while i < index {
            missing.append(Missing(index: i, since: now, due: now + reorderDelay, sent: 0))
            i &+= 1
        }
        let excess = count - maxMissing
        if excess > 0 { first += excess }
        return true
    }

    /// Removes `index` from the list when it arrives.
    /// - Returns: whether it had been requested (the packet was recovered by NACK), or nil if it was not missing.
    mutating func handleArrival(_ index: Int64) -> Bool? {
        guard let k = position(of: index) else { return nil }
        let wasSent = missing[k].sent > 0
        missing.remove(at: k)
        return wasSent
    }

    /// Forgets every index below `index` (the jitter buffer has skipped or released them).
    mutating func removeAll(below index: Int64) {
        while first < missing.count, missing[first].index < index { first += 1 }
        if first == missing.count { clear() }
    }

    mutating func clear() {
        missing.removeAll(keepingCapacity: true)
        first = 0
    }

    /// The sequence numbers due at `now`, marked as sent; entries too old or out of retries are dropped.
    mutating func takeDue(now: Instant) -> [UInt16] {
        var out: [UInt16] = []
        var k = first
        while k < missing.count {
            let m = missing[k]
            if now - m.since > maxAge || m.sent >= maxRetries {
                missing.remove(at: k)
                continue
            }
            if m.due <= now {
                out.append(UInt16(truncatingIfNeeded: m.index))
                missing[k].sent += 1
                missing[k].due = now + roundTripTime
            }
            k += 1
        }
        return out
    }

    /// When the next NACK falls due (or an entry expires), nil when nothing is missing.
    var nextDeadline: Instant? {
        var best: Instant?
        for k in first..<missing.count {
            let m = missing[k]
            let t = m.sent >= maxRetries ? m.since + maxAge : min(m.due, m.since + maxAge)
            if best.map({ t < $0 }) ?? true { best = t }
        }
        return best
    }

    private mutating func compact() {
        guard first > 0 else { return }
        missing.removeFirst(first)
        first = 0
    }

    private func position(of index: Int64) -> Int? {
        var lo = first, hi = missing.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if missing[mid].index < index { lo = mid + 1 } else { hi = mid }
        }
        return lo < missing.count && missing[lo].index == index ? lo : nil
    }
}

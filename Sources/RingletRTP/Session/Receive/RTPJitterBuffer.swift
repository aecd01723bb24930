import RingletCore

/// Holds received packets in sequence order until they can be released in order (RFC 3550 leaves this to the
/// receiver), bounded in packets and bytes.
///
/// Packets are stored in a ring indexed by their 64-bit sequence index (see `RTPSequenceTracker`). `head` is the
/// next index to release. A present head leaves once it has been held `playoutDelay`; a missing head is skipped
/// once the oldest packet held has waited `maxDelay`. `forced` steps (memory limits, a packet too far ahead)
/// ignore both delays. A ring of received indexes, larger than the buffer, tells duplicates from late packets.
struct RTPJitterBuffer: Sendable {
    struct Slot: Sendable {
        var index: Int64
        var packet: RTPPacket
        var arrival: Instant
    }

    /// One step of the release.
    enum Step: Sendable {
        /// The head packet, released.
        case packet(Slot)
        /// Missing indexes given up.
        case skipped(Range<Int64>)
    }

    /// What `insert` did with a packet.
    enum Insertion: Equatable, Sendable {
        case inserted
        case duplicate
        case late
    }

    let maxPackets: Int
    let maxBytes: Int
    let maxDelay: Duration
    let playoutDelay: Duration

    private var slots: [Slot?]
    private let mask: Int64
    private var history: [Int64]
    private let historyMask: Int64
    /// Next index to release; nil before the first packet.
    private(set) var head: Int64?
    private(set) var count = 0
    private(set) var bytes = 0
    private var oldestArrival: Instant?
    private var oldestDirty = false
    /// The highest index inserted since the last reset.
    private var highestHeld: Int64?
    /// Whether anything was released or skipped yet: until then, a reordered packet before the head moves it back.
    private var released = false

    init(configuration c: RTPReceiveStream.Configuration) {
        maxPackets = c.maxPackets
        maxBytes = c.maxBytes
        maxDelay = c.maxDelay
        playoutDelay = c.playoutDelay
        var capacity = 16
        while capacity < c.maxPackets { capacity <<= 1 }
        slots = Array(repeating: nil, count: capacity)
        mask = Int64(capacity - 1)
        let historySize = max(capacity * 2, 4096)
        history = Array(repeating: .min, count: historySize)
        historyMask = Int64(historySize - 1)
    }

    /// The ring's size: indexes at or beyond `head + capacity` need the head to move first.
    var capacity: Int64 { mask &+ 1 }

    /// Whether a packet of `size` bytes at `index` fits without forcing the head forward.
    func hasRoom(for index: Int64, size: Int) -> Bool {
        guard let head else { return true }
        return index < head &+ capacity && count < maxPackets && bytes &+ size <= maxBytes
    }

    /// Whether `index` was received recently.
    func wasReceived(_ index: Int64) -> Bool { history[Int(index & historyMask)] == index }

    /// Stores a packet. Call `hasRoom` first and force steps until it holds.
    mutating func insert(_ packet: RTPPacket, index: Int64, arrival: Instant) -> Insertion {
        if wasReceived(index) { return .duplicate }
        if head == nil { head = index }
        if !released, let h = head, index < h, let top = highestHeld, top &- index < capacity { head = index }
        guard let head, index >= head else { return .late }
        if highestHeld.map({ index > $0 }) ?? true { highestHeld = index }
        let k = Int(index & mask)
        if let old = slots[k] {
            // Only reachable if the caller skipped `hasRoom`: the older packet goes.
            bytes -= old.packet.rawBytes.count
            count -= 1
        }
        slots[k] = Slot(index: index, packet: packet, arrival: arrival)
        history[Int(index & historyMask)] = index
        count += 1
        bytes += packet.rawBytes.count
        if let o = oldestArrival { if arrival < o { oldestArrival = arrival } } else if !oldestDirty { oldestArrival = arrival }
        return .inserted
    }

    /// Forgets everything (a sender restart); the next packet sets the head.
    mutating func reset() {
        for k in slots.indices { slots[k] = nil }
        for k in history.indices { history[k] = .min }
        released = false
        head = nil
        highestHeld = nil
        count = 0
        bytes = 0
        oldestArrival = nil
        oldestDirty = false
    }

    /// Drops every packet held (never expected: held packets always lie within the ring's window).
    private mutating func dropAll() {
        for k in slots.indices { slots[k] = nil }
        count = 0
        bytes = 0
        oldestArrival = nil
        oldestDirty = false
    }

    /// Moves the head to `index` when nothing is held (a jump past the ring); returns the indexes skipped.
    mutating func jumpIfEmpty(to index: Int64) -> Range<Int64>? {
        guard count == 0, let h = head, index > h else { return nil }
        released = true
        head = index
        return h..<index
    }

    /// When the next step becomes possible, nil when nothing is held.
    mutating func nextDeadline() -> Instant? {
        guard let head, count > 0 else { return nil }
        if let s = slots[Int(head & mask)], s.index == head { return s.arrival + playoutDelay }
        return oldest().map { $0 + maxDelay }
    }

    /// The next release step at `now`, or nil when the head must wait. `forced` ignores the delays.
    mutating func next(now: Instant, forced: Bool = false) -> Step? {
        guard let h = head, count > 0 else { return nil }
        let k = Int(h & mask)
        if let s = slots[k], s.index == h {
            guard forced || s.arrival + playoutDelay <= now else { return nil }
            released = true
            slots[k] = nil
            count -= 1
            bytes -= s.packet.rawBytes.count
            head = h &+ 1
            if s.arrival == oldestArrival { oldestArrival = nil; oldestDirty = true }
            return .packet(s)
        }
        if !forced {
            guard let o = oldest(), o + maxDelay <= now else { return nil }
        }
        released = true
        var i = h &+ 1
        let end = h &+ capacity
        while i < end {
            if let s = slots[Int(i & mask)], s.index == i { break }
            i &+= 1
        }
        if i == end { dropAll() }
        head = i
        return .skipped(h..<i)
    }

    private mutating func oldest() -> Instant? {
        if oldestDirty {
            oldestDirty = false
            oldestArrival = nil
            if count > 0 {
                for case let s? in slots where oldestArrival.map({ s.arrival < $0 }) ?? true {
                    oldestArrival = s.arrival
                }
            }
        }
        return oldestArrival
    }
}

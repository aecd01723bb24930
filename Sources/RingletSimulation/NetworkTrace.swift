import RingletCore

/// Why the simulated network dropped a datagram.
public enum DropReason: String, Hashable, Sendable, CaseIterable {
    /// Random loss on a link (`LinkConditions.lossProbability`).
    case lost
    /// Loss aimed at one kind of datagram on a link (`LinkConditions.kindLoss`).
    case kindLost
    /// A link's queue was full (`LinkConditions.queueCapacityBytes`).
    case queueOverflow
    /// The path or the host is cut (`cutPath`, `cut(host:)`).
    case cut
    /// Nothing in the realm owns the destination address and there is no NAT to go up through.
    case noRoute
    /// The source address is not one of the sending host's addresses.
    case notLocal
    /// Sent to a NAT's public address on a port with no live mapping (none made, or expired).
    case noMapping
    /// A NAT's inbound filter refused an unsolicited datagram (RFC 4787 §5).
    case filtered
    /// Sent to the NAT's own public address from inside, and the NAT does not hairpin (RFC 4787 §6).
    case hairpinRefused
    /// The NAT has no free external port.
    case portsExhausted
}

/// One thing the network did with a datagram, for debugging and determinism checks.
public struct NetworkTraceEntry: Hashable, Sendable, CustomStringConvertible {
    /// What happened.
    public enum Event: Hashable, Sendable {
        /// Handed to `host` (the datagram as the host sees it, after any NAT translation).
        case delivered(HostID)
        /// Dropped (the datagram as it was where it was dropped).
        case dropped(DropReason)
    }

    /// When it happened.
    public let time: Instant
    /// What happened.
    public let event: Event
    /// The datagram at that point.
    public let datagram: Datagram

    /// Makes an entry.
    public init(time: Instant, event: Event, datagram: Datagram) {
        self.time = time
        self.event = event
        self.datagram = datagram
    }

    /// "t=… ms delivered host#1 a → b (n bytes)".
    public var description: String {
        let what: String
        switch event {
        case .delivered(let host): what = "delivered host#\(host.rawValue)"
        case .dropped(let reason): what = "dropped \(reason.rawValue)"
        }
        return "t=\(time.nanoseconds)ns \(what) \(datagram.source) → \(datagram.destination) "
            + "(\(datagram.payload.count) bytes)"
    }
}

extension Array where Element == NetworkTraceEntry {
    /// A 64-bit FNV-1a digest of every entry (time, event, addresses, payload): equal traces give equal digests in
    /// any process, so two runs can be compared by one number.
    public var digest: UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        @inline(__always) func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        func mix64(_ v: UInt64) { for i in 0..<8 { mix(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
        func mixAddress(_ a: TransportAddress) {
            for b in a.ip.bytes { mix(b) }
            mix64(UInt64(a.port))
        }
        for entry in self {
            mix64(UInt64(bitPattern: entry.time.nanoseconds))
            switch entry.event {
            case .delivered(let host): mix(0); mix64(UInt64(truncatingIfNeeded: host.rawValue))
            case .dropped(let reason): mix(1); for b in reason.rawValue.utf8 { mix(b) }
            }
            mixAddress(entry.datagram.source)
            mixAddress(entry.datagram.destination)
            mix64(UInt64(entry.datagram.payload.count))
            for b in entry.datagram.payload { mix(b) }
        }
        return h
    }
}

/// Counters of what the network did since it was made.
public struct NetworkStatistics: Hashable, Sendable {
    /// Datagrams handed to `send`.
    public internal(set) var sent = 0
    /// Datagrams delivered to a host (duplicates count each time).
    public internal(set) var delivered = 0
    /// Extra copies made by link duplication.
    public internal(set) var duplicated = 0
    /// Drops, by reason.
    public internal(set) var drops: [DropReason: Int] = [:]

    /// Drops for one reason.
    public func dropped(_ reason: DropReason) -> Int { drops[reason] ?? 0 }
    /// Drops for every reason.
    public var totalDropped: Int { drops.values.reduce(0, +) }
}

/// A min-heap of scheduled network events, ordered by time then by scheduling order (so ties are FIFO and the
/// order never depends on hashing).
struct EventQueue<Payload>: Sendable where Payload: Sendable {
    struct Entry: Sendable {
        var time: Instant
        var sequence: UInt64
        var payload: Payload
        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var earliest: Instant? { heap.first?.time }

    mutating func push(_ payload: Payload, at time: Instant) {
        heap.append(Entry(time: time, sequence: nextSequence, payload: payload))
        nextSequence &+= 1
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].precedes(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func pop(dueBy now: Instant) -> Entry? {
        guard let first = heap.first, first.time <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < heap.count, heap[l].precedes(heap[best]) { best = l }
                if r < heap.count, heap[r].precedes(heap[best]) { best = r }
                if best == i { break }
                heap.swapAt(i, best)
                i = best
            }
        }
        return first
    }
}

import RingletCore

/// The packets of one stream sent recently, kept for retransmission on a generic NACK (RFC 4585 §6.2.1).
///
/// Bounded by count (a ring indexed by sequence number, so a lookup costs one slot read) and by age (older
/// packets are not resent and are released by ``prune(now:)``). Each packet is resent at most once per
/// `minInterval` (about one RTT), so repeated NACKs for one loss do not multiply the traffic.
struct RTPRetransmissionBuffer: Sendable {
    private struct Slot: Sendable {
        var packet: RTPSendPacket
        var sentAt: Instant
        var lastRetransmission: Instant?
    }

    let capacity: Int
    let maxAge: Duration
    private var slots: [Slot?]
    private var oldest: UInt16?
    private var newest: UInt16?
    /// Packets held.
    private(set) var count = 0

    init(capacity: Int, maxAge: Duration) {
        self.capacity = min(max(1, capacity), 32_768)
        self.maxAge = maxAge
        slots = Array(repeating: nil, count: self.capacity)
    }

    private func index(_ seq: UInt16) -> Int { Int(seq) % capacity }

    /// Keeps a packet that has just been sent for the first time.
    mutating func store(_ packet: RTPSendPacket, sentAt now: Instant) {
        let seq = packet.sequenceNumber
        let i = index(seq)
        if slots[i] == nil { count += 1 }
        slots[i] = Slot(packet: packet, sentAt: now, lastRetransmission: nil)
        if oldest == nil { oldest = seq }
        newest = seq
        if let o = oldest, seq &- o >= UInt16(capacity) { oldest = seq &- UInt16(capacity - 1) }
        prune(now: now)
    }

    /// The packet to resend for a NACKed sequence number, or nil when it is no longer held, too old, or was
    /// resent less than `minInterval` ago. Marks it as resent at `now`.
    mutating func retransmission(of seq: UInt16, now: Instant, minInterval: Duration) -> RTPSendPacket? {
        let i = index(seq)
        guard var slot = slots[i], slot.packet.sequenceNumber == seq else { return nil }
        guard now - slot.sentAt <= maxAge else { return nil }
        if let last = slot.lastRetransmission, now - last < minInterval { return nil }
        slot.lastRetransmission = now
        slots[i] = slot
        var packet = slot.packet
        packet.isRetransmission = true
        return packet
    }

    /// Releases packets older than the age limit, oldest first.
    mutating func prune(now: Instant) {
        guard var o = oldest, let n = newest else { return }
        while true {
            let i = index(o)
            if let slot = slots[i], slot.packet.sequenceNumber == o {
                guard now - slot.sentAt > maxAge else { break }
                slots[i] = nil
                count -= 1
            }
            if o == n {
                oldest = nil
                newest = nil
                return
            }
            o &+= 1
        }
        oldest = o
    }
}

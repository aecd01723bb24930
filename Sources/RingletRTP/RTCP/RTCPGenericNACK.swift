import RingletCore

/// An RTPFB generic NACK (RFC 4585 §6.2.1): lost RTP packets as (PID, BLP) pairs.
///
/// ```
/// |V=2|P|  FMT=1  |   PT=205      |          length               |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source                         |
/// |            PID                |             BLP               |  (repeated)
/// ```
/// PID is a lost sequence number; bit i of BLP (least significant first) marks PID+i+1 lost too.
public struct RTCPGenericNACK: Hashable, Sendable {
    /// One FCI entry: a lost packet ID and a bitmask of the 16 packets after it.
    public struct Entry: Hashable, Sendable {
        /// Packet ID: the sequence number of a lost packet.
        public let packetID: UInt16
        /// Bitmask of following lost packets: bit i means `packetID + i + 1` is lost.
        public let lostBitmask: UInt16

        /// Makes an entry.
        public init(packetID: UInt16, lostBitmask: UInt16) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }
    }

    /// The SSRC of the packet's sender.
    public let senderSSRC: UInt32
    /// The SSRC of the media source whose packets were lost.
    public let mediaSSRC: UInt32
    /// The FCI entries.
    public let entries: [Entry]

    /// Makes a NACK from entries.
    ///
    /// - Throws: ``RTPError`` `.badLength` when there are too many entries for the length field.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, entries: [Entry]) throws(RTPError) {
        guard entries.count <= Int(UInt16.max) - 2 else {
            throw RTPError(.badLength, field: "RTCP.NACK", "\(entries.count) entries exceed the length field")
        }
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    /// Makes a NACK for lost sequence numbers, given in ascending order (modulo 2^16). Each entry covers its PID and
    /// the 16 numbers after it; a number outside that window starts a new entry.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: [UInt16]) throws(RTPError) {
        var list = [Entry]()
        var pid: UInt16 = 0
        var mask: UInt16 = 0
        var open = false
        for seq in lostSequenceNumbers {
            let distance = seq &- pid
            if open, distance >= 1, distance <= 16 {
                mask |= 1 << (distance - 1)
            } else if open, distance == 0 {
                continue
            } else {
                if open { list.append(Entry(packetID: pid, lostBitmask: mask)) }
                pid = seq
                mask = 0
                open = true
            }
        }
        if open { list.append(Entry(packetID: pid, lostBitmask: mask)) }
        try self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, entries: list)
    }

    /// Every sequence number this NACK reports lost, in entry order.
    public var lostSequenceNumbers: [UInt16] {
        var out = [UInt16]()
        out.reserveCapacity(entries.count)
        for entry in entries {
            out.append(entry.packetID)
            var mask = entry.lostBitmask
            var i: UInt16 = 1
            while mask != 0 {
                if mask & 1 != 0 { out.append(entry.packetID &+ i) }
                mask >>= 1
                i += 1
            }
        }
        return out
    }

    init(body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.NACK")
        senderSSRC = try r.u32()
        mediaSSRC = try r.u32()
        guard r.remaining % 4 == 0 else {
            throw RTPError(.badLength, field: "RTCP.NACK", offset: r.offset, "FCI of \(r.remaining) bytes is not whole entries")
        }
        var list = [Entry]()
        list.reserveCapacity(r.remaining / 4)
        while !r.isAtEnd {
            list.append(Entry(packetID: try r.u16(), lostBitmask: try r.u16()))
        }
        entries = list
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { 12 + 4 * entries.count }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: RTCPFeedbackFormat.genericNACK.rawValue, type: .transportFeedback,
                               bodyLength: encodedSize - 4)
        writer.writeUInt32(senderSSRC)
        writer.writeUInt32(mediaSSRC)
        for entry in entries {
            writer.writeUInt16(entry.packetID)
            writer.writeUInt16(entry.lostBitmask)
        }
    }
}

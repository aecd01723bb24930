import RingletCore

/// A PSFB full intra request, FIR (RFC 5104 §4.3.1): asks each listed media sender for a decoder refresh point.
///
/// ```
/// |V=2|P|  FMT=4  |   PT=206      |          length               |
/// |                  SSRC of packet sender                        |
/// |             SSRC of media source (unused, 0)                  |
/// |                              SSRC                             |  (FCI entry,
/// | Seq nr.       |    Reserved                                   |   repeated)
/// ```
public struct RTCPFullIntraRequest: Hashable, Sendable {
    /// One FCI entry: the media sender asked, and the request's command sequence number.
    public struct Entry: Hashable, Sendable {
        /// The SSRC of the media sender that should send a refresh point.
        public let ssrc: UInt32
        /// Command sequence number, incremented per new request to that sender (RFC 5104 §4.3.1.1).
        public let sequenceNumber: UInt8

        /// Makes an entry.
        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    /// The SSRC of the packet's sender.
    public let senderSSRC: UInt32
    /// The "SSRC of media source" field, which RFC 5104 says is unused and set to 0; kept for round trips.
    public let mediaSSRC: UInt32
    /// The FCI entries.
    public let entries: [Entry]

    /// Makes a FIR.
    ///
    /// - Throws: ``RTPError`` `.badLength` when there are too many entries for the length field.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) throws(RTPError) {
        guard entries.count <= (Int(UInt16.max) - 2) / 2 else {
            throw RTPError(.badLength, field: "RTCP.FIR", "\(entries.count) entries exceed the length field")
        }
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    init(body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.FIR")
        senderSSRC = try r.u32()
        mediaSSRC = try r.u32()
        guard r.remaining % 8 == 0 else {
            throw RTPError(.badLength, field: "RTCP.FIR", offset: r.offset, "FCI of \(r.remaining) bytes is not whole entries")
        }
        var list = [Entry]()
        list.reserveCapacity(r.remaining / 8)
        while !r.isAtEnd {
            let ssrc = try r.u32()
            let seq = try r.u8()
            try r.skip(3)
            list.append(Entry(ssrc: ssrc, sequenceNumber: seq))
        }
        entries = list
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { 12 + 8 * entries.count }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: RTCPFeedbackFormat.fullIntraRequest.rawValue, type: .payloadSpecificFeedback,
                               bodyLength: encodedSize - 4)
        writer.writeUInt32(senderSSRC)
        writer.writeUInt32(mediaSSRC)
        for entry in entries {
            writer.writeUInt32(entry.ssrc)
            writer.writeUInt8(entry.sequenceNumber)
            writer.writeUInt24(0)
        }
    }
}

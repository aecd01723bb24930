import RingletCore

/// An RTP data packet (RFC 3550 §5.1): fixed header, CSRC list, optional header extension (RFC 3550 §5.3.1,
/// RFC 8285), payload and padding.
///
/// Parsing does not copy: the payload, the extension body and the padding are slices of the input. A parsed
/// packet re-encodes to exactly the bytes it came from. See ``RTPHeader`` for the layout and for a cheaper view.
public struct RTPPacket: Hashable, Sendable {
    /// The marker bit (M); its meaning is set by the profile (for video, the last packet of a frame).
    public let marker: Bool
    /// Payload type (PT), 0–127.
    public let payloadType: UInt8
    /// Sequence number.
    public let sequenceNumber: UInt16
    /// RTP timestamp.
    public let timestamp: UInt32
    /// Synchronization source.
    public let ssrc: UInt32
    /// Contributing sources (at most 15).
    public let csrcs: [UInt32]
    /// The header extension, when the X bit is set.
    public let headerExtension: RTPHeaderExtension?
    /// The payload, padding excluded.
    public let payload: ArraySlice<UInt8>
    /// The padding (RFC 3550 §5.1, P bit): empty when there is none; else its bytes, the last being its length.
    public let padding: ArraySlice<UInt8>

    /// Number of padding bytes (0 when the P bit is clear).
    public var paddingLength: Int { padding.count }

    /// Makes a packet to send.
    ///
    /// - Parameters:
    ///   - paddingLength: bytes of padding to add (0–255); all zero except the last, which holds the count.
    /// - Throws: ``RTPError`` `.invalidValue` when the payload type exceeds 7 bits, there are more than 15 CSRCs
    ///   or the padding length is out of range.
    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil, payload: ArraySlice<UInt8>,
                paddingLength: Int = 0) throws(RTPError) {
        guard payloadType <= 127 else {
            throw RTPError(.invalidValue, field: "RTP.payloadType", "payload type \(payloadType) exceeds 7 bits")
        }
        guard csrcs.count <= 15 else {
            throw RTPError(.invalidValue, field: "RTP.csrc", "\(csrcs.count) CSRCs, at most 15")
        }
        guard (0...255).contains(paddingLength) else {
            throw RTPError(.invalidValue, field: "RTP.padding", "padding length \(paddingLength) not in 0–255")
        }
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
        self.payload = payload
        if paddingLength > 0 {
            var pad = [UInt8](repeating: 0, count: paddingLength)
            pad[paddingLength - 1] = UInt8(paddingLength)
            padding = pad[...]
        } else {
            padding = []
        }
    }

    /// Makes a packet to send from a payload array. See the other initializer.
    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil, payload: [UInt8],
                paddingLength: Int = 0) throws(RTPError) {
        try self.init(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber,
                      timestamp: timestamp, ssrc: ssrc, csrcs: csrcs, headerExtension: headerExtension,
                      payload: payload[...], paddingLength: paddingLength)
    }

    /// Parses a whole RTP packet.
    ///
    /// - Throws: ``RTPError``: `.truncated`, `.badVersion`, `.badPadding` (P set with a count of 0 or larger than
    ///   what follows the header), `.badHeaderExtension`.
    @inlinable
    public init(parsing bytes: [UInt8]) throws(RTPError) {
        try self.init(parsing: bytes[...])
    }

    /// Parses a whole RTP packet from a slice; payload and extension are slices of it. Offsets in errors count
    /// from `bytes.startIndex`.
    public init(parsing bytes: ArraySlice<UInt8>) throws(RTPError) {
        let header = try RTPHeader(parsing: bytes)
        let start = bytes.startIndex
        let end = bytes.endIndex
        var paddingCount = 0
        if header.hasPadding {
            guard end > start + header.headerLength else {
                throw RTPError(.badPadding, field: "RTP.padding", offset: header.headerLength,
                               "padding bit set but nothing follows the header")
            }
            paddingCount = Int(bytes[end - 1])
            guard paddingCount >= 1, paddingCount <= end - start - header.headerLength else {
                throw RTPError(.badPadding, field: "RTP.padding", offset: end - start - 1,
                               "padding count \(paddingCount) with \(end - start - header.headerLength) bytes after the header")
            }
        }
        marker = header.marker
        payloadType = header.payloadType
        sequenceNumber = header.sequenceNumber
        timestamp = header.timestamp
        ssrc = header.ssrc
        if header.csrcCount > 0 {
            var list = [UInt32]()
            list.reserveCapacity(header.csrcCount)
            var i = start + 12
            for _ in 0..<header.csrcCount {
                list.append(UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8
                    | UInt32(bytes[i + 3]))
                i += 4
            }
            csrcs = list
        } else {
            csrcs = []
        }
        if header.hasExtension {
            let e = start + 12 + 4 * header.csrcCount
            let profile = UInt16(bytes[e]) << 8 | UInt16(bytes[e + 1])
            headerExtension = try RTPHeaderExtension(parsedProfile: profile, data: bytes[(e + 4)..<(start + header.headerLength)],
                                                     offset: e + 4 - start)
        } else {
            headerExtension = nil
        }
        payload = bytes[(start + header.headerLength)..<(end - paddingCount)]
        padding = bytes[(end - paddingCount)..<end]
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int {
        12 + 4 * csrcs.count + (headerExtension?.encodedSize ?? 0) + payload.count + padding.count
    }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        var b0: UInt8 = 0x80 | UInt8(truncatingIfNeeded: csrcs.count & 0x0F)
        if !padding.isEmpty { b0 |= 0x20 }
        if headerExtension != nil { b0 |= 0x10 }
        writer.writeUInt8(b0)
        writer.writeUInt8((marker ? 0x80 : 0) | (payloadType & 0x7F))
        writer.writeUInt16(sequenceNumber)
        writer.writeUInt32(timestamp)
        writer.writeUInt32(ssrc)
        for csrc in csrcs { writer.writeUInt32(csrc) }
        headerExtension?.encode(into: &writer)
        writer.writeBytes(payload)
        writer.writeBytes(padding)
    }

    /// The packet's bytes in a new array.
    public var bytes: [UInt8] {
        var writer = ByteWriter(capacity: encodedSize)
        encode(into: &writer)
        return writer.bytes
    }

    /// Whether `bytes` could be an RTP packet (see ``RTPHeader/looksLikeRTP(_:)``).
    @inlinable
    public static func looksLikeRTP<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        RTPHeader.looksLikeRTP(bytes)
    }
}

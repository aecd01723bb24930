import RingletCore

/// An RTP data packet (RFC 3550 §5.1): fixed header, CSRC list, optional header extension (RFC 3550 §5.3.1,
/// RFC 8285), payload and padding.
///
/// The packet keeps its wire bytes (``rawBytes``): parsing copies nothing and retains the input once; the payload,
/// CSRCs, header extension and padding are read from those bytes on access. A parsed packet re-encodes to exactly
/// the bytes it came from, and two packets are equal when their bytes are. A built packet is encoded once, at
/// initialization. See ``RTPHeader`` for the layout and for a cheaper view.
public struct RTPPacket: Hashable, Sendable {
    /// The packet's wire bytes: a slice of the parsed input, or the encoding of a built packet.
    public let rawBytes: ArraySlice<UInt8>
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
    /// Number of CSRCs (CC).
    public let csrcCount: Int
    /// Index in ``rawBytes`` where the payload starts (after the header and extension).
    public let payloadStart: Int
    /// Index in ``rawBytes`` where the padding starts (``rawBytes``'s end when there is none).
    public let paddingStart: Int
    private let hasExtension: Bool

    /// Contributing sources (at most 15), decoded from the header.
    public var csrcs: [UInt32] {
        guard csrcCount > 0 else { return [] }
        let s = rawBytes.startIndex + 12
        return (0..<csrcCount).map { k in
            let i = s + 4 * k
            return UInt32(rawBytes[i]) << 24 | UInt32(rawBytes[i + 1]) << 16 | UInt32(rawBytes[i + 2]) << 8
                | UInt32(rawBytes[i + 3])
        }
    }

    /// The header extension, when the X bit is set (its body is a slice of ``rawBytes``).
    public var headerExtension: RTPHeaderExtension? {
        guard hasExtension else { return nil }
        let e = rawBytes.startIndex + 12 + 4 * csrcCount
        let profile = UInt16(rawBytes[e]) << 8 | UInt16(rawBytes[e + 1])
        return RTPHeaderExtension(unchecked: profile, data: rawBytes[(e + 4)..<payloadStart])
    }

    /// The payload, padding excluded (a slice of ``rawBytes``).
    public var payload: ArraySlice<UInt8> { rawBytes[payloadStart..<paddingStart] }

    /// The padding (RFC 3550 §5.1, P bit): empty when there is none; else its bytes, the last being its length.
    public var padding: ArraySlice<UInt8> { rawBytes[paddingStart...] }

    /// Number of padding bytes (0 when the P bit is clear).
    public var paddingLength: Int { rawBytes.endIndex - paddingStart }

    /// Makes a packet to send; it is encoded once, here.
    ///
    /// - Parameters:
    ///   - paddingLength: bytes of padding to add (0–255); all zero except the last, which holds the count.
    /// - Throws: ``RTPError`` `.invalidValue` when the payload type exceeds 7 bits, there are more than 15 CSRCs
    ///   or the padding length is out of range.
    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil, payload: ArraySlice<UInt8>,
                paddingLength: Int = 0) throws(RTPError) {
        var writer = ByteWriter(capacity: 12 + 4 * csrcs.count + (headerExtension?.encodedSize ?? 0)
            + payload.count + paddingLength)
        try Self.encode(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber,
                        timestamp: timestamp, ssrc: ssrc, csrcs: csrcs, headerExtension: headerExtension,
                        payload: payload, paddingLength: paddingLength, into: &writer)
        try self.init(parsing: writer.bytes[...])
    }

    /// Makes a packet to send from a payload array. See the other initializer.
    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil, payload: [UInt8],
                paddingLength: Int = 0) throws(RTPError) {
        try self.init(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber,
                      timestamp: timestamp, ssrc: ssrc, csrcs: csrcs, headerExtension: headerExtension,
                      payload: payload[...], paddingLength: paddingLength)
    }

    /// Writes a packet straight into `writer` without making an `RTPPacket` (the send path's fast way).
    ///
    /// - Throws: ``RTPError`` `.invalidValue` as the initializer does; nothing is written then.
    public static func encode(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32,
                              ssrc: UInt32, csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil,
                              payload: ArraySlice<UInt8>, paddingLength: Int = 0,
                              into writer: inout ByteWriter) throws(RTPError) {
        guard payloadType <= 127 else {
            throw RTPError(.invalidValue, field: "RTP.payloadType", "payload type \(payloadType) exceeds 7 bits")
        }
        guard csrcs.count <= 15 else {
            throw RTPError(.invalidValue, field: "RTP.csrc", "\(csrcs.count) CSRCs, at most 15")
        }
        guard (0...255).contains(paddingLength) else {
            throw RTPError(.invalidValue, field: "RTP.padding", "padding length \(paddingLength) not in 0–255")
        }
        var b0: UInt8 = 0x80 | UInt8(truncatingIfNeeded: csrcs.count)
        if paddingLength > 0 { b0 |= 0x20 }
        if headerExtension != nil { b0 |= 0x10 }
        writer.writeUInt8(b0)
        writer.writeUInt8((marker ? 0x80 : 0) | payloadType)
        writer.writeUInt16(sequenceNumber)
        writer.writeUInt32(timestamp)
        writer.writeUInt32(ssrc)
        for csrc in csrcs { writer.writeUInt32(csrc) }
        headerExtension?.encode(into: &writer)
        writer.writeBytes(payload)
        if paddingLength > 0 {
            writer.writeRepeating(0, count: paddingLength - 1)
            writer.writeUInt8(UInt8(paddingLength))
        }
    }

    /// Parses a whole RTP packet.
    ///
    /// - Throws: ``RTPError``: `.truncated`, `.badVersion`, `.badPadding` (P set with a count of 0 or larger than
    ///   what follows the header), `.badHeaderExtension`.
    @inlinable
    public init(parsing bytes: [UInt8]) throws(RTPError) {
        try self.init(parsing: bytes[...])
    }

    /// Parses a whole RTP packet from a slice, which the packet keeps (no copy). Offsets in errors count from
    /// `bytes.startIndex`.
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
        if header.hasExtension {
            let e = start + 12 + 4 * header.csrcCount
            let profile = UInt16(bytes[e]) << 8 | UInt16(bytes[e + 1])
            try RTPHeaderExtension.validate(profile: profile, data: bytes[(e + 4)..<(start + header.headerLength)],
                                            offset: e + 4 - start)
        }
        rawBytes = bytes
        marker = header.marker
        payloadType = header.payloadType
        sequenceNumber = header.sequenceNumber
        timestamp = header.timestamp
        ssrc = header.ssrc
        csrcCount = header.csrcCount
        hasExtension = header.hasExtension
        payloadStart = start + header.headerLength
        paddingStart = end - paddingCount
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { rawBytes.count }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeBytes(rawBytes)
    }

    /// The packet's bytes in a new array.
    public var bytes: [UInt8] { Array(rawBytes) }

    /// Two packets are equal when their wire bytes are.
    public static func == (lhs: RTPPacket, rhs: RTPPacket) -> Bool { lhs.rawBytes == rhs.rawBytes }

    /// Hashes the wire bytes.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawBytes) }

    /// Whether `bytes` could be an RTP packet (see ``RTPHeader/looksLikeRTP(_:)``).
    @inlinable
    public static func looksLikeRTP<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        RTPHeader.looksLikeRTP(bytes)
    }
}

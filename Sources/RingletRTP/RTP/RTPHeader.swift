/// A cheap view of an RTP fixed header (RFC 3550 §5.1) for hot paths: reads the fields and the header's length
/// without copying the CSRC list, the header extension or the payload, and without looking at padding.
///
/// SRTP uses it on protected packets, whose payload, padding and trailing tag are opaque: so unlike
/// ``RTPPacket``, it checks only that the fixed header, the CSRC list and the header extension fit.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           timestamp                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           synchronization source (SSRC) identifier            |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |            contributing source (CSRC) identifiers             |
/// |                             ....                              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct RTPHeader: Hashable, Sendable {
    /// Length of the fixed header (RFC 3550 §5.1).
    public static let fixedLength = 12

    /// The padding bit (P).
    public let hasPadding: Bool
    /// The extension bit (X).
    public let hasExtension: Bool
    /// Number of CSRC identifiers (CC), 0–15.
    public let csrcCount: Int
    /// The marker bit (M).
    public let marker: Bool
    /// Payload type (PT), 7 bits.
    public let payloadType: UInt8
    /// Sequence number.
    public let sequenceNumber: UInt16
    /// RTP timestamp.
    public let timestamp: UInt32
    /// Synchronization source.
    public let ssrc: UInt32
    /// Bytes from the start of the packet to the payload: fixed header, CSRCs and header extension.
    public let headerLength: Int

    /// Reads the header at the start of `bytes`.
    ///
    /// - Throws: ``RTPError`` `.truncated` when the fixed header, CSRC list or extension does not fit,
    ///   `.badVersion` when V is not 2.
    @inlinable
    public init(parsing bytes: [UInt8]) throws(RTPError) {
        self = try bytes.withUnsafeBytes { raw in
            Result { () throws(RTPError) in try RTPHeader(parsing: raw) }
        }.get()
    }

    /// Reads the header at the start of `bytes` (offsets in errors count from `bytes.startIndex`).
    @inlinable
    public init(parsing bytes: ArraySlice<UInt8>) throws(RTPError) {
        self = try bytes.withUnsafeBytes { raw in
            Result { () throws(RTPError) in try RTPHeader(parsing: raw) }
        }.get()
    }

    /// Reads the header at the start of `raw`.
    public init(parsing raw: UnsafeRawBufferPointer) throws(RTPError) {
        let count = raw.count
        guard count >= 12 else {
            throw .truncated("RTP.header", offset: 0, needed: 12, available: count)
        }
        let b0 = raw[0]
        guard b0 >> 6 == 2 else {
            throw RTPError(.badVersion, field: "RTP.version", offset: 0, "version \(b0 >> 6), expected 2")
        }
        let b1 = raw[1]
        hasPadding = b0 & 0x20 != 0
        hasExtension = b0 & 0x10 != 0
        csrcCount = Int(b0 & 0x0F)
        marker = b1 & 0x80 != 0
        payloadType = b1 & 0x7F
        sequenceNumber = UInt16(raw[2]) << 8 | UInt16(raw[3])
        timestamp = UInt32(raw[4]) << 24 | UInt32(raw[5]) << 16 | UInt32(raw[6]) << 8 | UInt32(raw[7])
        ssrc = UInt32(raw[8]) << 24 | UInt32(raw[9]) << 16 | UInt32(raw[10]) << 8 | UInt32(raw[11])
        var length = 12 + 4 * csrcCount
        guard count >= length else {
            throw .truncated("RTP.csrc", offset: 12, needed: 4 * csrcCount, available: count - 12)
        }
        if hasExtension {
            guard count >= length + 4 else {
                throw .truncated("RTP.extension", offset: length, needed: 4, available: count - length)
            }
            let words = Int(raw[length + 2]) << 8 | Int(raw[length + 3])
            let body = length + 4
            guard count - body >= 4 * words else {
                throw .truncated("RTP.extension", offset: body, needed: 4 * words, available: count - body)
            }
            length = body + 4 * words
        }
        headerLength = length
    }

    /// Whether `bytes` could be an RTP packet: at least a fixed header, version 2, and a second byte outside the
    /// RTCP range 192–223 (RFC 5761 §4). Reads two bytes; never traps.
    @inlinable
    public static func looksLikeRTP<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard bytes.count >= fixedLength, let first = bytes.first else { return false }
        let second = bytes[bytes.index(after: bytes.startIndex)]
        return first >> 6 == 2 && !(192...223).contains(second)
    }

    /// The sequence number of the RTP packet in `bytes`, or nil when fewer than 12 bytes or not version 2.
    @inlinable
    public static func sequenceNumber(in bytes: ArraySlice<UInt8>) -> UInt16? {
        guard bytes.count >= fixedLength, bytes[bytes.startIndex] >> 6 == 2 else { return nil }
        let i = bytes.startIndex
        return UInt16(bytes[i + 2]) << 8 | UInt16(bytes[i + 3])
    }

    /// The SSRC of the RTP packet in `bytes`, or nil when fewer than 12 bytes or not version 2.
    @inlinable
    public static func ssrc(in bytes: ArraySlice<UInt8>) -> UInt32? {
        guard bytes.count >= fixedLength, bytes[bytes.startIndex] >> 6 == 2 else { return nil }
        let i = bytes.startIndex
        return UInt32(bytes[i + 8]) << 24 | UInt32(bytes[i + 9]) << 16 | UInt32(bytes[i + 10]) << 8
            | UInt32(bytes[i + 11])
    }
}

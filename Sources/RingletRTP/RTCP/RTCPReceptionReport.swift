import RingletCore

/// A reception report block of an SR or RR (RFC 3550 §6.4.1): what one receiver saw of one source.
///
/// ```
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                 SSRC_1 (SSRC of first source)                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | fraction lost |       cumulative number of packets lost       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           extended highest sequence number received           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      interarrival jitter                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         last SR (LSR)                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   delay since last SR (DLSR)                  |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// ```
public struct RTCPReceptionReport: Hashable, Sendable {
    /// Encoded size of one block.
    public static let encodedSize = 24

    /// The source this block reports on.
    public let ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256 units.
    public let fractionLost: UInt8
    /// Cumulative number of packets lost: a signed 24-bit value (negative with duplicates).
    public let cumulativeLost: Int32
    /// Extended highest sequence number received (cycles in the high 16 bits).
    public let extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter, in timestamp units.
    public let jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received from the source (0 if none).
    public let lastSenderReport: UInt32
    /// Delay since that SR, in 1/65536 seconds.
    public let delaySinceLastSenderReport: UInt32

    /// Makes a report block.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` when `cumulativeLost` is outside the signed 24-bit range.
    public init(ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequenceNumber: UInt32,
                jitter: UInt32, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32) throws(RTPError) {
        guard (-0x80_0000...0x7F_FFFF).contains(cumulativeLost) else {
            throw RTPError(.invalidValue, field: "RTCP.report.cumulativeLost",
                           "\(cumulativeLost) does not fit in 24 signed bits")
        }
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    init(reading r: inout RTCPBodyReader) throws(RTPError) {
        ssrc = try r.u32()
        fractionLost = try r.u8()
        let lost = try r.u24()
        cumulativeLost = Int32(bitPattern: lost << 8) >> 8
        extendedHighestSequenceNumber = try r.u32()
        jitter = try r.u32()
        lastSenderReport = try r.u32()
        delaySinceLastSenderReport = try r.u32()
    }

    /// Appends the block to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeUInt32(ssrc)
        writer.writeUInt8(fractionLost)
        writer.writeUInt24(UInt32(bitPattern: cumulativeLost) & 0xFF_FFFF)
        writer.writeUInt32(extendedHighestSequenceNumber)
        writer.writeUInt32(jitter)
        writer.writeUInt32(lastSenderReport)
        writer.writeUInt32(delaySinceLastSenderReport)
    }

    static func readList(count: UInt8, from r: inout RTCPBodyReader) throws(RTPError) -> [RTCPReceptionReport] {
        guard count > 0 else { return [] }
        guard r.remaining >= Int(count) * encodedSize else {
            throw RTPError(.badLength, field: r.field, offset: r.offset,
                           "\(count) report blocks need \(Int(count) * encodedSize) bytes, \(r.remaining) left")
        }
        var list = [RTCPReceptionReport]()
        list.reserveCapacity(Int(count))
        for _ in 0..<count { list.append(try RTCPReceptionReport(reading: &r)) }
        return list
    }
}

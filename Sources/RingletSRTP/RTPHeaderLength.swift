/// Reads what SRTP needs from the raw bytes of an RTP or RTCP packet, without depending on an RTP codec.
enum RawPacket {
    /// Length of the RTP header (RFC 3550 §5.1, §5.3.1): 12 + 4·CC, plus 4 + 4·length for a header extension.
    /// - Parameter limit: bytes of `p` that may hold the header (excludes an SRTP tag).
    @inline(__always)
    static func rtpHeaderLength(_ p: UnsafeRawBufferPointer, limit: Int) throws(SRTPError) -> Int {
        guard limit >= 12, p.count >= limit else {
            throw SRTPError(.truncated, field: "RTP header", offset: 0, "\(limit) bytes, need 12")
        }
        let first = p[0]
        guard first >> 6 == 2 else {
            throw SRTPError(.malformedHeader, field: "RTP version", offset: 0, "version \(first >> 6)")
        }
        var length = 12 + 4 * Int(first & 0x0F)
        guard length <= limit else {
            throw SRTPError(.truncated, field: "RTP CSRC list", offset: 12, "needs \(length) bytes")
        }
        if first & 0x10 != 0 {
            guard length + 4 <= limit else {
                throw SRTPError(.truncated, field: "RTP header extension", offset: length, "needs 4 bytes")
            }
            let words = Int(p[length + 2]) << 8 | Int(p[length + 3])
            let extended = length + 4 + 4 * words
            guard extended <= limit else {
                throw SRTPError(.truncated, field: "RTP header extension", offset: length,
                                "\(words) words do not fit")
            }
            length = extended
        }
        return length
    }

    @inline(__always)
    static func uint16(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(p[at]) << 8 | UInt16(p[at + 1])
    }

    @inline(__always)
    static func uint32(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(p[at]) << 24 | UInt32(p[at + 1]) << 16 | UInt32(p[at + 2]) << 8 | UInt32(p[at + 3])
    }

    @inline(__always)
    static func store(_ v: UInt32, _ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: v.bigEndian, as: UInt32.self)
    }
}

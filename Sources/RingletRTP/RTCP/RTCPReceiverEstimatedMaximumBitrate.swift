import RingletCore

/// A receiver estimated maximum bitrate, REMB (draft-alvestrand-rmcat-remb-03 §2.2): a PSFB application layer
/// feedback message (FMT 15) carrying the receiver's estimate of the total bitrate it can take.
///
/// ```
/// |V=2|P| FMT=15  |   PT=206      |             length            |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source (0)                     |
/// |  Unique identifier 'R' 'E' 'M' 'B'                            |
/// |  Num SSRC     | BR Exp    |  BR Mantissa                      |
/// |   SSRC feedback                                               |  (Num SSRC times)
/// ```
/// The bitrate in bits per second is `mantissa << exponent`.
public struct RTCPReceiverEstimatedMaximumBitrate: Hashable, Sendable {
    /// The unique identifier "REMB".
    static let identifier: [UInt8] = [0x52, 0x45, 0x4D, 0x42]

    /// The SSRC of the packet's sender.
    public let senderSSRC: UInt32
    /// The "SSRC of media source" field, 0 by the draft; kept for round trips.
    public let mediaSSRC: UInt32
    /// BR Exp, 6 bits.
    public let exponent: UInt8
    /// BR Mantissa, 18 bits.
    public let mantissa: UInt32
    /// The SSRCs the estimate applies to (at most 255).
    public let ssrcs: [UInt32]

    /// The estimate in bits per second (`mantissa << exponent`, saturating at `UInt64.max`).
    public var bitrate: UInt64 {
        let m = UInt64(mantissa)
        guard exponent > 0 else { return m }
        guard exponent < 64, m <= UInt64.max >> UInt64(exponent) else { return UInt64.max }
        return m << UInt64(exponent)
    }

    /// Makes a REMB from an exponent and mantissa.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` when the exponent exceeds 6 bits, the mantissa 18 bits, or there are
    ///   more than 255 SSRCs.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, exponent: UInt8, mantissa: UInt32,
                ssrcs: [UInt32]) throws(RTPError) {
        guard exponent <= 63, mantissa <= 0x3_FFFF else {
            throw RTPError(.invalidValue, field: "RTCP.REMB.bitrate", "exponent \(exponent) or mantissa \(mantissa) too wide")
        }
        guard ssrcs.count <= 255 else {
            throw RTPError(.invalidValue, field: "RTCP.REMB.ssrcs", "\(ssrcs.count) SSRCs, at most 255")
        }
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.exponent = exponent
        self.mantissa = mantissa
        self.ssrcs = ssrcs
    }

    /// Makes a REMB for a bitrate in bits per second, with the smallest exponent whose mantissa fits 18 bits
    /// (the low bits dropped are rounded down).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, bitrate: UInt64, ssrcs: [UInt32]) throws(RTPError) {
        var m = bitrate
        var e: UInt8 = 0
        while m > 0x3_FFFF {
            m >>= 1
            e += 1
        }
        try self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, exponent: e, mantissa: UInt32(m), ssrcs: ssrcs)
    }

    /// Whether a PSFB FMT 15 body carries REMB (its identifier after the two SSRCs).
    static func matches(_ body: ArraySlice<UInt8>) -> Bool {
        guard body.count >= 12 else { return false }
        let i = body.startIndex + 8
        return body[i] == 0x52 && body[i + 1] == 0x45 && body[i + 2] == 0x4D && body[i + 3] == 0x42
    }

    init(body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.REMB")
        senderSSRC = try r.u32()
        mediaSSRC = try r.u32()
        try r.skip(4)
        let count = Int(try r.u8())
        let br = try r.u24()
        exponent = UInt8(truncatingIfNeeded: br >> 18)
        mantissa = br & 0x3_FFFF
        guard r.remaining == 4 * count else {
            throw RTPError(.badLength, field: "RTCP.REMB.ssrcs", offset: r.offset,
                           "\(count) SSRCs need \(4 * count) bytes, \(r.remaining) present")
        }
        var list = [UInt32]()
        list.reserveCapacity(count)
        for _ in 0..<count { list.append(try r.u32()) }
        ssrcs = list
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { 20 + 4 * ssrcs.count }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: RTCPFeedbackFormat.applicationLayerFeedback.rawValue,
                               type: .payloadSpecificFeedback, bodyLength: encodedSize - 4)
        writer.writeUInt32(senderSSRC)
        writer.writeUInt32(mediaSSRC)
        writer.writeBytes(Self.identifier)
        writer.writeUInt8(UInt8(truncatingIfNeeded: ssrcs.count))
        writer.writeUInt24(UInt32(exponent) << 18 | mantissa)
        for ssrc in ssrcs { writer.writeUInt32(ssrc) }
    }
}

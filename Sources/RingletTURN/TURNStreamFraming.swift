/// Splitting a TURN TCP/TLS byte stream into STUN messages and ChannelData messages (RFC 8656 §12.5).
///
/// Over a stream the first two bits tell the two apart: `00` is STUN (20-byte header, length field at bytes
/// 2–3), `01` is ChannelData (4-byte header, data padded to a multiple of 4). Feed the front of the reassembly
/// buffer to ``frameLength(_:)`` and cut off that many bytes once they have arrived.
public enum TURNStreamFraming {
    /// What kind of message starts a stream buffer.
    public enum Kind: Hashable, Sendable {
        /// A STUN message.
        case stun
        /// A ChannelData message.
        case channelData
    }

    /// The kind of message at the front of `buffer` and the total bytes it occupies in the stream (header,
    /// body, and for ChannelData the padding), or nil if fewer than 4 bytes are there yet.
    /// - Parameter numbers: the channel numbers taken as ChannelData (RFC 8656's 0x4000–0x4FFF by default; a
    ///   server that takes RFC 5766 clients passes `ChannelData.rfc5766ChannelNumberRange`).
    /// - Throws: `unknownFraming` if the first two bits are `10` or `11`, or a ChannelData number is outside
    ///   `numbers` (the stream cannot be resynchronised and should be closed).
    public static func frameLength(_ buffer: ArraySlice<UInt8>,
                                   accepting numbers: ClosedRange<UInt16> = ChannelData.channelNumberRange)
        throws(TURNError) -> (kind: Kind, length: Int)?
    {
        guard buffer.count >= 4 else { return nil }
        let s = buffer.startIndex
        let length = Int(buffer[s + 2]) << 8 | Int(buffer[s + 3])
        switch buffer[s] >> 6 {
        case 0b00:
            return (.stun, 20 + length)
        case 0b01:
            let number = UInt16(buffer[s]) << 8 | UInt16(buffer[s + 1])
            guard numbers.contains(number) else {
                throw TURNError(.unknownFraming, field: "channelNumber", offset: 0, ChannelData.outside(number, numbers))
            }
            return (.channelData, 4 + ((length + 3) & ~3))
        default:
            throw TURNError(.unknownFraming, field: "header", offset: 0,
                            "first byte 0x\(String(buffer[s], radix: 16)) is neither STUN nor ChannelData")
        }
    }

    /// ``frameLength(_:)`` over an array.
    public static func frameLength(_ buffer: [UInt8]) throws(TURNError) -> (kind: Kind, length: Int)? {
        try frameLength(buffer[...])
    }
}

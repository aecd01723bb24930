import RingletCore

/// A TURN ChannelData message (RFC 8656 §12.4): application data relayed over a bound channel with a 4-byte
/// header instead of a STUN Send/Data indication.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Channel Number        |            Length             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// /                       Application Data                        /
/// +-------------------------------+
/// ```
///
/// Over UDP the padding to a multiple of 4 bytes may be absent; over TCP/TLS it must be there, so the
/// message can be framed in the stream (RFC 8656 §12.5). Parsing never copies the data (a slice).
public struct ChannelData: Sendable, Equatable {
    /// Valid channel numbers (RFC 8656 §12).
    public static let channelNumberRange: ClosedRange<UInt16> = 0x4000...0x4FFF
    /// The channel numbers of RFC 5766 §11, 0x4000–0x7FFF (every number whose first two bits are `01`), which
    /// a server may accept from older clients (see `TURNServer.Configuration.acceptsRFC5766ChannelNumbers`).
    public static let rfc5766ChannelNumberRange: ClosedRange<UInt16> = 0x4000...0x7FFF
    /// Size of the header.
    public static let headerSize = 4

    /// The channel number, 0x4000–0x4FFF.
    public let channelNumber: UInt16
    /// The application data (the Length field is its count).
    public let data: ArraySlice<UInt8>

    /// Makes a message; throws `invalidChannelNumber` outside 0x4000–0x4FFF or `invalidArgument` if `data` is
    /// longer than 65 535 bytes.
    public init(channelNumber: UInt16, data: ArraySlice<UInt8>) throws(TURNError) {
        guard ChannelData.channelNumberRange.contains(channelNumber) else {
            throw TURNError(.invalidChannelNumber, field: "channelNumber",
                            "0x\(String(channelNumber, radix: 16)) outside 0x4000–0x4FFF")
        }
        guard data.count <= 0xFFFF else {
            throw TURNError(.invalidArgument, field: "data", "\(data.count) bytes exceed 65535")
        }
        self.channelNumber = channelNumber
        self.data = data
    }

    /// Makes a message from an array; see ``init(channelNumber:data:)-(_,ArraySlice<UInt8>)``.
    public init(channelNumber: UInt16, data: [UInt8]) throws(TURNError) {
        try self.init(channelNumber: channelNumber, data: data[...])
    }

    /// Parses a ChannelData message from a UDP datagram (RFC 8656 §12.5): the datagram must hold the header and
    /// `Length` bytes of data; bytes after that (padding) are ignored.
    /// - Throws: `truncated` if shorter; `invalidChannelNumber` if the number is outside 0x4000–0x4FFF.
    public init(parsing datagram: ArraySlice<UInt8>) throws(TURNError) {
        try self.init(parsing: datagram, accepting: ChannelData.channelNumberRange)
    }

    /// Parses a ChannelData message whose channel number is in `numbers` (``channelNumberRange``, or
    /// ``rfc5766ChannelNumberRange`` for a server that takes RFC 5766 clients); see ``init(parsing:)-(ArraySlice<UInt8>)``.
    /// - Throws: `truncated` if shorter; `invalidChannelNumber` if the number is outside `numbers`.
    public init(parsing datagram: ArraySlice<UInt8>, accepting numbers: ClosedRange<UInt16>) throws(TURNError) {
        let s = datagram.startIndex
        guard datagram.count >= 4 else {
            throw TURNError(.truncated, field: "header", "\(datagram.count) bytes, header needs 4")
        }
        let number = UInt16(datagram[s]) << 8 | UInt16(datagram[s + 1])
        let length = Int(datagram[s + 2]) << 8 | Int(datagram[s + 3])
        guard numbers.contains(number) else {
            throw TURNError(.invalidChannelNumber, field: "channelNumber", offset: 0,
                            ChannelData.outside(number, numbers))
        }
        guard datagram.count - 4 >= length else {
            throw TURNError(.truncated, field: "data", offset: 4,
                            "length \(length) but \(datagram.count - 4) bytes follow the header")
        }
        channelNumber = number
        data = datagram[(s + 4)..<(s + 4 + length)]
    }

    /// Parses from a UDP datagram given as an array.
    public init(parsing datagram: [UInt8]) throws(TURNError) {
        try self.init(parsing: datagram[...])
    }

    /// Parses the ChannelData message at the start of a TCP/TLS stream buffer, padding included
    /// (RFC 8656 §12.5). Returns nil when more bytes are needed (see ``TURNStreamFraming``), else the message
    /// and how many bytes it took (a multiple of 4).
    /// - Throws: `invalidChannelNumber` if the first bytes are not a valid ChannelData header.
    public static func parse(stream buffer: ArraySlice<UInt8>) throws(TURNError) -> (ChannelData, consumed: Int)? {
        guard buffer.count >= 4 else { return nil }
        let s = buffer.startIndex
        let length = Int(buffer[s + 2]) << 8 | Int(buffer[s + 3])
        let framed = 4 + ((length + 3) & ~3)
        guard buffer.count >= framed else { return nil }
        let message = try ChannelData(parsing: buffer[s..<(s + 4 + length)])
        return (message, framed)
    }

    /// "0x5000 outside 0x4000–0x4fff", for errors.
    static func outside(_ number: UInt16, _ range: ClosedRange<UInt16>) -> String {
        "0x\(String(number, radix: 16)) outside 0x\(String(range.lowerBound, radix: 16))–0x\(String(range.upperBound, radix: 16))"
    }

    /// A cheap test for demultiplexing: at least 4 bytes, first byte 0x40–0x4F (RFC 7983), and the declared
    /// length fits in the datagram. Never traps.
    public static func looksLikeChannelData(_ datagram: ArraySlice<UInt8>) -> Bool {
        let s = datagram.startIndex
        guard datagram.count >= 4, datagram[s] & 0xF0 == 0x40 else { return false }
        let length = Int(datagram[s + 2]) << 8 | Int(datagram[s + 3])
        return length <= datagram.count - 4
    }

    /// A cheap test for demultiplexing; see ``looksLikeChannelData(_:)-(ArraySlice<UInt8>)``.
    public static func looksLikeChannelData(_ datagram: [UInt8]) -> Bool { looksLikeChannelData(datagram[...]) }

    /// Bytes ``encode(into:padded:)`` writes: 4 + data, rounded up to a multiple of 4 when `padded`.
    public func encodedSize(padded: Bool) -> Int {
        padded ? 4 + ((data.count + 3) & ~3) : 4 + data.count
    }

    /// Bytes written unpadded (for UDP).
    public var encodedSize: Int { encodedSize(padded: false) }

    /// Appends the message; with `padded` (TCP/TLS, RFC 8656 §12.5) zero bytes follow the data up to a
    /// multiple of 4. The Length field never counts the padding.
    public func encode(into writer: inout ByteWriter, padded: Bool = false) {
        writer.writeUInt16(channelNumber)
        writer.writeUInt16(UInt16(truncatingIfNeeded: data.count))
        writer.writeBytes(data)
        if padded { writer.writeRepeating(0, count: ((data.count + 3) & ~3) - data.count) }
    }

    /// Channel number and data bytes are equal.
    public static func == (a: ChannelData, b: ChannelData) -> Bool {
        a.channelNumber == b.channelNumber && a.data.elementsEqual(b.data)
    }
}

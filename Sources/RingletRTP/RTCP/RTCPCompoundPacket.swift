import RingletCore

/// A compound RTCP packet (RFC 3550 §6.1): one or more RTCP packets in one datagram, the last of which may
/// carry padding (P bit). Reduced-size RTCP (RFC 5506) is accepted: the first packet need not be a report.
public struct RTCPCompoundPacket: Hashable, Sendable {
    /// The packets, in order.
    public let packets: [RTCPPacket]
    /// The last packet's padding: empty when its P bit is clear; else its bytes, the last holding the count.
    public let padding: ArraySlice<UInt8>

    /// Makes a compound packet to send.
    ///
    /// - Parameter paddingLength: padding bytes added to the last packet (0–255).
    /// - Throws: ``RTPError`` `.invalidValue` when `packets` is empty; `.badPadding` when padding is out of
    ///   range or would leave the last packet unaligned; `.badLength` when a packet is not a whole number of words.
    public init(packets: [RTCPPacket], paddingLength: Int = 0) throws(RTPError) {
        guard (0...255).contains(paddingLength) else {
            throw RTPError(.badPadding, field: "RTCP.padding", "padding length \(paddingLength) not in 0–255")
        }
        var pad = [UInt8](repeating: 0, count: paddingLength)
        if paddingLength > 0 { pad[paddingLength - 1] = UInt8(paddingLength) }
        try self.init(checking: packets, padding: pad[...])
    }

    private init(checking packets: [RTCPPacket], padding: ArraySlice<UInt8>) throws(RTPError) {
        guard let last = packets.last else {
            throw RTPError(.invalidValue, field: "RTCP.compound", "a compound packet holds at least one packet")
        }
        for p in packets.dropLast() where p.encodedSize % 4 != 0 {
            throw RTPError(.badLength, field: "RTCP.compound", "a packet of \(p.encodedSize) bytes is not word-aligned")
        }
        guard (last.encodedSize + padding.count) % 4 == 0 else {
            throw RTPError(.badPadding, field: "RTCP.padding",
                           "last packet of \(last.encodedSize) bytes plus \(padding.count) of padding is not word-aligned")
        }
        self.packets = packets
        self.padding = padding
    }

    /// Parses a compound packet, checking every header: version 2, length within the datagram, padding only on
    /// the last packet with a count that fits.
    ///
    /// - Throws: ``RTPError``: `.truncated`, `.badVersion`, `.badPadding`, `.badLength`, or a body error.
    @inlinable
    public init(parsing bytes: [UInt8]) throws(RTPError) {
        try self.init(parsing: bytes[...])
    }

    /// Parses a compound packet from a slice; bodies are slices of it. Offsets count from `bytes.startIndex`.
    public init(parsing bytes: ArraySlice<UInt8>) throws(RTPError) {
        let start = bytes.startIndex
        let end = bytes.endIndex
        guard end - start >= 4 else {
            throw .truncated("RTCP.header", offset: 0, needed: 4, available: end - start)
        }
        var list = [RTCPPacket]()
        list.reserveCapacity(4)
        var i = start
        var pad: ArraySlice<UInt8> = []
        while i < end {
            let offset = i - start
            guard end - i >= 4 else {
                throw .truncated("RTCP.header", offset: offset, needed: 4, available: end - i)
            }
            let b0 = bytes[i]
            guard b0 >> 6 == 2 else {
                throw RTPError(.badVersion, field: "RTCP.version", offset: offset, "version \(b0 >> 6), expected 2")
            }
            let type = RTCPPacketType(rawValue: bytes[i + 1])
            let length = 4 * (Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])) + 4
            guard end - i >= length else {
                throw RTPError(.badLength, field: "RTCP.length", offset: offset + 2,
                               "packet of \(length) bytes with \(end - i) left")
            }
            let packetEnd = i + length
            var bodyEnd = packetEnd
            if b0 & 0x20 != 0 {
                guard packetEnd == end else {
                    throw RTPError(.badPadding, field: "RTCP.padding", offset: offset,
                                   "padding bit set on a packet that is not the last")
                }
                let count = Int(bytes[packetEnd - 1])
                guard count >= 1, count <= length - 4 else {
                    throw RTPError(.badPadding, field: "RTCP.padding", offset: packetEnd - 1 - start,
                                   "padding count \(count) with a body of \(length - 4) bytes")
                }
                bodyEnd = packetEnd - count
                pad = bytes[bodyEnd..<packetEnd]
            }
            list.append(try RTCPPacket.decode(count: b0 & 0x1F, type: type, body: bytes[(i + 4)..<bodyEnd],
                                              base: offset + 4))
            i = packetEnd
        }
        packets = list
        padding = pad
    }

    /// Bytes this compound packet takes on the wire.
    public var encodedSize: Int {
        var n = padding.count
        for p in packets { n += p.encodedSize }
        return n
    }

    /// Appends the compound packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        var lastStart = writer.count
        for p in packets {
            lastStart = writer.count
            p.encode(into: &writer)
        }
        guard !padding.isEmpty else { return }
        writer.writeBytes(padding)
        let words = (writer.count - lastStart) / 4 - 1
        writer.setUInt16(UInt16(truncatingIfNeeded: words), at: lastStart + 2)
        writer.withUnsafeMutableBytes { raw in
            if lastStart < raw.count { raw[lastStart] |= 0x20 }
        }
    }

    /// The compound packet's bytes in a new array.
    public var bytes: [UInt8] {
        var writer = ByteWriter(capacity: encodedSize)
        encode(into: &writer)
        return writer.bytes
    }
}

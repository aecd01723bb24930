import RingletCore

/// An RTCP source description, SDES (RFC 3550 §6.5): up to 31 chunks, each an SSRC/CSRC and a list of items.
///
/// ```
/// |V=2|P|    SC   |  PT=SDES=202  |             length            |
/// |                          SSRC/CSRC_1                          |
/// |                           SDES items  (type, length, text)    |
/// |                              ...   END (0), null padding      |
/// ```
/// A chunk's item list ends with a null octet, then null octets to the next 32-bit boundary.
public struct RTCPSourceDescription: Hashable, Sendable {
    /// One SDES item (RFC 3550 §6.5): a type and up to 255 bytes of UTF-8 text.
    public struct Item: Hashable, Sendable {
        /// The item type (never ``SDESItemType/end``).
        public let type: SDESItemType
        /// The item's bytes (UTF-8 text for the RFC 3550 items).
        public let data: ArraySlice<UInt8>

        /// Makes an item from bytes.
        ///
        /// - Throws: ``RTPError`` `.invalidValue` for type END or more than 255 bytes.
        public init(type: SDESItemType, data: ArraySlice<UInt8>) throws(RTPError) {
            guard type != .end else {
                throw RTPError(.invalidValue, field: "RTCP.SDES.item", "END is not an item")
            }
            guard data.count <= 255 else {
                throw RTPError(.invalidValue, field: "RTCP.SDES.item", "\(data.count) bytes, at most 255")
            }
            self.type = type
            self.data = data
        }

        /// Makes an item from text.
        public init(type: SDESItemType, text: String) throws(RTPError) {
            try self.init(type: type, data: Array(text.utf8)[...])
        }

        /// The item's bytes decoded as UTF-8 (invalid sequences replaced).
        public var text: String { String(decoding: data, as: UTF8.self) }

        init(unchecked type: SDESItemType, data: ArraySlice<UInt8>) {
            self.type = type
            self.data = data
        }
    }

    /// One chunk: a source and its items.
    public struct Chunk: Hashable, Sendable {
        /// The SSRC or CSRC described.
        public let source: UInt32
        /// Its items, in order.
        public let items: [Item]

        /// Makes a chunk.
        public init(source: UInt32, items: [Item]) {
            self.source = source
            self.items = items
        }

        /// The CNAME item's text, if any (RFC 3550 §6.5.1).
        public var cname: String? { items.first { $0.type == .cname }?.text }

        var encodedSize: Int {
            var n = 0
            for item in items { n += 2 + item.data.count }
            return 4 + n + (4 - n % 4)
        }
    }

    /// The chunks (at most 31).
    public let chunks: [Chunk]

    /// Makes an SDES packet.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` with more than 31 chunks.
    public init(chunks: [Chunk]) throws(RTPError) {
        guard chunks.count <= 31 else {
            throw RTPError(.invalidValue, field: "RTCP.SDES.chunks", "\(chunks.count) chunks, at most 31")
        }
        self.chunks = chunks
    }

    init(count: UInt8, body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.SDES")
        var list = [Chunk]()
        list.reserveCapacity(Int(count))
        for _ in 0..<count {
            let source = try r.u32()
            var items = [Item]()
            while true {
                let type = try r.u8()
                if type == 0 {
                    let misalignment = (r.offset - base) % 4
                    if misalignment != 0 { try r.skip(4 - misalignment) }
                    break
                }
                let length = try r.u8()
                items.append(Item(unchecked: SDESItemType(rawValue: type), data: try r.slice(Int(length))))
            }
            list.append(Chunk(source: source, items: items))
        }
        try r.expectEnd()
        chunks = list
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int {
        var n = 4
        for chunk in chunks { n += chunk.encodedSize }
        return n
    }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: UInt8(truncatingIfNeeded: chunks.count), type: .sourceDescription,
                               bodyLength: encodedSize - 4)
        for chunk in chunks {
            writer.writeUInt32(chunk.source)
            var n = 0
            for item in chunk.items {
                writer.writeUInt8(item.type.rawValue)
                writer.writeUInt8(UInt8(truncatingIfNeeded: item.data.count))
                writer.writeBytes(item.data)
                n += 2 + item.data.count
            }
            writer.writeRepeating(0, count: 4 - n % 4)
        }
    }
}

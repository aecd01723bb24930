import RingletCore

/// A `ByteReader` over one RTCP packet's body that throws ``RTPError`` with offsets from the compound's start.
struct RTCPBodyReader {
    var reader: ByteReader
    /// Offset of the body's first byte in the compound packet.
    let base: Int
    /// The structure being read, for errors.
    let field: String

    init(_ body: ArraySlice<UInt8>, base: Int, field: String) {
        reader = ByteReader(body)
        self.base = base
        self.field = field
    }

    var offset: Int { base + reader.offset }
    var remaining: Int { reader.remaining }
    var isAtEnd: Bool { reader.isAtEnd }

    private func mapped(_ e: ByteReaderError) -> RTPError {
        .truncated(field, offset: base + e.offset, needed: e.needed, available: e.available)
    }

    mutating func u8() throws(RTPError) -> UInt8 {
        do { return try reader.readUInt8() } catch { throw mapped(error) }
    }

    mutating func u16() throws(RTPError) -> UInt16 {
        do { return try reader.readUInt16() } catch { throw mapped(error) }
    }

    mutating func u24() throws(RTPError) -> UInt32 {
        do { return try reader.readUInt24() } catch { throw mapped(error) }
    }

    mutating func u32() throws(RTPError) -> UInt32 {
        do { return try reader.readUInt32() } catch { throw mapped(error) }
    }

    mutating func u64() throws(RTPError) -> UInt64 {
        do { return try reader.readUInt64() } catch { throw mapped(error) }
    }

    mutating func slice(_ n: Int) throws(RTPError) -> ArraySlice<UInt8> {
        do { return try reader.readSlice(n) } catch { throw mapped(error) }
    }

    mutating func skip(_ n: Int) throws(RTPError) {
        do { try reader.skip(n) } catch { throw mapped(error) }
    }

    mutating func rest() -> ArraySlice<UInt8> { reader.readRest() }

    /// Throws `.badLength` unless the body has been read to its end.
    func expectEnd() throws(RTPError) {
        guard reader.isAtEnd else {
            throw RTPError(.badLength, field: field, offset: offset, "\(reader.remaining) unexpected bytes at the end")
        }
    }
}

extension ByteWriter {
    /// Writes an RTCP common header (RFC 3550 §6.4.1) for a packet whose body (after the header) has
    /// `bodyLength` bytes; the length field counts 32-bit words minus one, padding included.
    mutating func writeRTCPHeader(count: UInt8, type: RTCPPacketType, bodyLength: Int) {
        writeUInt8(0x80 | (count & 0x1F))
        writeUInt8(type.rawValue)
        writeUInt16(UInt16(truncatingIfNeeded: (bodyLength + 3) / 4))
    }
}

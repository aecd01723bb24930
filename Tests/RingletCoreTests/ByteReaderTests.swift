import Testing
import RingletCore

@Suite("Byte reader and writer")
struct ByteReaderTests {
    @Test("Big-endian integers written are read back")
    func roundTrip() throws {
        var w = ByteWriter()
        w.writeUInt8(0xAB)
        w.writeUInt16(0x1234)
        w.writeUInt24(0x56789A)
        w.writeUInt32(0xDEADBEEF)
        w.writeUInt64(0x0102_0304_0506_0708)
        #expect(w.bytes.hexString == "ab123456789adeadbeef0102030405060708")
        var r = ByteReader(w.bytes)
        #expect(try r.readUInt8() == 0xAB)
        #expect(try r.readUInt16() == 0x1234)
        #expect(try r.readUInt24() == 0x56789A)
        #expect(try r.readUInt32() == 0xDEADBEEF)
        #expect(try r.readUInt64() == 0x0102_0304_0506_0708)
        #expect(r.isAtEnd)
    }

    @Test("Reading past the end throws with the offset and what was missing")
    func truncated() throws {
        var r = ByteReader([0x01, 0x02, 0x03])
        _ = try r.readUInt16()
        let error = #expect(throws: ByteReaderError.self) { try r.readUInt32() }
        #expect(error == ByteReaderError(offset: 2, needed: 4, available: 1))
        #expect(r.offset == 2, "a failed read consumes nothing")
    }

    @Test("A 64-bit read with 4 to 7 bytes left consumes nothing and reports where it began (fuzz regression)")
    func partialUInt64() throws {
        // Fuzz/Regressions/FuzzCoreByteReader/readUInt64-partial-failure: the read used to take the first
        // 4 bytes before throwing.
        var r = ByteReader([1, 2, 3, 4, 5, 6])
        let error = #expect(throws: ByteReaderError.self) { try r.readUInt64() }
        #expect(error == ByteReaderError(offset: 0, needed: 8, available: 6))
        #expect(r.offset == 0)
    }

    @Test("A negative length is refused, not trapped")
    func negativeLength() {
        var r = ByteReader([0x01])
        #expect(throws: ByteReaderError.self) { try r.readSlice(-1) }
        #expect(throws: ByteReaderError.self) { try r.skip(-5) }
    }

    @Test("Offsets of a reader over a slice count from the slice's start")
    func sliceOffsets() throws {
        let whole: [UInt8] = [9, 9, 1, 2, 3]
        var r = ByteReader(whole[2...])
        #expect(try r.readUInt8() == 1)
        #expect(r.offset == 1)
        #expect(Array(try r.readSlice(2)) == [2, 3])
    }

    @Test("Patching outside what was written does nothing")
    func patchBounds() {
        var w = ByteWriter()
        w.writeUInt16(0)
        let inside = w.setUInt16(0xBEEF, at: 0)
        let straddling = w.setUInt16(1, at: 1)
        let negative = w.setUInt32(1, at: -1)
        #expect(inside)
        #expect(!straddling)
        #expect(!negative)
        #expect(w.bytes == [0xBE, 0xEF])
    }

    @Test("Hex text parses and prints", arguments: [("00ff10", [0, 255, 16] as [UInt8]), ("A b", [0xAB]), ("0g", nil), ("abc", nil)])
    func hex(text: String, bytes: [UInt8]?) {
        #expect([UInt8](hex: text) == bytes)
        if let bytes { #expect(bytes.hexString == text.lowercased().filter { $0 != " " }) }
    }
}

// Fuzz entry points for RingletCore. SPI only: the libFuzzer shims in Fuzz/ call these; nothing reachable from
// the network does. See docs/fuzzing.md.

/// libFuzzer entry points for the byte primitives every parser is built on.
@_spi(Fuzzing)
public enum CoreFuzz {
    /// Drives a `ByteReader` over `data` with a sequence of reads chosen by the bytes themselves, and classifies
    /// the datagram with `DatagramKind.classify` (RFC 7983 §7).
    ///
    /// The input is both the script and the data: each step reads an opcode byte and, for sized reads, a size
    /// byte, then performs that read on the rest. After every step it checks the reader's invariants
    /// (`offset + remaining == count`, reads return what they promise, a failed read leaves the reader unchanged
    /// and reports where it was) and traps only when one is broken.
    public static func byteReader(_ data: [UInt8]) {
        classify(data)

        var reader = ByteReader(data)
        var steps = 0
        while !reader.isAtEnd, steps < 4096 {
            steps &+= 1
            let before = reader
            guard let op = try? reader.readUInt8() else { break }
            let size: Int
            if op & 0x80 != 0 {
                // Sized ops take their size from the next byte; a missing size byte means size 0.
                size = Int((try? reader.readUInt8()) ?? 0)
            } else {
                size = 0
            }
            step(op: op, size: size, reader: &reader, data: data)
            check(reader.offset > before.offset, "reader did not advance after reading an opcode")
        }
    }

    private static func step(op: UInt8, size: Int, reader: inout ByteReader, data: [UInt8]) {
        let start = reader.offset
        let left = reader.remaining
        do throws(ByteReaderError) {
            switch op & 0x0F {
            case 0:
                let v = try reader.readUInt8()
                check(v == data[start], "readUInt8 value")
                check(reader.offset == start + 1, "readUInt8 advance")
            case 1:
                let v = try reader.readUInt16()
                check(v == UInt16(expected(data, start, 2)), "readUInt16 value")
                check(reader.offset == start + 2, "readUInt16 advance")
            case 2:
                let v = try reader.readUInt24()
                check(UInt64(v) == expected(data, start, 3), "readUInt24 value")
                check(reader.offset == start + 3, "readUInt24 advance")
            case 3:
                let v = try reader.readUInt32()
                check(UInt64(v) == expected(data, start, 4), "readUInt32 value")
                check(reader.offset == start + 4, "readUInt32 advance")
            case 4:
                let v = try reader.readUInt64()
                check(v == expected(data, start, 8), "readUInt64 value")
                check(reader.offset == start + 8, "readUInt64 advance")
            case 5:
                let s = try reader.readSlice(size)
                check(s.count == size && s.elementsEqual(data[start..<(start + size)]), "readSlice contents")
                classify(s)
                var inner = ByteReader(s)
                check(inner.offset == 0 && inner.remaining == size, "slice reader starts at offset 0")
                let rest = inner.readRest()
                check(rest.count == size && inner.isAtEnd, "slice reader readRest")
            case 6:
                let b = try reader.readBytes(size)
                check(b.count == size && b[...].elementsEqual(data[start..<(start + size)]), "readBytes contents")
            case 7:
                try reader.skip(size)
                check(reader.offset == start + size, "skip advance")
            case 8:
                let v = try reader.peekUInt8()
                check(v == data[start] && reader.offset == start, "peekUInt8 must not advance")
            case 9:
                let rest = reader.readRest()
                check(rest.count == left && reader.isAtEnd && reader.remaining == 0, "readRest takes everything")
            default:
                // Negative sizes must throw, never trap or move the reader.
                do {
                    try reader.skip(-size &- 1)
                    check(false, "skip accepted a negative count")
                } catch {
                    check(reader.offset == start, "failed skip moved the reader")
                }
            }
        } catch {
            check(reader.offset == start && reader.remaining == left, "failed read moved the reader")
            check(error.offset == start && error.available == left, "error reports the wrong place")
            check(error.needed > left, "error thrown although enough bytes were left")
        }
        check(reader.offset + reader.remaining == data.count, "offset + remaining != count")
    }

    /// The big-endian value of `count` bytes of `data` from `start` (the caller has checked they exist).
    private static func expected(_ data: [UInt8], _ start: Int, _ count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in start..<(start + count) { v = v << 8 | UInt64(data[i]) }
        return v
    }

    /// Classifies `datagram` and checks that the answer agrees with RFC 7983's table for its first two bytes.
    private static func classify<C: Collection>(_ datagram: C) where C.Element == UInt8 {
        let kind = DatagramKind.classify(datagram)
        let bytes = Array(datagram.prefix(2))
        check(DatagramKind.classify(bytes) == kind, "classify depends on more than two bytes or on indices")
        guard let first = bytes.first else {
            check(kind == .unknown, "empty datagram must be unknown")
            return
        }
        let want: DatagramKind
        switch first {
        case 0...3: want = .stun
        case 16...19: want = .zrtp
        case 20...63: want = .dtls
        case 64...79: want = .turnChannelData
        case 128...191:
            if bytes.count < 2 { want = .unknown } else { want = (192...223).contains(bytes[1]) ? .rtcp : .rtp }
        case 80...127, 192...255: want = .quic
        default: want = .unknown
        }
        check(kind == want, "classify disagrees with RFC 7983")
    }

    private static func check(_ ok: Bool, _ what: @autoclosure () -> String) {
        if !ok { fatalError("CoreFuzz invariant broken: \(what())") }
    }
}

extension CoreFuzz {
    /// Parses `data` as a ``PageToken`` (the API's list cursors come from a query parameter). Traps only if a
    /// token that parsed does not print back to the same text, or one made from parsed numbers does not parse
    /// back to them.
    public static func pageToken(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        guard let token = PageToken(text: text) else { return }
        check(PageToken(text: token.text) == token, "a page token does not survive printing and parsing")
        check(token.text.utf8.count == 22, "a page token printed to \(token.text.utf8.count) characters")
    }
}


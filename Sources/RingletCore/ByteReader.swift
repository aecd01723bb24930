/// Why a `ByteReader` could not read.
public struct ByteReaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Offset, from the start of the reader's buffer, where the read began.
    public let offset: Int
    /// Bytes the read needed.
    public let needed: Int
    /// Bytes that were left.
    public let available: Int

    public init(offset: Int, needed: Int, available: Int) {
        self.offset = offset
        self.needed = needed
        self.available = available
    }

    public var description: String {
        "truncated input at offset \(offset): needed \(needed) bytes, \(available) left"
    }
}

/// A bounds-checked, big-endian reader over a byte array. Every read either succeeds or throws; none traps.
///
/// Offsets are relative to `bytes.startIndex`, so a reader over a slice reports offsets within that slice.
public struct ByteReader: Sendable {
    /// The bytes being read.
    public let bytes: ArraySlice<UInt8>
    /// Index of the next byte to read in `bytes`.
    public private(set) var index: Int

    /// Makes a reader over all of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes[...]
        self.index = self.bytes.startIndex
    }

    /// Makes a reader over a slice.
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// Bytes read so far.
    @inlinable public var offset: Int { index - bytes.startIndex }
    /// Bytes left to read.
    @inlinable public var remaining: Int { bytes.endIndex - index }
    /// Whether every byte has been read.
    @inlinable public var isAtEnd: Bool { index >= bytes.endIndex }

    @inline(__always)
    private func check(_ n: Int) throws(ByteReaderError) {
        guard n >= 0, remaining >= n else {
            throw ByteReaderError(offset: offset, needed: n, available: remaining)
        }
    }

    /// Reads one byte.
    public mutating func readUInt8() throws(ByteReaderError) -> UInt8 {
        try check(1)
        defer { index += 1 }
        return bytes[index]
    }

    /// Reads a big-endian 16-bit integer.
    public mutating func readUInt16() throws(ByteReaderError) -> UInt16 {
        try check(2)
        defer { index += 2 }
        return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    /// Reads a big-endian 24-bit integer.
    public mutating func readUInt24() throws(ByteReaderError) -> UInt32 {
        try check(3)
        defer { index += 3 }
        return UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
    }

    /// Reads a big-endian 32-bit integer.
    public mutating func readUInt32() throws(ByteReaderError) -> UInt32 {
        try check(4)
        defer { index += 4 }
        return UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
            | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }

    /// Reads a big-endian 64-bit integer.
    public mutating func readUInt64() throws(ByteReaderError) -> UInt64 {
        try check(8)
        let high = try readUInt32()
        let low = try readUInt32()
        return UInt64(high) << 32 | UInt64(low)
    }

    /// Reads `count` bytes as a slice of the underlying buffer (no copy).
    public mutating func readSlice(_ count: Int) throws(ByteReaderError) -> ArraySlice<UInt8> {
        try check(count)
        defer { index += count }
        return bytes[index..<(index + count)]
    }

    /// Reads `count` bytes into a new array.
    public mutating func readBytes(_ count: Int) throws(ByteReaderError) -> [UInt8] {
        try [UInt8](readSlice(count))
    }

    /// Reads every byte that is left.
    public mutating func readRest() -> ArraySlice<UInt8> {
        defer { index = bytes.endIndex }
        return bytes[index...]
    }

    /// Skips `count` bytes.
    public mutating func skip(_ count: Int) throws(ByteReaderError) {
        try check(count)
        index += count
    }

    /// The next byte, without reading it.
    public func peekUInt8() throws(ByteReaderError) -> UInt8 {
        try check(1)
        return bytes[index]
    }
}

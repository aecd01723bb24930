/// A big-endian writer that appends to a growable byte array. Reuse one writer (`removeAll(keepingCapacity:)`)
/// on hot paths to avoid allocations.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Makes an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Bytes written so far.
    @inlinable public var count: Int { bytes.count }

    /// Empties the writer, keeping its storage.
    public mutating func removeAll(keepingCapacity: Bool = true) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Appends one byte.
    public mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }

    /// Appends a big-endian 16-bit integer.
    public mutating func writeUInt16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends a big-endian 24-bit integer (the low 24 bits of `v`).
    public mutating func writeUInt24(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends a big-endian 32-bit integer.
    public mutating func writeUInt32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends a big-endian 64-bit integer.
    public mutating func writeUInt64(_ v: UInt64) {
        writeUInt32(UInt32(truncatingIfNeeded: v >> 32))
        writeUInt32(UInt32(truncatingIfNeeded: v))
    }

    /// Appends bytes.
    public mutating func writeBytes<S: Sequence>(_ s: S) where S.Element == UInt8 { bytes.append(contentsOf: s) }

    /// Appends bytes (a plain memory copy; the generic overload may go byte by byte across modules).
    public mutating func writeBytes(_ s: [UInt8]) { bytes.append(contentsOf: s) }

    /// Appends bytes (a plain memory copy; the generic overload may go byte by byte across modules).
    public mutating func writeBytes(_ s: ArraySlice<UInt8>) { bytes.append(contentsOf: s) }

    /// Appends `count` copies of `byte` (padding).
    public mutating func writeRepeating(_ byte: UInt8, count: Int) {
        guard count > 0 else { return }
        bytes.append(contentsOf: repeatElement(byte, count: count))
    }

    /// Overwrites a big-endian 16-bit integer at `offset`, which must lie within what was written.
    /// Returns false, writing nothing, when it does not.
    @discardableResult
    public mutating func setUInt16(_ v: UInt16, at offset: Int) -> Bool {
        guard offset >= 0, offset + 2 <= bytes.count else { return false }
        bytes[offset] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: v)
        return true
    }

    /// Overwrites a big-endian 32-bit integer at `offset`, which must lie within what was written.
    /// Returns false, writing nothing, when it does not.
    @discardableResult
    public mutating func setUInt32(_ v: UInt32, at offset: Int) -> Bool {
        guard offset >= 0, offset + 4 <= bytes.count else { return false }
        bytes[offset] = UInt8(truncatingIfNeeded: v >> 24)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: v)
        return true
    }

    /// Gives mutable access to the written bytes (for in-place integrity fields).
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeMutableBytes(body)
    }
}

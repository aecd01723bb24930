import RingletCore

/// The 96-bit transaction ID that pairs a response with its request (RFC 8489 §5, §6.1).
public struct STUNTransactionID: Hashable, Sendable, CustomStringConvertible {
    /// The first 32 bits, big-endian.
    public let high: UInt32
    /// The last 64 bits, big-endian.
    public let low: UInt64

    /// Makes an ID from its two halves.
    public init(high: UInt32, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Makes an ID from exactly 12 bytes; nil for any other count.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 12 else { return nil }
        var h: UInt32 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 4 { h = h << 8 | UInt32(b) } else { l = l << 8 | UInt64(b) }
        }
        self.init(high: h, low: l)
    }

    /// A fresh ID from `generator` (RFC 8489 §6: uniformly random; pass the system generator in production).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> STUNTransactionID {
        STUNTransactionID(high: UInt32(truncatingIfNeeded: generator.next()), low: generator.next())
    }

    /// The 12 bytes as sent.
    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: 12)
        write(into: &w)
        return w.bytes
    }

    /// Appends the 12 bytes.
    public func write(into writer: inout ByteWriter) {
        writer.writeUInt32(high)
        writer.writeUInt64(low)
    }

    /// The ID in hex.
    public var description: String { bytes.hexString }
}

/// An attribute whose value always has the same number of bytes (RFC 8489 §14.4–§14.7; RFC 8445 §16.1;
/// RFC 8656 §18): the integers (``STUNIntegerAttribute``), the flags (``STUNFlagAttribute``), CHANNEL-NUMBER,
/// USERHASH and MESSAGE-INTEGRITY.
///
/// The value size comes from ``valueSize``; the module's conforming types refuse a value of any other length
/// with `invalidAttribute` (through `checkSize` or `readInteger`).
public protocol STUNFixedSizeAttribute: STUNAttributeValue {
    /// The value's length in bytes.
    static var valueSize: Int { get }
}

extension STUNFixedSizeAttribute {
    /// ``valueSize``.
    public var encodedValueSize: Int { Self.valueSize }

    /// Throws `code` (`invalidAttribute` for a received value, `invalidArgument` for an initializer's) unless
    /// `count` is ``valueSize``.
    @inline(__always)
    static func checkSize(_ count: Int, _ code: STUNError.Code = .invalidAttribute) throws(STUNError) {
        guard count == valueSize else {
            throw STUNError(code, field: attributeType.description, "\(count) bytes, not \(valueSize)")
        }
    }

    /// The big-endian integer at the start of a value of exactly ``valueSize`` bytes (the rest is reserved);
    /// throws `invalidAttribute` for another length.
    static func readInteger<I: FixedWidthInteger & UnsignedInteger>(_ value: ArraySlice<UInt8>, as _: I.Type)
        throws(STUNError) -> I
    {
        try checkSize(value.count)
        var v: I = 0
        for b in value.prefix(I.bitWidth / 8) { v = v << 8 | I(b) }
        return v
    }
}

import RingletCore

/// A fixed-size attribute whose value is one big-endian unsigned integer, followed by reserved bytes that are
/// sent as zero and ignored on receipt: PRIORITY, ICE-CONTROLLED, ICE-CONTROLLING (RFC 8445 §16.1), FINGERPRINT
/// (RFC 8489 §14.7), LIFETIME, REQUESTED-ADDRESS-FAMILY, EVEN-PORT, REQUESTED-TRANSPORT and RESERVATION-TOKEN
/// (RFC 8656 §18).
///
/// ```
/// |  Integer (8, 16, 32 or 64 bits)  | Reserved (to valueSize) |
/// ```
/// A conforming type maps its field to and from ``integerValue``; decoding (exactly ``valueSize`` bytes, else
/// `invalidAttribute`), encoding and the value size come from this protocol. ``valueSize`` defaults to the
/// integer's width.
public protocol STUNIntegerAttribute: STUNFixedSizeAttribute {
    /// The integer type on the wire.
    associatedtype Integer: FixedWidthInteger & UnsignedInteger & Sendable
    /// The value as the integer that is sent.
    var integerValue: Integer { get }
    /// Makes the attribute from the integer that was received (every integer is acceptable: a field with a valid
    /// range, such as CHANNEL-NUMBER's, makes its type a plain ``STUNFixedSizeAttribute``).
    init(integerValue: Integer)
}

extension STUNIntegerAttribute {
    /// The integer's width in bytes, unless the type has reserved bytes after it.
    public static var valueSize: Int { Integer.bitWidth / 8 }

    /// Decodes; throws `invalidAttribute` unless the value is ``valueSize`` bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        self.init(integerValue: try Self.readInteger(value, as: Integer.self))
    }

    /// Appends the integer big-endian, then zero reserved bytes up to ``valueSize``.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        let v = integerValue
        for shift in stride(from: Integer.bitWidth - 8, through: 0, by: -8) {
            writer.writeUInt8(UInt8(truncatingIfNeeded: v >> shift))
        }
        writer.writeRepeating(0, count: Self.valueSize - Integer.bitWidth / 8)
    }
}

import RingletCore

/// One attribute as it appears on the wire: a type and its value bytes, without padding (RFC 8489 §14).
///
/// Unknown types are kept as they are, so a message round-trips. Decode a known type with
/// ``STUNMessage/attribute(_:)`` or ``decode(_:transactionID:)``.
public struct STUNAttribute: Hashable, Sendable {
    /// The attribute type.
    public let type: STUNAttributeType
    /// The value, without padding. For a parsed message this shares the message's storage.
    public let value: ArraySlice<UInt8>

    /// Makes a raw attribute; throws `invalidArgument` if the value is longer than 65 535 bytes.
    public init(type: STUNAttributeType, value: ArraySlice<UInt8>) throws(STUNError) {
        guard value.count <= 0xFFFF else {
            throw STUNError(.invalidArgument, field: type.description, "value of \(value.count) bytes exceeds 65535")
        }
        self.type = type
        self.value = value
    }

    /// Makes a raw attribute from an array; throws `invalidArgument` if it is longer than 65 535 bytes.
    public init(type: STUNAttributeType, value: [UInt8]) throws(STUNError) {
        try self.init(type: type, value: value[...])
    }

    /// Internal: a value already known to fit.
    init(unchecked type: STUNAttributeType, value: ArraySlice<UInt8>) {
        self.type = type
        self.value = value
    }

    /// Encodes a typed attribute value. `transactionID` is used by the XOR address attributes only.
    public init<T: STUNAttributeValue>(_ typed: T, transactionID: STUNTransactionID) {
        var w = ByteWriter(capacity: typed.encodedValueSize)
        typed.encodeValue(into: &w, transactionID: transactionID)
        self.type = T.attributeType
        self.value = w.bytes[...]
    }

    /// Decodes this attribute as `T`; throws `invalidAttribute` if the type differs or the value is malformed.
    public func decode<T: STUNAttributeValue>(_: T.Type, transactionID: STUNTransactionID) throws(STUNError) -> T {
        guard type == T.attributeType else {
            throw STUNError(.invalidAttribute, field: T.attributeType.description, "attribute is \(type)")
        }
        return try T(attributeValue: value, transactionID: transactionID)
    }

    /// Bytes on the wire: 4 bytes of header, the value, and zero padding to a multiple of 4.
    public var encodedSize: Int { 4 + STUNAttribute.padded(value.count) }

    /// Appends the attribute with zero padding (RFC 8489 §14: "MUST be padded").
    public func encode(into writer: inout ByteWriter) {
        writer.writeUInt16(type.rawValue)
        writer.writeUInt16(UInt16(truncatingIfNeeded: value.count))
        writer.writeBytes(value)
        writer.writeRepeating(0, count: STUNAttribute.padded(value.count) - value.count)
    }

    /// `n` rounded up to a multiple of 4.
    @inline(__always)
    static func padded(_ n: Int) -> Int { (n &+ 3) & ~3 }

    /// Byte equality of type and value (padding is never part of the value).
    public static func == (a: STUNAttribute, b: STUNAttribute) -> Bool {
        a.type == b.type && a.value.elementsEqual(b.value)
    }

    /// Hashes type and value bytes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        for b in value { hasher.combine(b) }
    }
}

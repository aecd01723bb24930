import RingletCore

/// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): the comprehension-required types a request carried that the server
/// did not understand, 16 bits each.
public struct STUNUnknownAttributes: STUNAttributeValue, Hashable {
    /// UNKNOWN-ATTRIBUTES.
    public static let attributeType = STUNAttributeType.unknownAttributes
    /// The types.
    public let types: [STUNAttributeType]
    /// Makes the attribute; throws `invalidArgument` for more than 32 767 types.
    public init(_ types: [STUNAttributeType]) throws(STUNError) {
        guard types.count <= 0x7FFF else {
            throw STUNError(.invalidArgument, field: "UNKNOWN-ATTRIBUTES", "\(types.count) types")
        }
        self.types = types
    }
    /// Decodes; throws `invalidAttribute` if the length is odd.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        guard value.count & 1 == 0 else {
            throw STUNError(.invalidAttribute, field: "UNKNOWN-ATTRIBUTES", "odd length \(value.count)")
        }
        var out: [STUNAttributeType] = []
        out.reserveCapacity(value.count / 2)
        var i = value.startIndex
        while i + 1 < value.endIndex {
            out.append(STUNAttributeType(rawValue: UInt16(value[i]) << 8 | UInt16(value[i + 1])))
            i += 2
        }
        types = out
    }
    /// Appends the 16-bit types.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        for t in types { writer.writeUInt16(t.rawValue) }
    }
    /// 2 bytes a type.
    public var encodedValueSize: Int { 2 * types.count }
}

import RingletCore

/// A typed attribute value that can be decoded from, and encoded to, an attribute's value bytes (RFC 8489 §14).
///
/// Most attributes share their codec through a refining protocol that supplies these requirements:
/// ``STUNAddressAttribute`` (the MAPPED-ADDRESS layout, plain or XOR-ed), ``STUNTextAttribute`` (UTF-8 within
/// the RFC's limits), ``STUNIntegerAttribute`` (one big-endian integer and reserved bytes) and
/// ``STUNFlagAttribute`` (an empty value), the last two being ``STUNFixedSizeAttribute``s. The rest (ERROR-CODE,
/// UNKNOWN-ATTRIBUTES, PASSWORD-ALGORITHM(S), DATA, the integrity values) implement them directly.
public protocol STUNAttributeValue: Sendable {
    /// The attribute type this value is carried in.
    static var attributeType: STUNAttributeType { get }
    /// Decodes and validates a value (without padding). `transactionID` is used by XOR address attributes.
    /// Throws `invalidAttribute` with an offset within the value.
    init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError)
    /// Appends the value bytes (no attribute header, no padding).
    func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID)
    /// How many bytes ``encodeValue(into:transactionID:)`` appends (no attribute header, no padding).
    var encodedValueSize: Int { get }
}

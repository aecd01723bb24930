import RingletCore

/// An attribute whose value is a transport address in the MAPPED-ADDRESS layout, plain or XOR-ed
/// (RFC 8489 §14.1, §14.2): MAPPED-ADDRESS, XOR-MAPPED-ADDRESS, ALTERNATE-SERVER, XOR-PEER-ADDRESS,
/// XOR-RELAYED-ADDRESS.
///
/// ```
/// |0 0 0 0 0 0 0 0|    Family     |           Port                |
/// |                 Address (32 bits or 128 bits)                 |
/// ```
/// A conforming type says whether it is XOR-ed and wraps an address; decoding, encoding and the value size come
/// from this protocol.
public protocol STUNAddressAttribute: STUNAttributeValue {
    /// Whether the value is XOR-ed with the magic cookie and transaction ID.
    static var isXORed: Bool { get }
    /// The address.
    var address: STUNAddress { get }
    /// Wraps an address.
    init(address: STUNAddress)
}

extension STUNAddressAttribute {
    /// Decodes the address; throws `invalidAttribute` for a wrong length or an unknown family.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        self.init(address: try STUNAddress.decode(value, xor: Self.isXORed, transactionID: transactionID,
                                                  field: Self.attributeType))
    }

    /// Encodes the address (8 bytes for IPv4, 20 for IPv6).
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        address.encode(into: &writer, xor: Self.isXORed, transactionID: transactionID)
    }

    /// 8 bytes for IPv4, 20 for IPv6.
    public var encodedValueSize: Int { address.family == .ipv4 ? 8 : 20 }
}

/// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the reflexive address, XOR-ed with the cookie and transaction ID.
public struct STUNXORMappedAddress: STUNAddressAttribute, Hashable {
    /// XOR-MAPPED-ADDRESS.
    public static let attributeType = STUNAttributeType.xorMappedAddress
    /// XOR-ed.
    public static let isXORed = true
    /// The address.
    public let address: STUNAddress
    /// Wraps an address.
    public init(address: STUNAddress) { self.address = address }
}

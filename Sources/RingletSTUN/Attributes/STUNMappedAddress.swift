/// MAPPED-ADDRESS (RFC 8489 §14.1): the reflexive address, not obfuscated (for RFC 3489 clients).
public struct STUNMappedAddress: STUNAddressAttribute, Hashable {
    /// MAPPED-ADDRESS.
    public static let attributeType = STUNAttributeType.mappedAddress
    /// Not XOR-ed.
    public static let isXORed = false
    /// The address.
    public let address: STUNAddress
    /// Wraps an address.
    public init(address: STUNAddress) { self.address = address }
}

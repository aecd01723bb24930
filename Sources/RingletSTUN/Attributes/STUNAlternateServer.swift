/// ALTERNATE-SERVER (RFC 8489 §14.15): where to retry, MAPPED-ADDRESS layout.
public struct STUNAlternateServer: STUNAddressAttribute, Hashable {
    /// ALTERNATE-SERVER.
    public static let attributeType = STUNAttributeType.alternateServer
    /// Not XOR-ed.
    public static let isXORed = false
    /// The address.
    public let address: STUNAddress
    /// Wraps an address.
    public init(address: STUNAddress) { self.address = address }
}

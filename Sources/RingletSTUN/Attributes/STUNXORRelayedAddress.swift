/// XOR-RELAYED-ADDRESS (RFC 8656 §18.5): the relayed transport address the server allocated.
public struct STUNXORRelayedAddress: STUNAddressAttribute, Hashable {
    /// XOR-RELAYED-ADDRESS.
    public static let attributeType = STUNAttributeType.xorRelayedAddress
    /// XOR-ed.
    public static let isXORed = true
    /// The address.
    public let address: STUNAddress
    /// Wraps an address.
    public init(address: STUNAddress) { self.address = address }
}

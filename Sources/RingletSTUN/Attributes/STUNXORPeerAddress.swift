/// XOR-PEER-ADDRESS (RFC 8656 §18.3): a peer's address as the TURN server sees it.
public struct STUNXORPeerAddress: STUNAddressAttribute, Hashable {
    /// XOR-PEER-ADDRESS.
    public static let attributeType = STUNAttributeType.xorPeerAddress
    /// XOR-ed.
    public static let isXORed = true
    /// The address.
    public let address: STUNAddress
    /// Wraps an address.
    public init(address: STUNAddress) { self.address = address }
}

import RingletCore

/// An attribute whose value is a transport address in the MAPPED-ADDRESS layout, plain or XOR-ed
/// (RFC 8489 §14.1, §14.2).
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
}

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

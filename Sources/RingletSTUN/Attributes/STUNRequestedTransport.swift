/// REQUESTED-TRANSPORT (RFC 8656 §18.8): the IP protocol number of the relayed transport (17, UDP) and 3
/// reserved bytes.
public struct STUNRequestedTransport: STUNIntegerAttribute, Hashable {
    /// REQUESTED-TRANSPORT.
    public static let attributeType = STUNAttributeType.requestedTransport
    /// 4 bytes: the protocol number and 3 reserved bytes.
    public static let valueSize = 4
    /// UDP's protocol number.
    public static let udp: UInt8 = 17
    /// The protocol number.
    public let protocolNumber: UInt8
    /// Wraps a protocol number.
    public init(protocolNumber: UInt8) { self.protocolNumber = protocolNumber }
    /// ``protocolNumber``, as sent.
    public var integerValue: UInt8 { protocolNumber }
    /// Wraps the received integer.
    public init(integerValue: UInt8) { self.init(protocolNumber: integerValue) }
}

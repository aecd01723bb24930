/// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6): the family of relayed address wanted; a family byte and 3
/// reserved bytes.
public struct STUNRequestedAddressFamily: STUNIntegerAttribute, Hashable {
    /// REQUESTED-ADDRESS-FAMILY.
    public static let attributeType = STUNAttributeType.requestedAddressFamily
    /// 4 bytes: the family and 3 reserved bytes.
    public static let valueSize = 4
    /// The family (any byte round-trips; the server answers 440 to ones it does not support).
    public let family: STUNAddressFamily
    /// Wraps a family.
    public init(_ family: STUNAddressFamily) { self.family = family }
    /// The family byte.
    public var integerValue: UInt8 { family.rawValue }
    /// Wraps the received family byte.
    public init(integerValue: UInt8) { self.init(STUNAddressFamily(rawValue: integerValue)) }
}

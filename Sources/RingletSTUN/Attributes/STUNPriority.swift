/// PRIORITY (RFC 8445 §7.1.1, §16.1): the priority a peer-reflexive candidate would get, 32 bits.
public struct STUNPriority: STUNIntegerAttribute, Hashable {
    /// PRIORITY.
    public static let attributeType = STUNAttributeType.priority
    /// The priority.
    public let value: UInt32
    /// Wraps a priority.
    public init(_ value: UInt32) { self.value = value }
    /// ``value``, as sent.
    public var integerValue: UInt32 { value }
    /// Wraps the received integer.
    public init(integerValue: UInt32) { self.init(integerValue) }
}

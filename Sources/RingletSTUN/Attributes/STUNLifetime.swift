/// LIFETIME (RFC 8656 §18.2): seconds until the allocation expires.
public struct STUNLifetime: STUNIntegerAttribute, Hashable {
    /// LIFETIME.
    public static let attributeType = STUNAttributeType.lifetime
    /// Seconds.
    public let seconds: UInt32
    /// Wraps a lifetime.
    public init(seconds: UInt32) { self.seconds = seconds }
    /// ``seconds``, as sent.
    public var integerValue: UInt32 { seconds }
    /// Wraps the received integer.
    public init(integerValue: UInt32) { self.init(seconds: integerValue) }
}

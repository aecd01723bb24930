/// ICE-CONTROLLED (RFC 8445 §7.1.3, §16.1): the sender is controlled; a 64-bit tie-breaker.
public struct STUNICEControlled: STUNIntegerAttribute, Hashable {
    /// ICE-CONTROLLED.
    public static let attributeType = STUNAttributeType.iceControlled
    /// The tie-breaker.
    public let tieBreaker: UInt64
    /// Wraps a tie-breaker.
    public init(tieBreaker: UInt64) { self.tieBreaker = tieBreaker }
    /// ``tieBreaker``, as sent.
    public var integerValue: UInt64 { tieBreaker }
    /// Wraps the received integer.
    public init(integerValue: UInt64) { self.init(tieBreaker: integerValue) }
}

/// ICE-CONTROLLING (RFC 8445 §7.1.3, §16.1): the sender is controlling; a 64-bit tie-breaker.
public struct STUNICEControlling: STUNIntegerAttribute, Hashable {
    /// ICE-CONTROLLING.
    public static let attributeType = STUNAttributeType.iceControlling
    /// The tie-breaker.
    public let tieBreaker: UInt64
    /// Wraps a tie-breaker.
    public init(tieBreaker: UInt64) { self.tieBreaker = tieBreaker }
    /// ``tieBreaker``, as sent.
    public var integerValue: UInt64 { tieBreaker }
    /// Wraps the received integer.
    public init(integerValue: UInt64) { self.init(tieBreaker: integerValue) }
}

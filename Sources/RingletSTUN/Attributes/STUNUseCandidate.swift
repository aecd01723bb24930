/// USE-CANDIDATE (RFC 8445 §7.1.2, §16.1): the controlling agent nominates this pair. Empty.
public struct STUNUseCandidate: STUNFlagAttribute, Hashable {
    /// USE-CANDIDATE.
    public static let attributeType = STUNAttributeType.useCandidate
    /// The flag.
    public init() {}
}

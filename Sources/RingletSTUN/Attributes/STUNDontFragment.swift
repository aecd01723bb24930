/// DONT-FRAGMENT (RFC 8656 §18.9): set DF on relayed UDP. Empty.
public struct STUNDontFragment: STUNFlagAttribute, Hashable {
    /// DONT-FRAGMENT.
    public static let attributeType = STUNAttributeType.dontFragment
    /// The flag.
    public init() {}
}

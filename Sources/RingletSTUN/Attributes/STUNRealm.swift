/// REALM (RFC 8489 §14.9): fewer than 128 characters, at most 763 bytes (``STUNTextAttribute``'s
/// default limits).
public struct STUNRealm: STUNTextAttribute, Hashable {
    /// REALM.
    public static let attributeType = STUNAttributeType.realm
    /// The realm.
    public let value: String
    /// Makes the attribute; throws `invalidArgument` if too long.
    public init(_ value: String) throws(STUNError) {
        try Self.checkText(value)
        self.value = value
    }
}

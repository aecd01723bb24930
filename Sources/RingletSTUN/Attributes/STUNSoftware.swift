/// SOFTWARE (RFC 8489 §14.14): fewer than 128 characters, at most 763 bytes (``STUNTextAttribute``'s
/// default limits).
public struct STUNSoftware: STUNTextAttribute, Hashable {
    /// SOFTWARE.
    public static let attributeType = STUNAttributeType.software
    /// The software description.
    public let value: String
    /// Makes the attribute; throws `invalidArgument` if too long.
    public init(_ value: String) throws(STUNError) {
        try Self.checkText(value)
        self.value = value
    }
}

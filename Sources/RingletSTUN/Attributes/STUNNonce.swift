/// NONCE (RFC 8489 §14.10): fewer than 128 characters, at most 763 bytes (``STUNTextAttribute``'s
/// default limits).
public struct STUNNonce: STUNTextAttribute, Hashable {
    /// NONCE.
    public static let attributeType = STUNAttributeType.nonce
    /// The nonce.
    public let value: String
    /// Makes the attribute; throws `invalidArgument` if too long.
    public init(_ value: String) throws(STUNError) {
        try Self.checkText(value)
        self.value = value
    }
}

/// USERNAME (RFC 8489 §14.3): UTF-8, at most 512 bytes (the RFC's "less than 513").
public struct STUNUsername: STUNTextAttribute, Hashable {
    /// USERNAME.
    public static let attributeType = STUNAttributeType.username
    /// 512 bytes.
    public static let maxBytes = 512
    /// No character limit: USERNAME is limited in bytes only.
    public static let maxCharacters: Int? = nil
    /// The user name (already processed with OpaqueString by the sender).
    public let value: String
    /// Makes the attribute; throws `invalidArgument` past 512 bytes.
    public init(_ value: String) throws(STUNError) {
        try Self.checkText(value)
        self.value = value
    }
}

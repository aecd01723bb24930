/// The UTF-8 rules the text attributes and ERROR-CODE's reason phrase share (RFC 8489 §14.3, §14.8–§14.10,
/// §14.14): valid UTF-8, at most so many bytes and, for most of them, at most so many characters.
enum STUNText {
    /// REALM, NONCE, SOFTWARE and the reason phrase: "fewer than 128 characters (which can be as long as 763
    /// bytes)".
    static let phraseMaxBytes = 763
    /// At most 127 characters ("fewer than 128").
    static let phraseMaxCharacters = 127

    /// Checks text given to an initializer; throws `invalidArgument` past either limit.
    static func check(_ s: String, maxBytes: Int, maxCharacters: Int?, field: STUNAttributeType) throws(STUNError) {
        try check(s, maxBytes: maxBytes, maxCharacters: maxCharacters, field: field, code: .invalidArgument)
    }

    /// Decodes UTF-8 text of at most `maxBytes` bytes and `maxCharacters` characters; throws `invalidAttribute`
    /// if the bytes are too many, not UTF-8, or hold too many characters.
    static func decode(_ value: ArraySlice<UInt8>, maxBytes: Int, maxCharacters: Int?, field: STUNAttributeType)
        throws(STUNError) -> String
    {
        // The byte limit first: it bounds the UTF-8 validation and the character count that follow.
        guard value.count <= maxBytes else {
            throw STUNError(.invalidAttribute, field: field.description, "\(value.count) bytes, limit \(maxBytes)")
        }
        guard let s = String(validating: value, as: UTF8.self) else {
            throw STUNError(.invalidAttribute, field: field.description, "not valid UTF-8")
        }
        try check(s, maxBytes: maxBytes, maxCharacters: maxCharacters, field: field, code: .invalidAttribute)
        return s
    }

    private static func check(_ s: String, maxBytes: Int, maxCharacters: Int?, field: STUNAttributeType,
                              code: STUNError.Code) throws(STUNError)
    {
        guard s.utf8.count <= maxBytes else {
            throw STUNError(code, field: field.description, "\(s.utf8.count) bytes, limit \(maxBytes)")
        }
        if let maxCharacters, s.count > maxCharacters {
            throw STUNError(code, field: field.description, "\(s.count) characters, limit \(maxCharacters)")
        }
    }
}

/// An `a=` line: a property attribute `a=<name>` or a value attribute `a=<name>:<value>` (RFC 8866 §5.13).
///
/// The model keeps every attribute, known or not, in order, so that a description prints back byte for byte.
/// `value` is nil for a property attribute and `""` for `a=<name>:` with an empty value.
public struct SDPAttribute: Hashable, Sendable {
    /// The attribute name (an RFC 8866 `token`).
    public let name: String
    /// The text after the first `:`, or nil when there is no `:`.
    public let value: String?

    /// Makes an attribute.
    /// - Throws: `SDPError.Code.invalidField` when `name` is not a token.
    public init(_ name: String, _ value: String? = nil) throws(SDPError) {
        guard SDPText.isToken(name) else {
            throw SDPError(.invalidField, field: "a", "attribute name must be a non-empty token")
        }
        self.name = name
        self.value = value
    }

    /// Makes an attribute whose name the caller knows to be a token (the writers' own constants).
    init(known name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Parses the text after `a=`.
    /// - Throws: `SDPError.Code.invalidField`.
    public init(parsing text: String) throws(SDPError) {
        if let (name, value) = SDPText.splitOnce(text, UInt8(ascii: ":")) {
            try self.init(name, value)
        } else {
            try self.init(text, nil)
        }
    }

    /// The text after `a=`.
    public var text: String {
        guard let value else { return name }
        return "\(name):\(value)"
    }
}

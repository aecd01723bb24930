/// Why a STUN message or attribute could not be parsed, built or checked (RFC 8489).
///
/// One error type for the module: a `code` saying what kind of failure it was (open, so new codes can be added),
/// plus the field and byte offset where it happened and a human-readable message.
public struct STUNError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. Compare against the static constants.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// A short stable name, e.g. `"truncated"`.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { rawValue }

        /// Fewer bytes than the header or an attribute needs (RFC 8489 §5, §14).
        public static let truncated = Code(rawValue: "truncated")
        /// The first two bits are not zero, so this is not STUN (RFC 8489 §5).
        public static let notSTUN = Code(rawValue: "notSTUN")
        /// The magic cookie is not 0x2112A442 (RFC 8489 §5).
        public static let badMagicCookie = Code(rawValue: "badMagicCookie")
        /// The message length is not a multiple of 4 or does not match the bytes given (RFC 8489 §5).
        public static let badLength = Code(rawValue: "badLength")
        /// An attribute's value (or its padding) runs past the end of the message (RFC 8489 §14).
        public static let attributeOverrun = Code(rawValue: "attributeOverrun")
        /// An attribute's value is malformed for its type (wrong length, bad field, invalid UTF-8, too long).
        public static let invalidAttribute = Code(rawValue: "invalidAttribute")
        /// A value given to an initializer or encoder is out of range.
        public static let invalidArgument = Code(rawValue: "invalidArgument")
        /// The encoded message would exceed what the 16-bit length field can describe.
        public static let tooLarge = Code(rawValue: "tooLarge")
        /// OpenSSL refused an operation (key set-up, digest).
        public static let crypto = Code(rawValue: "crypto")
    }

    /// What kind of failure.
    public let code: Code
    /// The field or attribute concerned, e.g. `"XOR-MAPPED-ADDRESS"` or `"header.length"`.
    public let field: String
    /// Byte offset from the start of the message (or of the value, for a bare attribute decode).
    public let offset: Int
    /// What went wrong, for people.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String, offset: Int = 0, _ message: String) {
        self.code = code
        self.field = field
        self.offset = offset
        self.message = message
    }

    /// The same error with `offset` moved by `delta` (used when an attribute value's error is reported within
    /// its message).
    func shifted(by delta: Int) -> STUNError {
        STUNError(code, field: field, offset: offset &+ delta, message)
    }

    /// `code` at `field` (offset `offset`): `message`.
    public var description: String { "STUN \(code) at \(field) (offset \(offset)): \(message)" }
}

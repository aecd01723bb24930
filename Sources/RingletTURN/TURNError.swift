/// Why a TURN ChannelData message or credential could not be parsed or built (RFC 8656).
///
/// One error type for the module: an open `code`, the field and byte offset concerned, and a message.
public struct TURNError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. Compare against the static constants.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// A short stable name.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { rawValue }

        /// Fewer bytes than the header or the declared length needs.
        public static let truncated = Code(rawValue: "truncated")
        /// A channel number outside 0x4000–0x4FFF (RFC 8656 §12).
        public static let invalidChannelNumber = Code(rawValue: "invalidChannelNumber")
        /// The bytes are neither STUN nor ChannelData (stream framing, RFC 8656 §12.5).
        public static let unknownFraming = Code(rawValue: "unknownFraming")
        /// A value given to an initializer is out of range.
        public static let invalidArgument = Code(rawValue: "invalidArgument")
        /// A cryptographic operation failed.
        public static let crypto = Code(rawValue: "crypto")
    }

    /// What kind of failure.
    public let code: Code
    /// The field concerned.
    public let field: String
    /// Byte offset from the start of the message.
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

    /// `code` at `field` (offset `offset`): `message`.
    public var description: String { "TURN \(code) at \(field) (offset \(offset)): \(message)" }
}

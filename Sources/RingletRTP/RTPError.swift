/// The one error type of `RingletRTP`: why RTP, RTCP or a payload format could not be parsed or built.
///
/// `code` says what kind of failure it was (an open set of static constants); `field`, `offset` and `message`
/// say where and why. Offsets count from the start of the bytes given to the parser.
public struct RTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. An open set: other parts of the module add their own codes.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The input ended before the structure did.
        public static let truncated = Code(rawValue: "truncated")
        /// The version field is not 2 (RFC 3550 §5.1, §6.4.1).
        public static let badVersion = Code(rawValue: "badVersion")
        /// The padding bit or padding count is inconsistent (RFC 3550 §5.1, §6.4.1).
        public static let badPadding = Code(rawValue: "badPadding")
        /// A length field disagrees with the bytes present or with the structure it frames.
        public static let badLength = Code(rawValue: "badLength")
        /// A header extension (RFC 8285) is malformed.
        public static let badHeaderExtension = Code(rawValue: "badHeaderExtension")
        /// A field holds a value its specification forbids (or one too large for its bit width).
        public static let invalidValue = Code(rawValue: "invalidValue")
        /// A packet type or format the parser was asked for is not the one present.
        public static let unexpectedType = Code(rawValue: "unexpectedType")

        public var description: String { rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The field or structure concerned, e.g. `"RTP.padding"` or `"RTCP.SR.reportBlocks"`.
    public let field: String
    /// Offset in the input where the problem was found, when parsing.
    public let offset: Int?
    /// A human-readable explanation.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String, offset: Int? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset {
            return "\(code) in \(field) at offset \(offset): \(message)"
        }
        return "\(code) in \(field): \(message)"
    }
}

extension RTPError {
    /// A truncation error at `offset` for `field`, needing `needed` bytes with `available` left.
    static func truncated(_ field: String, offset: Int, needed: Int, available: Int) -> RTPError {
        RTPError(.truncated, field: field, offset: offset, "needed \(needed) bytes, \(available) left")
    }
}

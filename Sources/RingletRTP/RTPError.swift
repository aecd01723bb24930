import RingletCore

/// The one error type of `RingletRTP`: why RTP, RTCP or a payload format could not be parsed or built.
///
/// `code` says what kind of failure it was (an open set of static constants); `field`, `offset` and `message`
/// say where and why. Offsets count from the start of the bytes given to the parser.
///
/// ``CodedError`` in the ``RTPErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias RTPError = CodedError<RTPErrors>

/// Names RTPErrors ("RTP") and holds their codes.
public enum RTPErrors: CodedErrorDomain {
    /// "RTP".
    public static let name = "RTP"
}

extension CodedError.Code where Domain == RTPErrors {
    /// The input ended before the structure did.
    public static var truncated: Self { Self("truncated") }
    /// The version field is not 2 (RFC 3550 §5.1, §6.4.1).
    public static var badVersion: Self { Self("badVersion") }
    /// The padding bit or padding count is inconsistent (RFC 3550 §5.1, §6.4.1).
    public static var badPadding: Self { Self("badPadding") }
    /// A length field disagrees with the bytes present or with the structure it frames.
    public static var badLength: Self { Self("badLength") }
    /// A header extension (RFC 8285) is malformed.
    public static var badHeaderExtension: Self { Self("badHeaderExtension") }
    /// A field holds a value its specification forbids (or one too large for its bit width).
    public static var invalidValue: Self { Self("invalidValue") }
    /// A packet type or format the parser was asked for is not the one present.
    public static var unexpectedType: Self { Self("unexpectedType") }
}

extension CodedError where Domain == RTPErrors {
    /// A truncation error at `offset` for `field`, needing `needed` bytes with `available` left.
    static func truncated(_ field: String, offset: Int, needed: Int, available: Int) -> RTPError {
        RTPError(.truncated, field: field, offset: offset, "needed \(needed) bytes, \(available) left")
    }
}

import RingletCore

/// Why a TURN ChannelData message or credential could not be parsed or built (RFC 8656).
///
/// One error type for the module: an open `code`, the field and byte offset concerned, and a message.
///
/// ``CodedError`` in the ``TURNErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias TURNError = CodedError<TURNErrors>

/// Names TURNErrors ("TURN") and holds their codes.
public enum TURNErrors: CodedErrorDomain {
    /// "TURN".
    public static let name = "TURN"
}

extension CodedError.Code where Domain == TURNErrors {
    /// Fewer bytes than the header or the declared length needs.
    public static var truncated: Self { Self("truncated") }
    /// A channel number outside 0x4000–0x4FFF (RFC 8656 §12).
    public static var invalidChannelNumber: Self { Self("invalidChannelNumber") }
    /// The bytes are neither STUN nor ChannelData (stream framing, RFC 8656 §12.5).
    public static var unknownFraming: Self { Self("unknownFraming") }
    /// A value given to an initializer is out of range.
    public static var invalidArgument: Self { Self("invalidArgument") }
    /// A cryptographic operation failed.
    public static var crypto: Self { Self("crypto") }
}

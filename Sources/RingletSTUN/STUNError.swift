import RingletCore

/// Why a STUN message or attribute could not be parsed, built or checked (RFC 8489).
///
/// One error type for the module: a `code` saying what kind of failure it was (open, so new codes can be added),
/// plus the field and byte offset where it happened and a human-readable message.
///
/// ``CodedError`` in the ``STUNErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias STUNError = CodedError<STUNErrors>

/// Names STUNErrors ("STUN") and holds their codes.
public enum STUNErrors: CodedErrorDomain {
    /// "STUN".
    public static let name = "STUN"
}

extension CodedError.Code where Domain == STUNErrors {
    /// Fewer bytes than the header or an attribute needs (RFC 8489 §5, §14).
    public static var truncated: Self { Self("truncated") }
    /// The first two bits are not zero, so this is not STUN (RFC 8489 §5).
    public static var notSTUN: Self { Self("notSTUN") }
    /// The magic cookie is not 0x2112A442 (RFC 8489 §5).
    public static var badMagicCookie: Self { Self("badMagicCookie") }
    /// The message length is not a multiple of 4 or does not match the bytes given (RFC 8489 §5).
    public static var badLength: Self { Self("badLength") }
    /// An attribute's value (or its padding) runs past the end of the message (RFC 8489 §14).
    public static var attributeOverrun: Self { Self("attributeOverrun") }
    /// An attribute's value is malformed for its type (wrong length, bad field, invalid UTF-8, too long).
    public static var invalidAttribute: Self { Self("invalidAttribute") }
    /// A value given to an initializer or encoder is out of range.
    public static var invalidArgument: Self { Self("invalidArgument") }
    /// The encoded message would exceed what the 16-bit length field can describe.
    public static var tooLarge: Self { Self("tooLarge") }
    /// OpenSSL refused an operation (key set-up, digest).
    public static var crypto: Self { Self("crypto") }
}

extension CodedError where Domain == STUNErrors {
    /// The same error with `offset` moved by `delta` (used when an attribute value's error is reported within
    /// its message).
    func shifted(by delta: Int) -> STUNError {
        at(offset: (offset ?? 0) &+ delta)
    }
}

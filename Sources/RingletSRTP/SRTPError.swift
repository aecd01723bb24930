import RingletCore

/// Why SRTP or SRTCP could not protect or unprotect a packet, or could not set up a context (RFC 3711 §3.3, §3.4).
///
/// One error type for the module: an open `code` plus context saying what failed and where. Every failure on a
/// path reachable from network bytes is reported this way; nothing traps.
///
/// ``CodedError`` in the ``SRTPErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias SRTPError = CodedError<SRTPErrors>

/// Names SRTPErrors ("SRTP") and holds their codes.
public enum SRTPErrors: CodedErrorDomain {
    /// "SRTP".
    public static let name = "SRTP"
}

extension CodedError.Code where Domain == SRTPErrors {
    /// The packet is shorter than its header, trailer or tag says it must be.
    public static var truncated: Self { Self("truncated") }
    /// The header is not an RTP/RTCP header this context can handle (version, lengths).
    public static var malformedHeader: Self { Self("malformedHeader") }
    /// The packet is larger than the context accepts (64 KiB).
    public static var packetTooLarge: Self { Self("packetTooLarge") }
    /// The authentication tag (HMAC-SHA1 or GCM tag) does not verify (RFC 3711 §3.3 step 5).
    public static var authenticationFailed: Self { Self("authenticationFailed") }
    /// The packet index was already received (RFC 3711 §3.3.2).
    public static var replayed: Self { Self("replayed") }
    /// The packet index is older than the replay window (RFC 3711 §3.3.2).
    public static var tooOld: Self { Self("tooOld") }
    /// A new SSRC arrived while the context already tracks its maximum number of streams.
    public static var tooManyStreams: Self { Self("tooManyStreams") }
    /// The SRTP (2^48) or SRTCP (2^31) index space of the session key is used up; re-key (RFC 3711 §9.2).
    public static var indexExhausted: Self { Self("indexExhausted") }
    /// A master key or salt has the wrong length for the profile.
    public static var invalidKeyLength: Self { Self("invalidKeyLength") }
    /// The protection profile is not one this module implements.
    public static var unsupportedProfile: Self { Self("unsupportedProfile") }
    /// The configuration is out of range.
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
    /// OpenSSL refused an operation (allocation or cipher failure).
    public static var cryptoFailure: Self { Self("cryptoFailure") }
}

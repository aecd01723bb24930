import RingletCore

/// Why an ICE value could not be built or parsed (RFC 8445, RFC 8839).
///
/// One error type for the module: an open `code`, the field concerned and a message for people.
///
/// ``CodedError`` in the ``ICEErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias ICEError = CodedError<ICEErrors>

/// Names ICEErrors ("ICE") and holds their codes.
public enum ICEErrors: CodedErrorDomain {
    /// "ICE".
    public static let name = "ICE"
}

extension CodedError.Code where Domain == ICEErrors {
    /// A candidate field is out of range or malformed (RFC 8839 §5.1).
    public static var invalidCandidate: Self { Self("invalidCandidate") }
    /// The candidate is valid SDP but not one this agent uses (FQDN/mDNS address, unknown type).
    public static var unsupportedCandidate: Self { Self("unsupportedCandidate") }
    /// ICE credentials are too short, too long or hold characters outside `ice-char` (RFC 8839 §5.4).
    public static var invalidCredentials: Self { Self("invalidCredentials") }
    /// A configuration value is out of range.
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
}

extension CodedError.Code where Domain == ICEErrors {
    /// OpenSSL could not set up the HMAC for a credential.
    public static var crypto: Self { Self("crypto") }
}

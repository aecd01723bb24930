import RingletCore

/// Why a DTLS certificate, fingerprint or transport failed (RFC 6347, RFC 5764, RFC 8122).
///
/// One error type for the module: an open `code` plus context saying what failed and where. Nothing reachable
/// from network bytes traps; a failed handshake is reported as a `DTLSEvent.failed` carrying one of these.
///
/// ``CodedError`` in the ``DTLSErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias DTLSError = CodedError<DTLSErrors>

/// Names DTLSErrors ("DTLS") and holds their codes.
public enum DTLSErrors: CodedErrorDomain {
    /// "DTLS".
    public static let name = "DTLS"
}

extension CodedError.Code where Domain == DTLSErrors {
    /// OpenSSL refused an operation (allocation, key generation, signing, context set-up).
    public static var cryptoFailure: Self { Self("cryptoFailure") }
    /// PEM text could not be read as a private key and a certificate that belong together.
    public static var invalidPEM: Self { Self("invalidPEM") }
    /// An SDP `a=fingerprint` value is malformed (RFC 8122 §5).
    public static var invalidFingerprint: Self { Self("invalidFingerprint") }
    /// The fingerprint's hash function is not one this module checks (sha-256, sha-384, sha-512).
    public static var unsupportedHashFunction: Self { Self("unsupportedHashFunction") }
    /// The peer's certificate does not match any fingerprint from the remote SDP (RFC 8122 §5, RFC 8842).
    public static var fingerprintMismatch: Self { Self("fingerprintMismatch") }
    /// The peer sent no certificate (RFC 5763 §5 requires one).
    public static var noPeerCertificate: Self { Self("noPeerCertificate") }
    /// The handshake ended without an SRTP protection profile (RFC 5764 §4.1.1).
    public static var srtpNotNegotiated: Self { Self("srtpNotNegotiated") }
    /// The negotiated SRTP profile has no known keying-material length (RFC 5764 §4.2).
    public static var unsupportedProfile: Self { Self("unsupportedProfile") }
    /// The DTLS handshake failed (alert sent or received, malformed flight, retransmissions exhausted).
    public static var handshakeFailed: Self { Self("handshakeFailed") }
    /// The handshake did not finish within `DTLSTransport.Configuration.handshakeTimeout`.
    public static var handshakeTimeout: Self { Self("handshakeTimeout") }
    /// Application data was offered before the handshake finished or after the transport closed or failed.
    public static var notConnected: Self { Self("notConnected") }
    /// Application data too large for one DTLS record (RFC 6347 §4.1.1: 2^14 bytes).
    public static var recordTooLarge: Self { Self("recordTooLarge") }
    /// A configuration value is out of range.
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
    /// The connection failed after the handshake (a fatal alert or a malformed record OpenSSL would not skip).
    public static var connectionFailed: Self { Self("connectionFailed") }
}

/// Why a DTLS certificate, fingerprint or transport failed (RFC 6347, RFC 5764, RFC 8122).
///
/// One error type for the module: an open `code` plus context saying what failed and where. Nothing reachable
/// from network bytes traps; a failed handshake is reported as a `DTLSEvent.failed` carrying one of these.
public struct DTLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Open: new codes may be added.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// OpenSSL refused an operation (allocation, key generation, signing, context set-up).
        public static let cryptoFailure = Code(rawValue: "cryptoFailure")
        /// PEM text could not be read as a private key and a certificate that belong together.
        public static let invalidPEM = Code(rawValue: "invalidPEM")
        /// An SDP `a=fingerprint` value is malformed (RFC 8122 §5).
        public static let invalidFingerprint = Code(rawValue: "invalidFingerprint")
        /// The fingerprint's hash function is not one this module checks (sha-256, sha-384, sha-512).
        public static let unsupportedHashFunction = Code(rawValue: "unsupportedHashFunction")
        /// The peer's certificate does not match any fingerprint from the remote SDP (RFC 8122 §5, RFC 8842).
        public static let fingerprintMismatch = Code(rawValue: "fingerprintMismatch")
        /// The peer sent no certificate (RFC 5763 §5 requires one).
        public static let noPeerCertificate = Code(rawValue: "noPeerCertificate")
        /// The handshake ended without an SRTP protection profile (RFC 5764 §4.1.1).
        public static let srtpNotNegotiated = Code(rawValue: "srtpNotNegotiated")
        /// The negotiated SRTP profile has no known keying-material length (RFC 5764 §4.2).
        public static let unsupportedProfile = Code(rawValue: "unsupportedProfile")
        /// The DTLS handshake failed (alert sent or received, malformed flight, retransmissions exhausted).
        public static let handshakeFailed = Code(rawValue: "handshakeFailed")
        /// The handshake did not finish within `DTLSTransport.Configuration.handshakeTimeout`.
        public static let handshakeTimeout = Code(rawValue: "handshakeTimeout")
        /// Application data was offered before the handshake finished or after the transport closed or failed.
        public static let notConnected = Code(rawValue: "notConnected")
        /// Application data too large for one DTLS record (RFC 6347 §4.1.1: 2^14 bytes).
        public static let recordTooLarge = Code(rawValue: "recordTooLarge")
        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// The connection failed after the handshake (a fatal alert or a malformed record OpenSSL would not skip).
        public static let connectionFailed = Code(rawValue: "connectionFailed")

        public var description: String { rawValue }
    }

    /// What kind of failure.
    public let code: Code
    /// The field or step concerned (e.g. "peer certificate", "fingerprint").
    public let field: String
    /// Byte offset in the input where the problem was found, when there is one.
    public let offset: Int?
    /// A human-readable detail (OpenSSL's reason string where OpenSSL failed).
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String, offset: Int? = nil, message: String = "") {
        self.code = code
        self.field = field
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var s = "DTLS \(code.rawValue): \(field)"
        if let offset { s += " at offset \(offset)" }
        if !message.isEmpty { s += ": \(message)" }
        return s
    }
}

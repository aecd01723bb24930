/// Why an ICE value could not be built or parsed (RFC 8445, RFC 8839).
///
/// One error type for the module: an open `code`, the field concerned and a message for people.
public struct ICEError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. Compare against the static constants.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// A short stable name, e.g. `"invalidCandidate"`.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { rawValue }

        /// A candidate field is out of range or malformed (RFC 8839 §5.1).
        public static let invalidCandidate = Code(rawValue: "invalidCandidate")
        /// The candidate is valid SDP but not one this agent uses (FQDN/mDNS address, unknown type).
        public static let unsupportedCandidate = Code(rawValue: "unsupportedCandidate")
        /// ICE credentials are too short, too long or hold characters outside `ice-char` (RFC 8839 §5.4).
        public static let invalidCredentials = Code(rawValue: "invalidCredentials")
        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
    }

    /// What kind of failure.
    public let code: Code
    /// The field concerned, e.g. `"foundation"`.
    public let field: String
    /// What went wrong, for people.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// `ICE <code> at <field>: <message>`.
    public var description: String { "ICE \(code) at \(field): \(message)" }
}

extension ICEError.Code {
    /// OpenSSL could not set up the HMAC for a credential.
    public static let crypto = ICEError.Code(rawValue: "crypto")
}

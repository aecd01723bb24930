/// What went wrong in the signaling module: a message that could not be decoded, a key or signature that could
/// not be used, or (sent to a peer inside an `error` message) a request the server refused.
///
/// `code` is an open set (see `Code`); `field` names the JSON field or key part at fault when there is one.
public struct SignalingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Open set of failure kinds; the raw value is the string sent in an `error` message's `code`.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable {
        public let rawValue: String
        /// Makes a code from its wire string (unknown codes are kept as they are).
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Not JSON, not an object, or a field of the wrong type or missing.
        public static let malformed = Code(rawValue: "malformed")
        /// The `type` is not one this version knows.
        public static let unknownType = Code(rawValue: "unknown_type")
        /// The `v` field is missing or not 1.
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        /// The message is larger than `SignalingLimits.maximumMessageSize`.
        public static let tooLarge = Code(rawValue: "too_large")
        /// A message other than the expected authentication arrived before authentication.
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// The device signature or the user token was not accepted.
        public static let authenticationFailed = Code(rawValue: "authentication_failed")
        /// No authentication arrived within the deadline.
        public static let authenticationTimeout = Code(rawValue: "authentication_timeout")
        /// The message names a call this session is not a party of, or that is over.
        public static let unknownCall = Code(rawValue: "unknown_call")
        /// The message is not valid in the call's current state (e.g. `answer` after the call was answered).
        public static let invalidState = Code(rawValue: "invalid_state")
        /// The request was refused with one of the seed's codes (`seedCode` says which).
        public static let refused = Code(rawValue: "refused")
        /// The message is not allowed for this kind of session (a user sending `call`, a device sending `answer`).
        public static let notAllowed = Code(rawValue: "not_allowed")
        /// The server's store failed.
        public static let internalError = Code(rawValue: "internal")
        /// OpenSSL failed or a key could not be parsed.
        public static let crypto = Code(rawValue: "crypto")
        /// The session sends faster than its limit (messages per second, notices per minute), or its address
        /// failed to authenticate too often; the message was dropped (docs/security.md).
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// The session's token expired: sent just before the server closes the session.
        public static let sessionExpired = Code(rawValue: "session_expired")
        /// The session's token was signed out or the user is gone: sent just before the server closes it.
        public static let sessionRevoked = Code(rawValue: "session_revoked")
        /// The device was reset or deleted (its key no longer counts): sent just before the server closes it.
        public static let deviceReset = Code(rawValue: "device_reset")

        /// Whether this code means the credentials the session stands on will not be accepted again (so a
        /// client should not retry with them): a failed authentication, an expired or revoked session, a reset
        /// device.
        public var rejectsCredentials: Bool {
            [Code.authenticationFailed, .sessionExpired, .sessionRevoked, .deviceReset].contains(self)
        }
    }

    /// What kind of failure.
    public let code: Code
    /// The field or part at fault, when known.
    public let field: String?
    /// A human-readable explanation.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "signaling \(code.rawValue) (\(field)): \(message)" }
        return "signaling \(code.rawValue): \(message)"
    }
}

/// Fixed limits of the signaling protocol (docs/protocol.md, "Limits").
public enum SignalingLimits {
    /// The largest message, in bytes of UTF-8 JSON, that a peer may send: 64 KiB. Larger messages are refused
    /// with `too_large` and the session is closed. (An SDP of a video call is about 3–6 KiB.)
    public static let maximumMessageSize = 65_536
    /// The protocol version carried in every message's `v` field.
    public static let version = 1
    /// Seconds a new session has to authenticate before the server closes it.
    public static let authenticationDeadlineSeconds = 10
}

import RingletSignaling

/// The one error type of `RingletCall`: what failed on the client side of signaling and media (a URL that cannot
/// be used, a connection that failed, a request that timed out, a server that refused).
///
/// Codes are static constants, so the set can grow without breaking callers (STYLE.md §5).
public struct CallClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable {
        /// The raw value.
        public let rawValue: String
        /// Makes a code.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A URL (server, STUN/TURN) could not be parsed or uses a scheme this client does not speak.
        public static let invalidURL = Code(rawValue: "invalidURL")
        /// A host name did not resolve to an address.
        public static let unresolvable = Code(rawValue: "unresolvable")
        /// The connection could not be made or was lost.
        public static let connectionFailed = Code(rawValue: "connectionFailed")
        /// The server did not answer in time.
        public static let timeout = Code(rawValue: "timeout")
        /// The server refused the authentication (device key or session token).
        public static let authenticationFailed = Code(rawValue: "authenticationFailed")
        /// The server answered with something this client cannot use.
        public static let badResponse = Code(rawValue: "badResponse")
        /// Not connected to the signaling server.
        public static let offline = Code(rawValue: "offline")
        /// The server will not take these credentials again: the device key or session token was refused, the
        /// session expired or was signed out, the device was reset. Retrying with them is pointless, so the
        /// session stops (docs/security.md).
        public static let credentialsRejected = Code(rawValue: "credentialsRejected")
        /// A setting cannot be used (a CA file that does not load).
        public static let invalidArgument = Code(rawValue: "invalidArgument")
    }

    /// What failed.
    public let code: Code
    /// A human-readable explanation (no secrets, no peer addresses).
    public let message: String
    /// The server's `error` message this stands for, when the server refused.
    public let serverError: ErrorMessage?

    /// Makes an error.
    public init(_ code: Code, _ message: String, serverError: ErrorMessage? = nil) {
        self.code = code
        self.message = message
        self.serverError = serverError
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

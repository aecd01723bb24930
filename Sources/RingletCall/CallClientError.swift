import RingletCore
import RingletSignaling

/// The one error type of `RingletCall`: what failed on the client side of signaling and media (a URL that cannot
/// be used, a connection that failed, a request that timed out, a server that refused).
///
/// Codes are static constants, so the set can grow without breaking callers (STYLE.md §5).
///
/// ``CodedError`` in the ``CallClientErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias CallClientError = CodedError<CallClientErrors>

/// Names CallClientErrors ("Call") and holds their codes.
public enum CallClientErrors: CodedErrorDomain {
    /// "Call".
    public static let name = "Call"
}

extension CodedError.Code where Domain == CallClientErrors {
    /// A URL (server, STUN/TURN) could not be parsed or uses a scheme this client does not speak.
    public static var invalidURL: Self { Self("invalidURL") }
    /// A host name did not resolve to an address.
    public static var unresolvable: Self { Self("unresolvable") }
    /// The connection could not be made or was lost.
    public static var connectionFailed: Self { Self("connectionFailed") }
    /// The server did not answer in time.
    public static var timeout: Self { Self("timeout") }
    /// The server refused the authentication (device key or session token).
    public static var authenticationFailed: Self { Self("authenticationFailed") }
    /// The server answered with something this client cannot use.
    public static var badResponse: Self { Self("badResponse") }
    /// Not connected to the signaling server.
    public static var offline: Self { Self("offline") }
    /// The server will not take these credentials again: the device key or session token was refused, the
    /// session expired or was signed out, the device was reset. Retrying with them is pointless, so the
    /// session stops (docs/security.md).
    public static var credentialsRejected: Self { Self("credentialsRejected") }
    /// A setting cannot be used (a CA file that does not load).
    public static var invalidArgument: Self { Self("invalidArgument") }
}

extension CodedError where Domain == CallClientErrors {
    /// The server's `error` message this stands for, when the server refused (kept as ``underlying``).
    public var serverError: ErrorMessage? { underlying as? ErrorMessage }
}

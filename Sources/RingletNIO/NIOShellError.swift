import RingletCore

/// The one error type of `RingletNIO`: what failed in the I/O shell, with context.
///
/// Codes are static constants, so the set can grow without breaking callers (STYLE.md §5).
///
/// ``CodedError`` in the ``NIOShellErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias NIOShellError = CodedError<NIOShellErrors>

/// Names NIOShellErrors ("NIO") and holds their codes.
public enum NIOShellErrors: CodedErrorDomain {
    /// "NIO".
    public static let name = "NIO"
}

extension CodedError.Code where Domain == NIOShellErrors {
    /// No machine with that identifier is registered with the driver.
    public static var unknownMachine: Self { Self("unknownMachine") }
    /// A local address is already owned by another machine.
    public static var addressInUse: Self { Self("addressInUse") }
    /// A socket address could not be converted (not IPv4/IPv6).
    public static var unsupportedAddress: Self { Self("unsupportedAddress") }
    /// The driver has been shut down.
    public static var shutDown: Self { Self("shutDown") }
    /// Network namespaces need root (CAP_SYS_ADMIN).
    public static var notRoot: Self { Self("notRoot") }
    /// An external command (`ip netns …`) failed or could not be started.
    public static var commandFailed: Self { Self("commandFailed") }
    /// `setns(2)` or `open(2)` of the namespace file failed.
    public static var setnsFailed: Self { Self("setnsFailed") }
    /// A namespace name is not a safe file name.
    public static var invalidName: Self { Self("invalidName") }
    /// A socket, epoll or thread call failed (the message names it and carries errno).
    public static var socketFailed: Self { Self("socketFailed") }
    /// TLS could not be set up (a bad configuration or server name).
    public static var tlsFailed: Self { Self("tlsFailed") }
}

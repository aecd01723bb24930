/// The one error type of `RingletNIO`: what failed in the I/O shell, with context.
///
/// Codes are static constants, so the set can grow without breaking callers (STYLE.md §5).
public struct NIOShellError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable {
        /// The raw value.
        public let rawValue: String
        /// Makes a code.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// No machine with that identifier is registered with the driver.
        public static let unknownMachine = Code(rawValue: "unknownMachine")
        /// A local address is already owned by another machine.
        public static let addressInUse = Code(rawValue: "addressInUse")
        /// A socket address could not be converted (not IPv4/IPv6).
        public static let unsupportedAddress = Code(rawValue: "unsupportedAddress")
        /// The driver has been shut down.
        public static let shutDown = Code(rawValue: "shutDown")
        /// Network namespaces need root (CAP_SYS_ADMIN).
        public static let notRoot = Code(rawValue: "notRoot")
        /// An external command (`ip netns …`) failed or could not be started.
        public static let commandFailed = Code(rawValue: "commandFailed")
        /// `setns(2)` or `open(2)` of the namespace file failed.
        public static let setnsFailed = Code(rawValue: "setnsFailed")
        /// A namespace name is not a safe file name.
        public static let invalidName = Code(rawValue: "invalidName")
        /// A socket, epoll or thread call failed (the message names it and carries errno).
        public static let socketFailed = Code(rawValue: "socketFailed")
        /// TLS could not be set up (a bad configuration or server name).
        public static let tlsFailed = Code(rawValue: "tlsFailed")
    }

    /// What failed.
    public let code: Code
    /// A human-readable explanation (peer addresses are not included).
    public let message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// "code: message".
    public var description: String { "\(code.rawValue): \(message)" }
}

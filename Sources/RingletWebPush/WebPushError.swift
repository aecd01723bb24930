/// What was wrong with a subscription, a key, a message or an answer of a push service.
public struct WebPushError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Open set of failure kinds.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The push endpoint is not a URL this server sends to (scheme, host, length, characters).
        public static let invalidEndpoint = Code(rawValue: "invalidEndpoint")
        /// The subscription's `p256dh` is not an uncompressed P-256 point on the curve (65 bytes).
        public static let invalidKey = Code(rawValue: "invalidKey")
        /// The subscription's `auth` secret is not 16 bytes.
        public static let invalidAuthSecret = Code(rawValue: "invalidAuthSecret")
        /// The plaintext does not fit one record of the chosen size.
        public static let payloadTooLarge = Code(rawValue: "payloadTooLarge")
        /// An `aes128gcm` body that is too short, has a bad header, several records or bad padding.
        public static let malformedMessage = Code(rawValue: "malformedMessage")
        /// The body did not decrypt (wrong keys, altered bytes).
        public static let decryptionFailed = Code(rawValue: "decryptionFailed")
        /// A VAPID subject that is not a `mailto:` address or an `https:` URL push services accept.
        public static let invalidSubject = Code(rawValue: "invalidSubject")
        /// A VAPID private key that is not a P-256 scalar.
        public static let invalidVAPIDKey = Code(rawValue: "invalidVAPIDKey")
        public var description: String { rawValue }
    }

    public let code: Code
    /// What exactly failed (never key material).
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "web push \(code.rawValue): \(message)" }
}

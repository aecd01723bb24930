import RingletCore

/// What was wrong with a subscription, a key, a message or an answer of a push service.
///
/// ``CodedError`` in the ``WebPushErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias WebPushError = CodedError<WebPushErrors>

/// Names WebPushErrors ("Web push") and holds their codes.
public enum WebPushErrors: CodedErrorDomain {
    /// "Web push".
    public static let name = "Web push"
}

extension CodedError.Code where Domain == WebPushErrors {
    /// The push endpoint is not a URL this server sends to (scheme, host, length, characters).
    public static var invalidEndpoint: Self { Self("invalidEndpoint") }
    /// The subscription's `p256dh` is not an uncompressed P-256 point on the curve (65 bytes).
    public static var invalidKey: Self { Self("invalidKey") }
    /// The subscription's `auth` secret is not 16 bytes.
    public static var invalidAuthSecret: Self { Self("invalidAuthSecret") }
    /// The plaintext does not fit one record of the chosen size.
    public static var payloadTooLarge: Self { Self("payloadTooLarge") }
    /// An `aes128gcm` body that is too short, has a bad header, several records or bad padding.
    public static var malformedMessage: Self { Self("malformedMessage") }
    /// The body did not decrypt (wrong keys, altered bytes).
    public static var decryptionFailed: Self { Self("decryptionFailed") }
    /// A VAPID subject that is not a `mailto:` address or an `https:` URL push services accept.
    public static var invalidSubject: Self { Self("invalidSubject") }
    /// A VAPID private key that is not a P-256 scalar.
    public static var invalidVAPIDKey: Self { Self("invalidVAPIDKey") }
}

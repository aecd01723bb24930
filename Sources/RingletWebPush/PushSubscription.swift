import Crypto
import RingletCore

/// A browser's push subscription (W3C Push API, `PushSubscription.toJSON()`): the push resource to POST to and
/// the keys a message is encrypted for (RFC 8291 §2: the user agent's P-256 public key and its authentication
/// secret).
public struct PushSubscription: Hashable, Sendable {
    /// Where messages go.
    public let endpoint: PushEndpoint
    /// The user agent's public key, an uncompressed P-256 point (65 bytes, first byte 4), checked to be on the curve.
    public let p256dh: [UInt8]
    /// The authentication secret (16 bytes).
    public let auth: [UInt8]

    /// A subscription from its parts.
    ///
    /// - Throws: `invalidKey` unless `p256dh` is an uncompressed point on P-256; `invalidAuthSecret` unless `auth`
    ///   is 16 bytes.
    public init(endpoint: PushEndpoint, p256dh: [UInt8], auth: [UInt8]) throws(WebPushError) {
        guard p256dh.count == 65, p256dh.first == 4,
              (try? P256.KeyAgreement.PublicKey(x963Representation: p256dh)) != nil
        else { throw WebPushError(.invalidKey, "p256dh is not an uncompressed P-256 public key (65 bytes)") }
        guard auth.count == 16 else { throw WebPushError(.invalidAuthSecret, "auth is not 16 bytes") }
        self.endpoint = endpoint
        self.p256dh = p256dh
        self.auth = auth
    }

    /// A subscription from the JSON fields a browser gives (`endpoint`, `keys.p256dh`, `keys.auth`, keys in
    /// base64url; trailing `=` padding, which some browsers add, is accepted).
    ///
    /// - Throws: `invalidEndpoint`, `invalidKey` or `invalidAuthSecret`.
    public init(endpoint: String, p256dh: String, auth: String, policy: PushEndpoint.Policy = .init())
        throws(WebPushError)
    {
        let parsed = try PushEndpoint(endpoint, policy: policy)
        guard p256dh.utf8.count <= 128, let key = Self.decodeKey(p256dh) else {
            throw WebPushError(.invalidKey, "p256dh is not base64url")
        }
        guard auth.utf8.count <= 64, let secret = Self.decodeKey(auth) else {
            throw WebPushError(.invalidAuthSecret, "auth is not base64url")
        }
        try self.init(endpoint: parsed, p256dh: key, auth: secret)
    }

    /// Base64url without padding, or with the `=` padding some browsers add.
    static func decodeKey(_ text: String) -> [UInt8]? {
        var trimmed = Substring(text)
        while trimmed.last == "=" { trimmed = trimmed.dropLast() }
        return Base64URL.decode(String(trimmed))
    }
}

import Crypto
import RingletCore

/// How soon a push message must reach the user agent (RFC 8030 §5.3). `high` is for "incoming phone call or
/// time-sensitive alert"; push services may hold lower urgencies back while a phone saves power.
public enum PushUrgency: String, Hashable, Sendable, CaseIterable {
    case veryLow = "very-low"
    case low
    case normal
    case high
}

/// A push message topic (RFC 8030 §5.4): at most 32 characters of the base64url alphabet. A message with the
/// same topic replaces one the push service still holds for that subscription.
public struct PushTopic: Hashable, Sendable, CustomStringConvertible {
    /// The header's value.
    public let value: String

    /// `name` itself when it is a valid topic, else the first 24 bytes of its SHA-256 in base64url (32
    /// characters): any name gives a valid topic, the same name the same topic.
    public init(_ name: String) {
        let bytes = Array(name.utf8)
        let valid = !bytes.isEmpty && bytes.count <= 32 && bytes.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        value = valid ? name : Base64URL.encode(Array(SHA256.hash(data: bytes)).prefix(24))
    }

    public var description: String { value }
}

/// One push message to send: the plaintext and the delivery headers' values (RFC 8030 §5).
public struct WebPushMessage: Hashable, Sendable {
    /// The plaintext (at most ``WebPushEncryption/maximumPlaintext`` bytes).
    public var payload: [UInt8]
    /// How long the push service keeps it for an unreachable user agent, seconds (`TTL`, required by RFC 8030
    /// §5.2; 0 means "deliver now or drop").
    public var ttlSeconds: Int
    /// `Urgency`.
    public var urgency: PushUrgency
    /// `Topic`, or nil for none.
    public var topic: PushTopic?

    public init(payload: [UInt8], ttlSeconds: Int, urgency: PushUrgency = .normal, topic: PushTopic? = nil) {
        self.payload = payload
        self.ttlSeconds = ttlSeconds
        self.urgency = urgency
        self.topic = topic
    }
}

/// An HTTP request to a push service, ready to send (RFC 8030 §5): `POST` to the endpoint with the encrypted
/// body, `Content-Encoding: aes128gcm`, `TTL`, `Urgency`, `Topic` and the VAPID `Authorization`.
public struct WebPushRequest: Hashable, Sendable {
    /// The endpoint URL.
    public let url: String
    /// Header names and values, in order.
    public let headers: [HeaderField]
    /// The `aes128gcm` body.
    public let body: [UInt8]

    /// One header.
    public struct HeaderField: Hashable, Sendable {
        public let name: String
        public let value: String
    }

    /// Encrypts `message` for `subscription` and adds the headers.
    ///
    /// - Parameters:
    ///   - authorization: the VAPID header value for the endpoint's origin (``VAPIDKey/authorization(audience:expiresAt:subject:)``).
    ///   - ephemeralKey, salt: fresh for every request (RFC 8291 §3.1, RFC 8188 §2.1).
    /// - Throws: what ``WebPushEncryption/encrypt(_:userAgentPublic:authSecret:ephemeralKey:salt:padding:)`` throws.
    public init(message: WebPushMessage, subscription: PushSubscription, authorization: String,
                ephemeralKey: P256.KeyAgreement.PrivateKey, salt: [UInt8]) throws(WebPushError) {
        body = try WebPushEncryption.encrypt(message.payload, userAgentPublic: subscription.p256dh,
                                             authSecret: subscription.auth, ephemeralKey: ephemeralKey, salt: salt)
        var headers = [
            HeaderField(name: "Content-Type", value: "application/octet-stream"),
            HeaderField(name: "Content-Encoding", value: "aes128gcm"),
            HeaderField(name: "TTL", value: String(max(0, message.ttlSeconds))),
            HeaderField(name: "Urgency", value: message.urgency.rawValue),
            HeaderField(name: "Authorization", value: authorization),
        ]
        if let topic = message.topic { headers.append(HeaderField(name: "Topic", value: topic.value)) }
        self.headers = headers
        url = subscription.endpoint.url
    }

    /// The value of header `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// VAPID tokens per audience, signed once and reused until half their life has passed (signing every push would
/// cost an ECDSA signature each). Time is a parameter (Unix seconds).
public struct VAPIDAuthorizations: Sendable {
    /// The key and subject everything is signed with.
    public let key: VAPIDKey
    public let subject: VAPIDSubject
    /// How long a token is valid, seconds (RFC 8292 §2: at most 24 hours). Default 12 hours.
    public let lifetimeSeconds: Int64
    private var cache: [String: (header: String, expiresAt: Int64)] = [:]

    public init(key: VAPIDKey, subject: VAPIDSubject, lifetimeSeconds: Int64 = 12 * 3600) {
        self.key = key
        self.subject = subject
        self.lifetimeSeconds = min(max(60, lifetimeSeconds), 24 * 3600)
    }

    /// The `Authorization` value for `audience` at `now`: a cached one with more than half its life left, else a
    /// new one. The cache holds at most 256 audiences (there are few push services).
    public mutating func header(audience: String, now: Int64) -> String {
        if let cached = cache[audience], cached.expiresAt - now > lifetimeSeconds / 2 { return cached.header }
        if cache.count >= 256 { cache.removeAll() }
        let expiresAt = now + lifetimeSeconds
        let header = key.authorization(audience: audience, expiresAt: expiresAt, subject: subject)
        cache[audience] = (header, expiresAt)
        return header
    }
}

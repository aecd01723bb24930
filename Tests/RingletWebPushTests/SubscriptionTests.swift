import Crypto
import RingletCore
import RingletWebPush
import Testing

@Suite("Push subscriptions and endpoints")
struct SubscriptionTests {
    static let p256dh = Base64URL.encode(Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation))
    static let auth = Base64URL.encode([UInt8](repeating: 9, count: 16))

    @Test("push services' endpoints are accepted, with the origin as VAPID audience", arguments: [
        ("https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bH", "https://fcm.googleapis.com"),
        ("https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk", "https://updates.push.services.mozilla.com"),
        ("https://web.push.apple.com/QGuQyavXutnMH", "https://web.push.apple.com"),
        ("https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD", "https://wns2-par02p.notify.windows.com"),
        ("HTTPS://Push.Example.COM:443/x", "https://push.example.com"),
        ("https://push.example.com:8443/x", "https://push.example.com:8443"),
        ("https://203.0.113.7/push", "https://203.0.113.7"),
    ])
    func accepted(url: String, origin: String) throws {
        let endpoint = try PushEndpoint(url)
        #expect(endpoint.origin == origin)
        #expect(endpoint.url == url)
    }

    @Test("endpoints that are not https, name the server's own network or are malformed are refused", arguments: [
        "http://push.example.com/x", "ftp://push.example.com/x", "https:///x", "https://user:pw@push.example.com/x",
        "https://push.example.com/x#frag", "https://push.example.com/a b", "https://127.0.0.1/x", "https://localhost/x",
        "https://[::1]/x", "https://10.1.2.3/x", "https://192.168.1.1/x", "https://169.254.169.254/latest",
        "https://0.0.0.0/x", "https://push.example.com:0/x", "https://push.example.com:70000/x",
        "https://push.example.com:/x", "https://[fe80::1]/x", "https://push_example.com/x", "", "https://ü.example/x",
        "https://" + String(repeating: "a", count: 1020),
    ])
    func refused(url: String) {
        #expect(throws: WebPushError.self) { try PushEndpoint(url) }
    }

    @Test("development mode also takes http:// and https:// to a loopback address, and nothing else plain")
    func developmentLoopback() throws {
        let dev = PushEndpoint.Policy(allowLoopback: true)
        #expect(try PushEndpoint("http://127.0.0.1:9000/push/1", policy: dev).origin == "http://127.0.0.1:9000")
        #expect(try PushEndpoint("http://[::1]:9000/p", policy: dev).origin == "http://[::1]:9000")
        #expect(try PushEndpoint("http://localhost:9000/p", policy: dev).host == "localhost")
        #expect(try PushEndpoint("https://127.0.0.1/p", policy: dev).origin == "https://127.0.0.1")
        #expect(throws: WebPushError.self) { try PushEndpoint("http://push.example.com/p", policy: dev) }
        #expect(throws: WebPushError.self) { try PushEndpoint("http://10.0.0.1/p", policy: dev) }
    }

    @Test("keys: a P-256 point and a 16-byte secret pass, padded or not; wrong lengths and off-curve points do not")
    func keys() throws {
        let endpoint = "https://push.example.com/x"
        let subscription = try PushSubscription(endpoint: endpoint, p256dh: Self.p256dh, auth: Self.auth)
        #expect(subscription.p256dh.count == 65 && subscription.auth.count == 16)
        _ = try PushSubscription(endpoint: endpoint, p256dh: Self.p256dh + "=", auth: Self.auth + "==")
        var offCurve = try #require(Base64URL.decode(Self.p256dh))
        offCurve[64] ^= 1
        for (key, auth) in [(Base64URL.encode(offCurve), Self.auth), (String(Self.p256dh.dropLast(4)), Self.auth),
                            (Self.p256dh, Base64URL.encode([UInt8](repeating: 1, count: 15))),
                            ("not base64!", Self.auth), (Self.p256dh, "")] {
            #expect(throws: WebPushError.self, "\(key) \(auth)") {
                try PushSubscription(endpoint: endpoint, p256dh: key, auth: auth)
            }
        }
        let compressed = Base64URL.encode(Array(P256.KeyAgreement.PrivateKey().publicKey.compressedRepresentation))
        #expect(throws: WebPushError.self) { try PushSubscription(endpoint: endpoint, p256dh: compressed, auth: Self.auth) }
    }

    @Test("topics: a call id is its own topic; anything else becomes 32 base64url characters, the same each time")
    func topics() {
        #expect(PushTopic("call_00ab12cd34ef5678").value == "call_00ab12cd34ef5678")
        let long = PushTopic("notice:DOOR-1:a very long name with spaces")
        #expect(long.value.count == 32 && long == PushTopic("notice:DOOR-1:a very long name with spaces"))
        #expect(long.value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(PushTopic("").value.count == 32)
    }

    @Test("the request carries the encrypted body and TTL, Urgency, Topic, Content-Encoding and the VAPID header")
    func request() throws {
        let userAgent = P256.KeyAgreement.PrivateKey()
        let subscription = try PushSubscription(endpoint: "https://push.example.com/s/1",
                                                p256dh: Base64URL.encode(Array(userAgent.publicKey.x963Representation)),
                                                auth: Self.auth)
        let message = WebPushMessage(payload: Array("hello".utf8), ttlSeconds: 60, urgency: .high,
                                     topic: PushTopic("call_1"))
        let request = try WebPushRequest(message: message, subscription: subscription, authorization: "vapid t=x, k=y",
                                         ephemeralKey: P256.KeyAgreement.PrivateKey(), salt: [UInt8](repeating: 3, count: 16))
        #expect(request.url == "https://push.example.com/s/1")
        #expect(request.header("ttl") == "60")
        #expect(request.header("Urgency") == "high")
        #expect(request.header("Topic") == "call_1")
        #expect(request.header("Content-Encoding") == "aes128gcm")
        #expect(request.header("Authorization") == "vapid t=x, k=y")
        #expect(try WebPushEncryption.decrypt(request.body, privateKey: userAgent, authSecret: subscription.auth)
                == Array("hello".utf8))
    }
}

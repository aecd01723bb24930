import Crypto

/// Fuzz entry points for the Web Push parsers (SPI: the libFuzzer shims in Fuzz/ call these; docs/fuzzing.md).
@_spi(Fuzzing)
public enum WebPushFuzz {
    /// A fixed user agent key (the RFC 8291 Appendix A one), so that inputs built on the example reach the
    /// record checks.
    static let privateKey: P256.KeyAgreement.PrivateKey? = try? P256.KeyAgreement.PrivateKey(rawRepresentation: [
        0xAB, 0x57, 0x57, 0xA7, 0x0D, 0xD4, 0xA5, 0x3E, 0x55, 0x3A, 0x6B, 0xBF, 0x71, 0xFF, 0xEF, 0xEA,
        0x28, 0x74, 0xEC, 0x07, 0xA6, 0xB3, 0x79, 0xE3, 0xC4, 0x8F, 0x89, 0x5A, 0x02, 0xDC, 0x33, 0xDE,
    ])
    static let authSecret: [UInt8] = [0x05, 0x30, 0x59, 0x32, 0xA1, 0xC7, 0xEA, 0xBE, 0x13, 0xB6, 0xCE, 0xC9,
                                      0xFD, 0xA4, 0x88, 0x82]

    /// Decrypts `data` as an `aes128gcm` push message body; it must throw a `WebPushError` or return at most
    /// the body's length, never trap.
    public static func decrypt(_ data: [UInt8]) {
        guard let privateKey else { return }
        if let plaintext = try? WebPushEncryption.decrypt(data, privateKey: privateKey, authSecret: authSecret),
           plaintext.count > data.count {
            fatalError("decrypt returned more bytes than it was given")
        }
    }

    /// Splits `data` at zero bytes into an endpoint, a p256dh and an auth text and parses them as a
    /// subscription (both policies); parses a line of it as `Retry-After` and as a VAPID subject. An accepted
    /// endpoint must have a host and an origin that starts with its scheme.
    public static func subscription(_ data: [UInt8]) {
        let fields = data.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let endpoint = fields.first ?? ""
        for policy in [PushEndpoint.Policy(), PushEndpoint.Policy(allowLoopback: true)] {
            if let parsed = try? PushEndpoint(endpoint, policy: policy) {
                guard !parsed.host.isEmpty, parsed.origin.hasPrefix(parsed.scheme + "://") else {
                    fatalError("PushEndpoint accepted \(endpoint)")
                }
            }
            _ = try? PushSubscription(endpoint: endpoint, p256dh: fields.count > 1 ? fields[1] : "",
                                      auth: fields.count > 2 ? fields[2] : "", policy: policy)
        }
        if let wait = RetryAfter.milliseconds(endpoint, now: 1_700_000_000_000), wait < 0 {
            fatalError("Retry-After gave a negative wait for \(endpoint)")
        }
        _ = try? VAPIDSubject(endpoint)
        _ = PushTopic(endpoint)
    }
}

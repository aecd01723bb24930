import COpenSSL
import Foundation
import RingletCore
import RingletStore

/// Makes the cloud's ids and secrets (cloud brief, "Ids") from a random source, and hashes secrets for storage.
///
/// Ids: app `app_` + 16 hex, user `usr_` + 16 hex, openId `oid_` + 24 hex, call `call_` + 16 hex, notice
/// `ntc_` + 16 hex, model `mdl_` + 12 hex. Secrets and tokens: 32 random bytes, base64url without padding, after a
/// prefix (`rls_` app secret, `rla_` admin token, `rlu_` user session token, `rlt_` SN ticket). Only the SHA-256
/// (hex) of a secret is stored.
public struct Identifiers: Sendable {
    /// Returns `count` random bytes.
    public let randomBytes: @Sendable (Int) -> [UInt8]

    /// Identifiers drawn from `randomBytes`.
    public init(randomBytes: @escaping @Sendable (Int) -> [UInt8]) {
        self.randomBytes = randomBytes
    }

    /// Identifiers drawn from the system's random source (`SystemRandomNumberGenerator`).
    public static let system = Identifiers { count in
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }

    /// `prefix` followed by `hexDigits` random hex digits (`hexDigits` even).
    public func id(_ prefix: String, hexDigits: Int) -> String {
        prefix + randomBytes(hexDigits / 2).map { String(format: "%02x", $0) }.joined()
    }

    /// `prefix` followed by 32 random bytes in base64url without padding.
    public func secret(_ prefix: String) -> String {
        prefix + Self.base64URL(randomBytes(32))
    }

    /// Base64url (RFC 4648 §5) without padding.
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Base64URL.encode(bytes)
    }

    /// Decodes base64url (with or without padding; standard base64 is accepted too); nil if malformed.
    public static func decodeBase64URL(_ text: String) -> [UInt8]? {
        guard text.utf8.count <= 4096 else { return nil }
        var url = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while url.hasSuffix("=") { url.removeLast() }
        return Base64URL.decode(url)
    }

    /// SHA-256 of the UTF-8 bytes of `secret`, lowercase hex: what the store keeps instead of a secret.
    public static func hash(_ secret: String) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = Array(secret.utf8)
        bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                _ = SHA256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two strings in time that depends only on their lengths (for secret hashes).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// The seed's SN rules (tencent-sdk-notes §3): at most 128 bytes (else 9800001), only `[A-Za-z0-9_-]` and
/// not empty (else 9800002).
enum SNRules {
    /// Throws the seed's SN error if `sn` breaks a rule.
    static func validate(_ sn: String) throws(APIError) {
        guard sn.utf8.count <= 128 else {
            throw APIError(.unprocessableContent, .snTooLong, "the SN is longer than 128 bytes", seedCode: 9_800_001)
        }
        guard !sn.isEmpty, sn.utf8.allSatisfy(isAllowed) else {
            throw APIError(
                .unprocessableContent, .snBadCharacters, "the SN must be non-empty [A-Za-z0-9_-]", seedCode: 9_800_002
            )
        }
    }

    /// Whether `byte` is in `[A-Za-z0-9_-]`; model ids follow the same alphabet (at most 64 bytes).
    static func isAllowed(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x5F || byte == 0x2D
    }
}

/// The `nextCursor` of a list answer: where the next page starts, as a ``PageToken`` (opaque to clients; a value
/// the server did not make is refused with 400, never trusted further).
enum ListCursor {
    /// The text of `cursor`.
    static func encode(_ cursor: PageCursor) -> String {
        PageToken(key: cursor.key, position: cursor.rowID).text
    }

    /// The cursor in `text`, or nil when it is not one.
    static func decode(_ text: String) -> PageCursor? {
        PageToken(text: text).map { PageCursor(key: $0.key, rowID: $0.position) }
    }
}

import RingletSTUN

/// Time-limited TURN credentials in the "TURN REST API" convention (draft-uberti-behave-turn-rest-00, as coturn
/// implements it with `use-auth-secret`): username `"<expiry>:<id>"` where expiry is a Unix time in seconds,
/// password `base64(HMAC-SHA1(secret, username))`.
public struct TURNRESTCredential: Hashable, Sendable {
    /// The username, `"<expiry>:<id>"`.
    public let username: String
    /// The password, base64 of the HMAC-SHA1 of the username under the shared secret.
    public let password: String

    /// Makes credentials for `id` that expire at Unix time `expiry` (seconds), with the server's shared secret.
    /// - Throws: `crypto` if OpenSSL cannot compute the HMAC.
    public init(id: String, expiry: UInt64, secret: [UInt8]) throws(TURNError) {
        let username = "\(expiry):\(id)"
        self.username = username
        self.password = try TURNRESTCredential.password(username: username, secret: secret)
    }

    /// `base64(HMAC-SHA1(secret, username))`.
    /// - Throws: `crypto` if OpenSSL cannot compute the HMAC.
    public static func password(username: String, secret: [UInt8]) throws(TURNError) -> String {
        do {
            let key = try STUNIntegrityKey(key: secret, algorithm: .hmacSHA1)
            return Base64.encode(key.authenticationCode(Array(username.utf8)))
        } catch {
            throw TURNError(.crypto, field: "password", error.description)
        }
    }

    /// The expiry (Unix seconds) in a REST username: the digits before the first ':', or nil if there are none.
    public static func expiry(ofUsername username: String) -> UInt64? {
        guard let colon = username.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return UInt64(Substring(username.utf8[..<colon]))
    }
}

/// Base64 with padding (RFC 4648 §4).
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes `bytes` as base64 text with `=` padding.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var it = bytes.makeIterator()
        while let b0 = it.next() {
            let b1 = it.next()
            let b2 = it.next()
            let n = UInt32(b0) << 16 | UInt32(b1 ?? 0) << 8 | UInt32(b2 ?? 0)
            // Each index is a 6-bit value, always within the 64-entry alphabet.
            out.append(alphabet[Int(n >> 18 & 0x3F)])
            out.append(alphabet[Int(n >> 12 & 0x3F)])
            out.append(b1 == nil ? UInt8(ascii: "=") : alphabet[Int(n >> 6 & 0x3F)])
            out.append(b2 == nil ? UInt8(ascii: "=") : alphabet[Int(n & 0x3F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

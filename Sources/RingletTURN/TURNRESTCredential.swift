import RingletCore
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

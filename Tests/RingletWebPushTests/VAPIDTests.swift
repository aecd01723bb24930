import Crypto
import Foundation
import RingletCore
import RingletWebPush
import Testing

@Suite("RFC 8292 VAPID")
struct VAPIDTests {
    /// The JWT's three parts decoded: header and claims as JSON objects, the signing input and the signature.
    func parts(_ token: String) throws -> (header: [String: Any], claims: [String: Any], input: String, signature: [UInt8]) {
        let pieces = token.split(separator: ".").map(String.init)
        try #require(pieces.count == 3)
        func object(_ text: String) throws -> [String: Any] {
            let bytes = try #require(Base64URL.decode(text))
            return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        }
        let signature = try #require(Base64URL.decode(pieces[2]))
        return (try object(pieces[0]), try object(pieces[1]), pieces[0] + "." + pieces[1], signature)
    }

    @Test("the token is an ES256 JWT with aud, exp and sub whose r‖s signature verifies with the public key")
    func tokenVerifies() throws {
        let key = VAPIDKey()
        let subject = try VAPIDSubject("mailto:ops@example.com")
        let token = key.token(audience: "https://push.example.net", expiresAt: 1_453_523_768, subject: subject)
        let (header, claims, input, signature) = try parts(token)
        #expect(header["alg"] as? String == "ES256" && header["typ"] as? String == "JWT")
        #expect(claims["aud"] as? String == "https://push.example.net")
        #expect(claims["exp"] as? Int == 1_453_523_768)
        #expect(claims["sub"] as? String == "mailto:ops@example.com")
        #expect(signature.count == 64)
        let publicKey = try P256.Signing.PublicKey(x963Representation: key.publicKey)
        let ecdsa = try P256.Signing.ECDSASignature(rawRepresentation: signature)
        #expect(publicKey.isValidSignature(ecdsa, for: Array(input.utf8)))
        #expect(!publicKey.isValidSignature(ecdsa, for: Array((input + "x").utf8)))
    }

    @Test("the Authorization header is `vapid t=JWT, k=KEY` with the uncompressed public key in base64url")
    func header() throws {
        let key = try VAPIDKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
        let value = key.authorization(audience: "https://fcm.googleapis.com", expiresAt: 2_000_000_000,
                                      subject: try VAPIDSubject("https://ringlet.example.com/contact"))
        #expect(value.hasPrefix("vapid t=ey"))
        #expect(value.hasSuffix(", k=" + key.publicKeyBase64URL))
        #expect(Base64URL.decode(key.publicKeyBase64URL)?.count == 65 && key.publicKey.first == 4)
        // The key survives being stored as its 32-byte scalar.
        #expect(try VAPIDKey(rawRepresentation: key.rawRepresentation).publicKey == key.publicKey)
    }

    @Test("a stored scalar that is not a P-256 key is refused", arguments: [[UInt8](repeating: 0, count: 32),
                                                                          [UInt8](repeating: 0xFF, count: 32),
                                                                          [UInt8](repeating: 1, count: 31)])
    func badScalar(bytes: [UInt8]) {
        #expect(throws: WebPushError.self) { try VAPIDKey(rawRepresentation: bytes) }
    }

    @Test("subjects Apple accepts pass; localhost, other schemes and bare names are refused", arguments: [
        ("mailto:ops@example.com", true), ("mailto:push+alerts@mail.ringlet.example.org", true),
        ("https://ringlet.example.com", true), ("https://ringlet.example.com/about", true),
        ("MAILTO:Ops@Example.COM", true),
        ("mailto:x@localhost", false), ("mailto:x@foo.localhost", false), ("mailto:ops", false),
        ("mailto:@example.com", false), ("mailto:a@b@example.com", false), ("https://localhost", false),
        ("http://ringlet.example.com", false), ("ops@example.com", false), ("", false),
        ("mailto:ops@example..com", false), ("mailto:ops @example.com", false),
    ])
    func subjects(text: String, accepted: Bool) {
        #expect(((try? VAPIDSubject(text)) != nil) == accepted, "\(text)")
    }

    @Test("tokens are reused per audience until half their life has passed, then renewed; never beyond 24 hours")
    func cache() throws {
        var authorizations = VAPIDAuthorizations(key: VAPIDKey(), subject: try VAPIDSubject("mailto:a@example.com"),
                                                 lifetimeSeconds: 3600)
        let first = authorizations.header(audience: "https://a.example", now: 1000)
        #expect(authorizations.header(audience: "https://a.example", now: 1000 + 1799) == first)
        #expect(authorizations.header(audience: "https://b.example", now: 1000) != first)
        let renewed = authorizations.header(audience: "https://a.example", now: 1000 + 1801)
        #expect(renewed != first)
        let claims = try parts(String(renewed.dropFirst("vapid t=".count).prefix { $0 != "," })).claims
        #expect(claims["exp"] as? Int == 1000 + 1801 + 3600)
        let long = VAPIDAuthorizations(key: VAPIDKey(), subject: try VAPIDSubject("mailto:a@example.com"),
                                       lifetimeSeconds: 7 * 86_400)
        #expect(long.lifetimeSeconds == 86_400)
    }
}

import Crypto
import RingletCore
import RingletWebPush
import Testing

/// RFC 8291 Appendix A ("Push Message Encryption Example"), every value as the RFC prints it (base64url).
enum RFC8291Example {
    static let plaintext = "When I grow up, I want to be a watermelon"
    static let applicationServerPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
    static let applicationServerPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
    static let userAgentPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
    static let userAgentPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
    static let salt = "DGv6ra1nlYgDCS1FRnbzlw"
    static let authSecret = "BTBZMqHH6r4Tts7J_aSIgg"
    static let ecdhSecret = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs"
    static let contentEncryptionKey = "oIhVW04MRdy2XN9CiKLxTg"
    static let nonce = "4h_95klXJ5E_qnoN"
    static let body = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"

    static func bytes(_ text: String) -> [UInt8] { Base64URL.decode(text) ?? [] }
    static var serverKey: P256.KeyAgreement.PrivateKey {
        get throws { try P256.KeyAgreement.PrivateKey(rawRepresentation: bytes(applicationServerPrivate)) }
    }
    static var userAgentKey: P256.KeyAgreement.PrivateKey {
        get throws { try P256.KeyAgreement.PrivateKey(rawRepresentation: bytes(userAgentPrivate)) }
    }
}

@Suite("RFC 8291 message encryption (aes128gcm)")
struct RFC8291Tests {
    typealias E = RFC8291Example

    @Test("the Appendix A example encrypts to the RFC's body byte for byte")
    func appendixABody() throws {
        let serverKey = try E.serverKey
        #expect(Base64URL.encode(Array(serverKey.publicKey.x963Representation)) == E.applicationServerPublic)
        let body = try WebPushEncryption.encrypt(Array(E.plaintext.utf8), userAgentPublic: E.bytes(E.userAgentPublic),
                                                 authSecret: E.bytes(E.authSecret), ephemeralKey: serverKey,
                                                 salt: E.bytes(E.salt))
        #expect(Base64URL.encode(body) == E.body)
        #expect(body.count == 86 + E.plaintext.utf8.count + 1 + 16)
    }

    @Test("the Appendix A intermediate values: ECDH secret, content encryption key and nonce")
    func appendixAIntermediates() throws {
        let shared = try E.serverKey.sharedSecretFromKeyAgreement(
            with: P256.KeyAgreement.PublicKey(x963Representation: E.bytes(E.userAgentPublic)))
        let secret = shared.withUnsafeBytes { Array($0) }
        #expect(Base64URL.encode(secret) == E.ecdhSecret)
        let keys = WebPushEncryption.deriveKeys(sharedSecret: secret, authSecret: E.bytes(E.authSecret),
                                                userAgentPublic: E.bytes(E.userAgentPublic),
                                                applicationServerPublic: E.bytes(E.applicationServerPublic),
                                                salt: E.bytes(E.salt))
        #expect(Base64URL.encode(keys.contentEncryptionKey) == E.contentEncryptionKey)
        #expect(Base64URL.encode(keys.nonce) == E.nonce)
    }

    @Test("the user agent's side decrypts the Appendix A body to the plaintext")
    func appendixADecrypts() throws {
        let plaintext = try WebPushEncryption.decrypt(E.bytes(E.body), privateKey: E.userAgentKey,
                                                      authSecret: E.bytes(E.authSecret))
        #expect(String(decoding: plaintext, as: UTF8.self) == E.plaintext)
    }

    @Test("a fresh key and salt round-trip, with padding, and never give the same body twice")
    func roundTrip() throws {
        let userAgent = P256.KeyAgreement.PrivateKey()
        let auth = (0..<16).map { UInt8($0 &* 7) }
        let message = Array(#"{"type":"ring"}"#.utf8)
        var bodies: Set<[UInt8]> = []
        for padding in [0, 1, 100] {
            let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
            let body = try WebPushEncryption.encrypt(message, userAgentPublic: Array(userAgent.publicKey.x963Representation),
                                                     authSecret: auth, ephemeralKey: P256.KeyAgreement.PrivateKey(),
                                                     salt: salt, padding: padding)
            bodies.insert(body)
            #expect(try WebPushEncryption.decrypt(body, privateKey: userAgent, authSecret: auth) == message)
        }
        #expect(bodies.count == 3)
    }

    @Test("a plaintext that does not fit one 4096-byte record is refused")
    func tooLarge() throws {
        let userAgent = P256.KeyAgreement.PrivateKey()
        let fits = [UInt8](repeating: 0x61, count: WebPushEncryption.maximumPlaintext)
        let body = try WebPushEncryption.encrypt(fits, userAgentPublic: Array(userAgent.publicKey.x963Representation),
                                                 authSecret: [UInt8](repeating: 1, count: 16),
                                                 ephemeralKey: P256.KeyAgreement.PrivateKey(), salt: [UInt8](repeating: 2, count: 16))
        #expect(body.count == WebPushEncryption.recordSize)
        #expect(throws: WebPushError.self) {
            try WebPushEncryption.encrypt(fits + [0x61], userAgentPublic: Array(userAgent.publicKey.x963Representation),
                                          authSecret: [UInt8](repeating: 1, count: 16),
                                          ephemeralKey: P256.KeyAgreement.PrivateKey(), salt: [UInt8](repeating: 2, count: 16))
        }
    }

    @Test("altered, truncated, wrongly keyed and multi-record bodies are refused with their reason", arguments: [
        ("a flipped ciphertext byte", "decryptionFailed"),
        ("a flipped salt byte", "decryptionFailed"),
        ("the wrong auth secret", "decryptionFailed"),
        ("cut to the header", "malformedMessage"),
        ("cut to 20 bytes", "malformedMessage"),
        ("a key id of 64 bytes", "malformedMessage"),
        ("a record size smaller than the record", "malformedMessage"),
        ("a key id not on the curve", "malformedMessage"),
    ])
    func refusals(change: String, code: String) throws {
        var body = E.bytes(E.body)
        var auth = E.bytes(E.authSecret)
        switch change {
        case "a flipped ciphertext byte": body[100] ^= 1
        case "a flipped salt byte": body[0] ^= 1
        case "the wrong auth secret": auth[0] ^= 1
        case "cut to the header": body = Array(body.prefix(86))
        case "cut to 20 bytes": body = Array(body.prefix(20))
        case "a key id of 64 bytes": body[20] = 64
        case "a record size smaller than the record": body[16...19] = [0, 0, 0, 40]
        default: body[22] ^= 0xFF
        }
        let key = try E.userAgentKey
        do throws(WebPushError) {
            _ = try WebPushEncryption.decrypt(body, privateKey: key, authSecret: auth)
            Issue.record("\(change) decrypted")
        } catch {
            #expect(error.code.rawValue == code, "\(change): \(error)")
        }
    }
}

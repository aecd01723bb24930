import Crypto

/// Message encryption for Web Push (RFC 8291) in the `aes128gcm` content coding (RFC 8188), one record.
///
/// ```
/// ecdh_secret = ECDH(as_private, ua_public)
/// IKM   = HKDF(salt = auth_secret, ikm = ecdh_secret, info = "WebPush: info" 0x00 ua_public as_public, 32)
/// CEK   = HKDF(salt, IKM, "Content-Encoding: aes128gcm" 0x00, 16)
/// NONCE = HKDF(salt, IKM, "Content-Encoding: nonce" 0x00, 12)
/// body  = salt(16) rs(4, big-endian) idlen(1) = 65  as_public(65)  AES-128-GCM(CEK, NONCE, plaintext 0x02 padding)
/// ```
///
/// Randomness is a parameter: the caller passes the ephemeral key and the salt (fresh for every message), so
/// RFC 8291 Appendix A can be checked byte for byte.
public enum WebPushEncryption {
    /// The record size written in the header (RFC 8291 §4 uses 4096; push services must accept bodies of 4096
    /// bytes).
    public static let recordSize = 4096
    /// Header length: salt 16 + rs 4 + idlen 1 + keyid 65.
    public static let headerLength = 86
    /// The largest plaintext that fits one 4096-byte body: 4096 − 86 (header) − 16 (tag) − 1 (delimiter).
    public static let maximumPlaintext = 3993

    /// The derived key and nonce (RFC 8291 §3.4, RFC 8188 §2.2–2.3), exposed for the RFC's intermediate values.
    public struct Keys: Hashable, Sendable {
        public let ecdhSecret: [UInt8]
        public let contentEncryptionKey: [UInt8]
        public let nonce: [UInt8]
    }

    /// Derives the content encryption key and nonce.
    ///
    /// - Parameters:
    ///   - sharedSecret: the ECDH secret (32 bytes).
    ///   - authSecret: the subscription's `auth` (16 bytes).
    ///   - userAgentPublic: the subscription's `p256dh` (65 bytes).
    ///   - applicationServerPublic: the ephemeral public key (65 bytes).
    ///   - salt: 16 bytes.
    public static func deriveKeys(sharedSecret: [UInt8], authSecret: [UInt8], userAgentPublic: [UInt8],
                                  applicationServerPublic: [UInt8], salt: [UInt8]) -> Keys {
        let keyInfo = Array("WebPush: info".utf8) + [0] + userAgentPublic + applicationServerPublic
        let ikm = hkdf(salt: authSecret, ikm: sharedSecret, info: keyInfo, count: 32)
        let cek = hkdf(salt: salt, ikm: ikm, info: Array("Content-Encoding: aes128gcm".utf8) + [0], count: 16)
        let nonce = hkdf(salt: salt, ikm: ikm, info: Array("Content-Encoding: nonce".utf8) + [0], count: 12)
        return Keys(ecdhSecret: sharedSecret, contentEncryptionKey: cek, nonce: nonce)
    }

    /// HKDF-SHA-256 (RFC 5869) with an output of at most 32 bytes: one HMAC for extract, one for expand.
    static func hkdf(salt: [UInt8], ikm: [UInt8], info: [UInt8], count: Int) -> [UInt8] {
        let prk = Array(HMAC<SHA256>.authenticationCode(for: ikm, using: SymmetricKey(data: salt)))
        let okm = Array(HMAC<SHA256>.authenticationCode(for: info + [1], using: SymmetricKey(data: prk)))
        return Array(okm.prefix(count))
    }

    /// Encrypts `plaintext` for `subscription` into an `aes128gcm` body of one record.
    ///
    /// - Parameters:
    ///   - plaintext: at most ``maximumPlaintext`` bytes.
    ///   - userAgentPublic: the subscription's `p256dh`; `authSecret` its `auth`.
    ///   - ephemeralKey: a fresh key pair for this message (RFC 8291 §3.1: never reused).
    ///   - salt: 16 fresh random bytes.
    ///   - padding: zero bytes added after the delimiter (hides the length; default none).
    /// - Throws: `payloadTooLarge`, `invalidKey`, `invalidAuthSecret`, `malformedMessage` for a salt not 16 bytes.
    public static func encrypt(_ plaintext: [UInt8], userAgentPublic: [UInt8], authSecret: [UInt8],
                               ephemeralKey: P256.KeyAgreement.PrivateKey, salt: [UInt8], padding: Int = 0)
        throws(WebPushError) -> [UInt8]
    {
        guard salt.count == 16 else { throw WebPushError(.malformedMessage, "the salt is not 16 bytes") }
        guard authSecret.count == 16 else { throw WebPushError(.invalidAuthSecret, "auth is not 16 bytes") }
        guard padding >= 0, plaintext.count + padding <= maximumPlaintext else {
            throw WebPushError(.payloadTooLarge, "\(plaintext.count) bytes of plaintext exceed \(maximumPlaintext)")
        }
        guard let peer = try? P256.KeyAgreement.PublicKey(x963Representation: userAgentPublic) else {
            throw WebPushError(.invalidKey, "p256dh is not a P-256 public key")
        }
        guard let shared = try? ephemeralKey.sharedSecretFromKeyAgreement(with: peer) else {
            throw WebPushError(.invalidKey, "ECDH with p256dh failed")
        }
        let secret = shared.withUnsafeBytes { Array($0) }
        let serverPublic = Array(ephemeralKey.publicKey.x963Representation)
        let keys = deriveKeys(sharedSecret: secret, authSecret: authSecret, userAgentPublic: userAgentPublic,
                              applicationServerPublic: serverPublic, salt: salt)
        let record = plaintext + [2] + [UInt8](repeating: 0, count: padding)
        let sealed: AES.GCM.SealedBox
        do {
            sealed = try AES.GCM.seal(record, using: SymmetricKey(data: keys.contentEncryptionKey),
                                      nonce: AES.GCM.Nonce(data: keys.nonce))
        } catch {
            throw WebPushError(.malformedMessage, "AES-GCM refused the record: \(error)")
        }
        var body = salt
        let rs = UInt32(recordSize)
        body += [UInt8(rs >> 24), UInt8(rs >> 16 & 0xFF), UInt8(rs >> 8 & 0xFF), UInt8(rs & 0xFF)]
        body.append(UInt8(serverPublic.count))
        body += serverPublic
        body += Array(sealed.ciphertext)
        body += Array(sealed.tag)
        return body
    }

    /// Decrypts an `aes128gcm` push message body (what a user agent does): one record, the header's key id the
    /// sender's public key.
    ///
    /// - Parameters:
    ///   - body: the bytes the push service delivered (untrusted).
    ///   - privateKey: the user agent's key pair (its public half is the subscription's `p256dh`).
    ///   - authSecret: the subscription's `auth`.
    /// - Throws: `malformedMessage` (short, bad header, more than one record, bad padding), `decryptionFailed`.
    public static func decrypt(_ body: [UInt8], privateKey: P256.KeyAgreement.PrivateKey, authSecret: [UInt8])
        throws(WebPushError) -> [UInt8]
    {
        guard body.count >= 21 else { throw WebPushError(.malformedMessage, "shorter than the 21-byte header") }
        let salt = Array(body[0..<16])
        let rs = body[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let idlen = Int(body[20])
        guard idlen == 65, body.count >= 21 + idlen else {
            throw WebPushError(.malformedMessage, "the key id is not a 65-byte P-256 public key")
        }
        let serverPublic = Array(body[21..<(21 + idlen)])
        let ciphertext = Array(body[(21 + idlen)...])
        guard rs >= 18 else { throw WebPushError(.malformedMessage, "record size \(rs) is below 18") }
        guard ciphertext.count >= 17 else { throw WebPushError(.malformedMessage, "no record after the header") }
        guard ciphertext.count <= rs else {
            throw WebPushError(.malformedMessage, "more than one record (\(ciphertext.count) bytes, record size \(rs))")
        }
        guard let peer = try? P256.KeyAgreement.PublicKey(x963Representation: serverPublic),
              let shared = try? privateKey.sharedSecretFromKeyAgreement(with: peer)
        else { throw WebPushError(.malformedMessage, "the key id is not a P-256 public key") }
        let keys = deriveKeys(sharedSecret: shared.withUnsafeBytes { Array($0) }, authSecret: authSecret,
                              userAgentPublic: Array(privateKey.publicKey.x963Representation),
                              applicationServerPublic: serverPublic, salt: salt)
        let record: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: keys.nonce), ciphertext: ciphertext.dropLast(16),
                                            tag: ciphertext.suffix(16))
            record = Array(try AES.GCM.open(box, using: SymmetricKey(data: keys.contentEncryptionKey)))
        } catch {
            throw WebPushError(.decryptionFailed, "the record did not authenticate")
        }
        // RFC 8188 §2: plaintext, then the delimiter (2 for the last record), then zero padding.
        guard let delimiter = record.lastIndex(where: { $0 != 0 }), record[delimiter] == 2 else {
            throw WebPushError(.malformedMessage, "the record has no last-record delimiter")
        }
        return Array(record[..<delimiter])
    }
}

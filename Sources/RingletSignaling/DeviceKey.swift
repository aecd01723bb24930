import COpenSSL

/// A device's signing key: ECDSA over P-256 (FIPS 186-4, SEC1) through OpenSSL's EVP interface.
///
/// - The public key is the SEC1 uncompressed point (65 bytes, `04 || X || Y`); the device registers it with
///   its SN ticket, base64url in JSON.
/// - The private key is stored as PKCS#8 DER (RFC 5208 `PrivateKeyInfo` holding a SEC1 `ECPrivateKey`,
///   RFC 5915), the form `openssl pkcs8 -topk8 -nocrypt -outform DER` writes. The device SDK keeps these bytes
///   in its key file; `init(privateKeyDER:)` reads them back.
/// - Signaling authentication (docs/protocol.md): the device signs `"ringlet-device-auth-v1:" + nonce` (the
///   raw 32 nonce bytes) with ECDSA-SHA256; the signature is DER (`ECDSA-Sig-Value`, RFC 3279 §2.2.3).
///
/// The value holds only bytes; each operation builds its OpenSSL objects and frees them, so it is `Sendable`.
public struct DeviceKey: Sendable, Hashable {
    /// The private key, PKCS#8 DER. Keep it secret.
    public let privateKeyDER: [UInt8]
    /// The public key, SEC1 uncompressed point (65 bytes).
    public let publicKey: [UInt8]

    /// The prefix of the signed authentication message.
    public static let authenticationPrefix: [UInt8] = Array("ringlet-device-auth-v1:".utf8)

    /// Generates a new P-256 key with OpenSSL's CSPRNG (key generation is the one place the module reads the
    /// system random source: a device key must not come from a seeded generator).
    /// - Throws: `crypto` if OpenSSL fails.
    public static func generate() throws(SignalingError) -> DeviceKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw cryptoError("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1 else {
            throw cryptoError("EVP_PKEY_keygen_init")
        }
        var pkey: OpaquePointer?
        guard EVP_PKEY_keygen(ctx, &pkey) == 1, let pkey else { throw cryptoError("EVP_PKEY_keygen") }
        defer { EVP_PKEY_free(pkey) }
        return DeviceKey(privateKeyDER: try exportPKCS8(pkey), publicKey: try exportPublicKey(pkey))
    }

    /// Reads a private key stored by `privateKeyDER` (PKCS#8 DER of a P-256 key).
    /// - Throws: `crypto` if the bytes are not a P-256 private key.
    public init(privateKeyDER: [UInt8]) throws(SignalingError) {
        let pkey = try DeviceKey.importPrivateKey(privateKeyDER)
        defer { EVP_PKEY_free(pkey) }
        self.privateKeyDER = privateKeyDER
        self.publicKey = try DeviceKey.exportPublicKey(pkey)
    }

    private init(privateKeyDER: [UInt8], publicKey: [UInt8]) {
        self.privateKeyDER = privateKeyDER
        self.publicKey = publicKey
    }

    /// Signs `message` with ECDSA-SHA256; the signature is DER.
    /// - Throws: `crypto` if OpenSSL fails.
    public func sign(_ message: [UInt8]) throws(SignalingError) -> [UInt8] {
        let pkey = try DeviceKey.importPrivateKey(privateKeyDER)
        defer { EVP_PKEY_free(pkey) }
        guard let md = EVP_MD_CTX_new() else { throw DeviceKey.cryptoError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(md) }
        guard EVP_DigestSignInit(md, nil, EVP_sha256(), nil, pkey) == 1 else { throw DeviceKey.cryptoError("EVP_DigestSignInit") }
        var length = 0
        guard EVP_DigestSign(md, nil, &length, message, message.count) == 1, length > 0 else {
            throw DeviceKey.cryptoError("EVP_DigestSign")
        }
        var signature = [UInt8](repeating: 0, count: length)
        let ok = signature.withUnsafeMutableBufferPointer { out in
            EVP_DigestSign(md, out.baseAddress, &length, message, message.count)
        }
        guard ok == 1, length <= signature.count else { throw DeviceKey.cryptoError("EVP_DigestSign") }
        signature.removeLast(signature.count - length)
        return signature
    }

    /// Signs a signaling challenge: `"ringlet-device-auth-v1:" + nonce`.
    public func signChallenge(nonce: [UInt8]) throws(SignalingError) -> [UInt8] {
        try sign(DeviceKey.authenticationPrefix + nonce)
    }

    /// Whether `signature` (DER ECDSA-SHA256) signs `message` under `publicKey` (SEC1 uncompressed P-256 point).
    /// Garbage keys or signatures give false; this never traps.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        defer { ERR_clear_error() }
        guard let pkey = importPublicKey(publicKey) else { return false }
        defer { EVP_PKEY_free(pkey) }
        guard let md = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(md) }
        guard EVP_DigestVerifyInit(md, nil, EVP_sha256(), nil, pkey) == 1 else { return false }
        return EVP_DigestVerify(md, signature, signature.count, message, message.count) == 1
    }

    /// Whether `signature` signs the challenge `nonce` under `publicKey`.
    public static func verifyChallenge(signature: [UInt8], nonce: [UInt8], publicKey: [UInt8]) -> Bool {
        verify(signature: signature, message: authenticationPrefix + nonce, publicKey: publicKey)
    }

    /// Whether `publicKey` is a valid SEC1 uncompressed P-256 point (65 bytes, on the curve).
    public static func isValidPublicKey(_ publicKey: [UInt8]) -> Bool {
        defer { ERR_clear_error() }
        guard let pkey = importPublicKey(publicKey) else { return false }
        EVP_PKEY_free(pkey)
        return true
    }

    // MARK: OpenSSL plumbing

    /// DER SubjectPublicKeyInfo prefix for id-ecPublicKey / prime256v1 with a 65-byte uncompressed point
    /// (RFC 5480 §2); the point follows it.
    private static let spkiPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A,
        0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]

    private static func importPublicKey(_ publicKey: [UInt8]) -> OpaquePointer? {
        guard publicKey.count == 65, publicKey.first == 0x04 else { return nil }
        let der = spkiPrefix + publicKey
        return der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var pointer: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &pointer, buffer.count)
        }
    }

    private static func importPrivateKey(_ der: [UInt8]) throws(SignalingError) -> OpaquePointer {
        defer { ERR_clear_error() }
        let parsed = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var pointer: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &pointer, buffer.count)
        }
        guard let pkey = parsed else {
            throw SignalingError(.crypto, field: "privateKey", "not a PKCS#8 DER private key")
        }
        var name = [CChar](repeating: 0, count: 64)
        var nameLength = 0
        let got = EVP_PKEY_get_group_name(pkey, &name, name.count, &nameLength)
        let group = String(decoding: name.prefix(min(nameLength, name.count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard got == 1, group == "prime256v1" || group == "P-256" else {
            EVP_PKEY_free(pkey)
            throw SignalingError(.crypto, field: "privateKey", "not a P-256 key")
        }
        return pkey
    }

    private static func exportPKCS8(_ pkey: OpaquePointer) throws(SignalingError) -> [UInt8] {
        guard let info = EVP_PKEY2PKCS8(pkey) else { throw cryptoError("EVP_PKEY2PKCS8") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, &out)
        guard length > 0, let out else { throw cryptoError("i2d_PKCS8_PRIV_KEY_INFO") }
        defer { CRYPTO_free(out, nil, 0) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    private static func exportPublicKey(_ pkey: OpaquePointer) throws(SignalingError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = EVP_PKEY_get1_encoded_public_key(pkey, &out)
        guard length > 0, let out else { throw cryptoError("EVP_PKEY_get1_encoded_public_key") }
        defer { CRYPTO_free(out, nil, 0) }
        let bytes = Array(UnsafeBufferPointer(start: out, count: length))
        guard bytes.count == 65, bytes.first == 0x04 else {
            throw SignalingError(.crypto, field: "publicKey", "public key is not an uncompressed P-256 point")
        }
        return bytes
    }

    private static func cryptoError(_ function: String) -> SignalingError {
        let code = ringlet_ERR_get_error()
        ERR_clear_error()
        return SignalingError(.crypto, "\(function) failed (OpenSSL error \(code))")
    }
}

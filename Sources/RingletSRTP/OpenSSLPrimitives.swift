import COpenSSL

// Thin owners of OpenSSL contexts. Each is keyed once at creation; per packet only the IV changes, so the hot
// path makes no allocation and no key schedule. None is Sendable: an EVP context is mutable state that OpenSSL
// does not let two threads use at once.

/// AES-128 in counter mode (RFC 3711 §4.1.1) through `EVP_aes_128_ctr`, keyed once.
final class AESCounterMode {
    private let ctx: OpaquePointer

    init(key: [UInt8]) throws(SRTPError) {
        guard key.count == 16, let ctx = EVP_CIPHER_CTX_new() else {
            throw SRTPError(.cryptoFailure, field: "AES-CTR context")
        }
        self.ctx = ctx
        let ok = key.withUnsafeBufferPointer { EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nil, $0.baseAddress, nil) }
        guard ok == 1 else { throw SRTPError(.cryptoFailure, field: "AES-CTR key") }
    }

    deinit { EVP_CIPHER_CTX_free(ctx) }

    /// XORs `count` bytes of keystream starting at the 16-byte counter block `iv` into `output`. `input` and
    /// `output` may be the same memory.
    @inline(__always)
    func apply(iv: UnsafePointer<UInt8>, input: UnsafeRawPointer, output: UnsafeMutableRawPointer, count: Int) -> Bool {
        guard EVP_EncryptInit_ex(ctx, nil, nil, nil, iv) == 1 else { return false }
        guard count > 0 else { return true }
        var outLength: Int32 = 0
        return EVP_EncryptUpdate(
            ctx, output.assumingMemoryBound(to: UInt8.self), &outLength,
            input.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: count)
        ) == 1 && Int(outLength) == count
    }
}

/// AES-128-GCM (RFC 7714) through `EVP_aes_128_gcm`: one context keyed for sealing, one for opening.
final class AESGCM {
    private let seal: OpaquePointer
    private let open: OpaquePointer
    static let tagLength = 16

    init(key: [UInt8]) throws(SRTPError) {
        guard key.count == 16, let seal = EVP_CIPHER_CTX_new() else {
            throw SRTPError(.cryptoFailure, field: "AES-GCM context")
        }
        guard let open = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_CTX_free(seal)
            throw SRTPError(.cryptoFailure, field: "AES-GCM context")
        }
        self.seal = seal
        self.open = open
        let ok = key.withUnsafeBufferPointer { k in
            EVP_EncryptInit_ex(seal, EVP_aes_128_gcm(), nil, k.baseAddress, nil) == 1
                && EVP_DecryptInit_ex(open, EVP_aes_128_gcm(), nil, k.baseAddress, nil) == 1
        }
        guard ok else { throw SRTPError(.cryptoFailure, field: "AES-GCM key") }
    }

    deinit {
        EVP_CIPHER_CTX_free(seal)
        EVP_CIPHER_CTX_free(open)
    }

    /// Encrypts `count` bytes and writes the 16-byte tag to `tag`. The associated data is `aad1` then `aad2`.
    @inline(__always)
    func seal(
        iv: UnsafePointer<UInt8>, aad1: UnsafeRawPointer, aad1Count: Int, aad2: UnsafeRawPointer?, aad2Count: Int,
        input: UnsafeRawPointer, output: UnsafeMutableRawPointer, count: Int, tag: UnsafeMutableRawPointer
    ) -> Bool {
        var n: Int32 = 0
        guard EVP_EncryptInit_ex(seal, nil, nil, nil, iv) == 1 else { return false }
        if aad1Count > 0 {
            guard EVP_EncryptUpdate(seal, nil, &n, aad1.assumingMemoryBound(to: UInt8.self),
                                    Int32(truncatingIfNeeded: aad1Count)) == 1 else { return false }
        }
        if let aad2, aad2Count > 0 {
            guard EVP_EncryptUpdate(seal, nil, &n, aad2.assumingMemoryBound(to: UInt8.self),
                                    Int32(truncatingIfNeeded: aad2Count)) == 1 else { return false }
        }
        if count > 0 {
            guard EVP_EncryptUpdate(seal, output.assumingMemoryBound(to: UInt8.self), &n,
                                    input.assumingMemoryBound(to: UInt8.self),
                                    Int32(truncatingIfNeeded: count)) == 1 else { return false }
        }
        guard EVP_EncryptFinal_ex(seal, output.assumingMemoryBound(to: UInt8.self) + count, &n) == 1 else {
            return false
        }
        return EVP_CIPHER_CTX_ctrl(seal, ringlet_EVP_CTRL_GCM_GET_TAG(), Int32(AESGCM.tagLength), tag) == 1
    }

    /// Verifies the 16-byte `tag` and decrypts `count` bytes; false when the tag does not verify.
    @inline(__always)
    func open(
        iv: UnsafePointer<UInt8>, aad1: UnsafeRawPointer, aad1Count: Int, aad2: UnsafeRawPointer?, aad2Count: Int,
        input: UnsafeRawPointer, output: UnsafeMutableRawPointer, count: Int, tag: UnsafeRawPointer
    ) -> Bool {
        var n: Int32 = 0
        guard EVP_DecryptInit_ex(open, nil, nil, nil, iv) == 1 else { return false }
        if aad1Count > 0 {
            guard EVP_DecryptUpdate(open, nil, &n, aad1.assumingMemoryBound(to: UInt8.self),
                                    Int32(truncatingIfNeeded: aad1Count)) == 1 else { return false }
        }
        if let aad2, aad2Count > 0 {
            guard EVP_DecryptUpdate(open, nil, &n, aad2.assumingMemoryBound(to: UInt8.self),
                                    Int32(truncatingIfNeeded: aad2Count)) == 1 else { return false }
        }
        if count > 0 {
            guard EVP_DecryptUpdate(open, output.assumingMemoryBound(to: UInt8.self), &n,
                                    input.assumingMemoryBound(to: UInt8.self),
                                    Int32(truncatingIfNeeded: count)) == 1 else { return false }
        }
        guard EVP_CIPHER_CTX_ctrl(open, ringlet_EVP_CTRL_GCM_SET_TAG(), Int32(AESGCM.tagLength),
                                  UnsafeMutableRawPointer(mutating: tag)) == 1 else { return false }
        return EVP_DecryptFinal_ex(open, output.assumingMemoryBound(to: UInt8.self) + count, &n) > 0
    }
}

/// HMAC-SHA1 (RFC 2104, RFC 3711 §4.2.1) through an `EVP_MAC_CTX` keyed once; each message re-initialises it
/// with a nil key, which OpenSSL 3 takes as "reuse the key".
final class HMACSHA1 {
    private let mac: OpaquePointer
    private let ctx: OpaquePointer
    static let length = 20

    init(key: [UInt8]) throws(SRTPError) {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw SRTPError(.cryptoFailure, field: "HMAC fetch") }
        guard let ctx = EVP_MAC_CTX_new(mac) else {
            EVP_MAC_free(mac)
            throw SRTPError(.cryptoFailure, field: "HMAC context")
        }
        self.mac = mac
        self.ctx = ctx
        let ok = "digest".withCString { name in
            "SHA1".withCString { value in
                var params = [
                    OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: value), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return key.withUnsafeBufferPointer { k in
                    params.withUnsafeMutableBufferPointer { EVP_MAC_init(ctx, k.baseAddress, k.count, $0.baseAddress) }
                }
            }
        }
        guard ok == 1 else { throw SRTPError(.cryptoFailure, field: "HMAC key") }
    }

    deinit {
        EVP_MAC_CTX_free(ctx)
        EVP_MAC_free(mac)
    }

    /// HMAC-SHA1 over `data` then `suffix`, written as 20 bytes to `out`.
    @inline(__always)
    func compute(
        _ data: UnsafeRawPointer, count: Int, suffix: UnsafeRawPointer?, suffixCount: Int,
        into out: UnsafeMutablePointer<UInt8>
    ) -> Bool {
        guard EVP_MAC_init(ctx, nil, 0, nil) == 1 else { return false }
        guard EVP_MAC_update(ctx, data.assumingMemoryBound(to: UInt8.self), count) == 1 else { return false }
        if let suffix, suffixCount > 0 {
            guard EVP_MAC_update(ctx, suffix.assumingMemoryBound(to: UInt8.self), suffixCount) == 1 else {
                return false
            }
        }
        var outLength = 0
        return EVP_MAC_final(ctx, out, &outLength, HMACSHA1.length) == 1 && outLength == HMACSHA1.length
    }
}

/// Constant-time comparison of `count` bytes (`CRYPTO_memcmp`).
@inline(__always)
func constantTimeEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
    CRYPTO_memcmp(a, b, count) == 0
}

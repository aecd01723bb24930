import COpenSSL

/// The ceiling for SRTP throughput: the same cryptography as one SRTP packet, done straight through OpenSSL EVP
/// with contexts keyed once and no SRTP logic (no header parsing, no index or replay bookkeeping).
final class RawEVPCeiling {
    enum Suite { case aesCMHmacSHA1_80, aeadAES128GCM }

    let suite: Suite
    private let cipher: OpaquePointer
    private let mac: OpaquePointer?
    private var iv = [UInt8](repeating: 0, count: 16)
    private var out = [UInt8](repeating: 0, count: 2048)
    private var tag = [UInt8](repeating: 0, count: 32)

    init?(suite: Suite) {
        self.suite = suite
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        cipher = ctx
        let key = [UInt8](repeating: 0x2B, count: 16)
        switch suite {
        case .aesCMHmacSHA1_80:
            guard EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nil, key, iv) == 1 else { return nil }
            guard let m = EVP_MAC_fetch(nil, "HMAC", nil), let mctx = EVP_MAC_CTX_new(m) else { return nil }
            EVP_MAC_free(m)
            let authKey = [UInt8](repeating: 0x4E, count: 20)
            let ok: Int32 = "SHA1".withCString { digest in
                var params = [
                    OSSL_PARAM_construct_utf8_string("digest", UnsafeMutablePointer(mutating: digest), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_MAC_init(mctx, authKey, authKey.count, &params)
            }
            guard ok == 1 else { return nil }
            mac = mctx
        case .aeadAES128GCM:
            guard EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nil, nil, nil) == 1,
                  EVP_CIPHER_CTX_ctrl(ctx, ringlet_EVP_CTRL_GCM_SET_IVLEN(), 12, nil) == 1,
                  EVP_EncryptInit_ex(ctx, nil, nil, key, nil) == 1
            else { return nil }
            mac = nil
        }
    }

    deinit {
        EVP_CIPHER_CTX_free(cipher)
        if let mac { EVP_MAC_CTX_free(mac) }
    }

    /// Encrypts and authenticates one packet of `packet.count` bytes whose first 12 are the RTP header.
    /// Returns the protected length.
    func protect(_ packet: [UInt8]) -> Int {
        let headerLength = 12
        let payloadLength = packet.count - headerLength
        var outLength: Int32 = 0
        iv[15] &+= 1
        return packet.withUnsafeBufferPointer { p -> Int in
            out.withUnsafeMutableBufferPointer { o -> Int in
                guard let pb = p.baseAddress, let ob = o.baseAddress else { return 0 }
                memcpy(ob, pb, headerLength)
                switch suite {
                case .aesCMHmacSHA1_80:
                    EVP_EncryptInit_ex(cipher, nil, nil, nil, iv)
                    EVP_EncryptUpdate(cipher, ob + headerLength, &outLength, pb + headerLength, Int32(payloadLength))
                    guard let mac else { return 0 }
                    EVP_MAC_init(mac, nil, 0, nil)
                    EVP_MAC_update(mac, ob, packet.count)
                    var roc: UInt32 = 0
                    withUnsafeBytes(of: &roc) { r in _ = EVP_MAC_update(mac, r.bindMemory(to: UInt8.self).baseAddress, 4) }
                    var macLength = 0
                    tag.withUnsafeMutableBufferPointer { t in _ = EVP_MAC_final(mac, t.baseAddress, &macLength, 32) }
                    memcpy(ob + packet.count, tag, 10)
                    return packet.count + 10
                case .aeadAES128GCM:
                    EVP_EncryptInit_ex(cipher, nil, nil, nil, iv)
                    EVP_EncryptUpdate(cipher, nil, &outLength, pb, Int32(headerLength))
                    EVP_EncryptUpdate(cipher, ob + headerLength, &outLength, pb + headerLength, Int32(payloadLength))
                    EVP_EncryptFinal_ex(cipher, ob + headerLength + Int(outLength), &outLength)
                    EVP_CIPHER_CTX_ctrl(cipher, ringlet_EVP_CTRL_GCM_GET_TAG(), 16, ob + packet.count)
                    return packet.count + 16
                }
            }
        }
    }
}

/// The SRTP key derivation function (RFC 3711 §4.3) with key derivation rate 0 and the AES-CM PRF (§4.3.3).
///
/// `x = key_id XOR master_salt` with `key_id = label || (index DIV kdr)` = `label || 0^48`, so the label lands in
/// octet 7 of the 14-octet salt; the AES-CM input block is `x * 2^16`. A 12-octet AES-GCM master salt
/// (RFC 7714 §12) is right-padded with zeros to 14 octets first, as libsrtp does.
enum SRTPKeyDerivation {
    /// The key derivation labels of RFC 3711 §4.3.1 (0–2) and §4.3.2 (3–5).
    enum Label: UInt8 {
        case rtpEncryption = 0, rtpAuthentication = 1, rtpSalt = 2
        case rtcpEncryption = 3, rtcpAuthentication = 4, rtcpSalt = 5
    }

    /// `length` bytes of PRF output for `label`.
    static func derive(
        masterKey: [UInt8], masterSalt: [UInt8], label: Label, length: Int
    ) throws(SRTPError) -> [UInt8] {
        guard masterKey.count == 16 else {
            throw SRTPError(.invalidKeyLength, field: "master key", "\(masterKey.count) bytes, expected 16")
        }
        guard masterSalt.count <= 14, length >= 0 else {
            throw SRTPError(.invalidKeyLength, field: "master salt", "\(masterSalt.count) bytes, at most 14")
        }
        var block = [UInt8](repeating: 0, count: 16)
        for (i, b) in masterSalt.enumerated() { block[i] = b }
        block[7] ^= label.rawValue
        let ctr = try AESCounterMode(key: masterKey)
        var out = [UInt8](repeating: 0, count: length)
        let zeros = [UInt8](repeating: 0, count: length)
        let ok = block.withUnsafeBufferPointer { iv in
            zeros.withUnsafeBytes { z in
                out.withUnsafeMutableBytes { o in
                    guard let ivBase = iv.baseAddress, let zb = z.baseAddress, let ob = o.baseAddress else {
                        return length == 0
                    }
                    return ctr.apply(iv: ivBase, input: zb, output: ob, count: length)
                }
            }
        }
        guard ok else { throw SRTPError(.cryptoFailure, field: "key derivation") }
        return out
    }
}

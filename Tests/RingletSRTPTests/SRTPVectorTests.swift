import RingletCore
import Testing
@testable import RingletSRTP

@Suite("Published and independent SRTP vectors")
struct SRTPVectorTests {
    @Test("AES-CM keystream matches RFC 3711 B.2 at the start and end of the segment")
    func aesCMKeystream() throws {
        let v = try loadVectors("rfc3711_b2")
        let ctr = try AESCounterMode(key: try v.bytes("session_key"))
        var iv = try v.bytes("session_salt") + [0, 0]
        let blocks = 65_282
        let zeros = [UInt8](repeating: 0, count: blocks * 16)
        var stream = [UInt8](repeating: 0, count: blocks * 16)
        let ok = iv.withUnsafeMutableBufferPointer { ivp in
            zeros.withUnsafeBytes { z in
                stream.withUnsafeMutableBytes { o in
                    ctr.apply(iv: ivp.baseAddress!, input: z.baseAddress!, output: o.baseAddress!, count: blocks * 16)
                }
            }
        }
        #expect(ok)
        for name in ["0000", "0001", "0002", "FEFF", "FF00", "FF01"] {
            let block = Int(name, radix: 16)!
            #expect(Array(stream[(block * 16)..<(block * 16 + 16)]) == (try v.bytes("keystream_\(name)")))
        }
    }

    @Test("an RTP payload of zeros with SSRC 0 and index 0 encrypts to the B.2 keystream")
    func aesCMThroughContext() throws {
        let v = try loadVectors("rfc3711_b2")
        let ctx = try SRTPContext(profile: .aes128CmHmacSha1_80, sessionKey: try v.bytes("session_key"),
                                  sessionSalt: try v.bytes("session_salt"), authKey: [UInt8](repeating: 0, count: 20))
        let packet: [UInt8] = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 48)
        let out = try ctx.protectRTP(packet)
        let expected = try v.bytes("keystream_0000") + v.bytes("keystream_0001") + v.bytes("keystream_0002")
        #expect(Array(out[12..<60]) == expected)
    }

    @Test("key derivation gives the RFC 3711 B.3 cipher key, cipher salt and 94-byte auth key")
    func keyDerivation() throws {
        let v = try loadVectors("rfc3711_b3")
        let mk = try v.bytes("master_key"), ms = try v.bytes("master_salt")
        #expect(try SRTPKeyDerivation.derive(masterKey: mk, masterSalt: ms, label: .rtpEncryption, length: 16)
                == v.bytes("cipher_key"))
        #expect(try SRTPKeyDerivation.derive(masterKey: mk, masterSalt: ms, label: .rtpSalt, length: 14)
                == v.bytes("cipher_salt"))
        #expect(try SRTPKeyDerivation.derive(masterKey: mk, masterSalt: ms, label: .rtpAuthentication, length: 94)
                == v.bytes("auth_key"))
    }

    private func gcmContext() throws -> (SRTPContext, [String: [UInt8]]) {
        let v = try loadVectors("rfc7714")
        let ctx = try SRTPContext(profile: .aeadAes128Gcm, sessionKey: try v.bytes("key"),
                                  sessionSalt: try v.bytes("salt"), authKey: [])
        return (ctx, v)
    }

    @Test("AEAD_AES_128_GCM protects the RFC 7714 §16.1.1 RTP packet byte for byte")
    func gcmRTPProtect() throws {
        let (ctx, v) = try gcmContext()
        #expect(try ctx.protectRTP(try v.bytes("rtp_plain")) == v.bytes("rtp_protected"))
        #expect(ctx.rtp.iv.withMemoryRebound(to: UInt8.self, capacity: 12) { Array(UnsafeBufferPointer(start: $0, count: 12)) }
                == (try v.bytes("rtp_iv")))
    }

    @Test("AEAD_AES_128_GCM unprotects the RFC 7714 §16.1.2 packet to the plaintext")
    func gcmRTPUnprotect() throws {
        let (ctx, v) = try gcmContext()
        #expect(try ctx.unprotectRTP(try v.bytes("rtp_protected")) == v.bytes("rtp_plain"))
    }

    @Test("AEAD_AES_128_GCM protects the RFC 7714 §17.1 RTCP packet with SRTCP index 0x5d4")
    func gcmRTCPProtect() throws {
        let (ctx, v) = try gcmContext()
        ctx.outboundRTCP[0x4d61_7273] = 0x5d4
        #expect(try ctx.protectRTCP(try v.bytes("rtcp_plain")) == v.bytes("rtcp_protected"))
    }

    @Test("AEAD_AES_128_GCM unprotects the RFC 7714 §17.1 SRTCP packet")
    func gcmRTCPUnprotect() throws {
        let (ctx, v) = try gcmContext()
        #expect(try ctx.unprotectRTCP(try v.bytes("rtcp_protected")) == v.bytes("rtcp_plain"))
    }

    @Test("an unencrypted (E = 0) SRTCP packet matches RFC 7714 §17.3 and verifies")
    func gcmRTCPTagOnly() throws {
        let (ctx, v) = try gcmContext()
        ctx.outboundRTCP[0x4d61_7273] = 0x5d4
        let plain = try v.bytes("rtcp_plain")
        var out = [UInt8](repeating: 0, count: plain.count + 20)
        let n = try plain.withUnsafeBytes { p in
            try out.withUnsafeMutableBytes { o in try ctx.protectRTCPRaw(p, o, encrypt: false) }
        }
        #expect(n == out.count)
        #expect(out == (try v.bytes("rtcp_tagged_only")))
        let (receiver, _) = try gcmContext()
        #expect(try receiver.unprotectRTCP(out) == plain)
    }

    @Test("AES_CM_128_HMAC_SHA1 session keys match the independent python derivation, all six labels")
    func cmDerivedKeys() throws {
        let v = try loadVectors("aes_cm_vectors")
        let mk = try v.bytes("master_key"), ms = try v.bytes("master_salt")
        let table: [(SRTPKeyDerivation.Label, String, Int)] = [
            (.rtpEncryption, "k_e", 16), (.rtpAuthentication, "k_a", 20), (.rtpSalt, "k_s", 14),
            (.rtcpEncryption, "k_ce", 16), (.rtcpAuthentication, "k_ca", 20), (.rtcpSalt, "k_cs", 14),
        ]
        for (label, name, n) in table {
            #expect(try SRTPKeyDerivation.derive(masterKey: mk, masterSalt: ms, label: label, length: n) == v.bytes(name))
        }
    }

    @Test("SRTP protect matches the python reference across a rollover", arguments: [
        (SRTPProtectionProfile.aes128CmHmacSha1_80, "sha1_80"), (.aes128CmHmacSha1_32, "sha1_32"),
    ])
    func cmRTPAgainstPython(profile: SRTPProtectionProfile, label: String) throws {
        let v = try loadVectors("aes_cm_vectors")
        let key = SRTPMasterKey(key: try v.bytes("master_key"), salt: try v.bytes("master_salt"))
        let sender = try SRTPContext(profile: profile, masterKey: key)
        let receiver = try SRTPContext(profile: profile, masterKey: key)
        for (seq, roc) in [("ffff", 0), ("0000", 1)] {
            let plain = try v.bytes("rtp_\(label)_seq\(seq)_plain")
            let expected = try v.bytes("rtp_\(label)_seq\(seq)_roc\(roc)_protected")
            let out = try sender.protectRTP(plain)
            #expect(out == expected)
            #expect(try receiver.unprotectRTP(out) == plain)
        }
        #expect(receiver.rolloverCounter(ssrc: 0xCAFE_BABE, sending: false) == 1)
    }

    @Test("SRTCP protect matches the python reference for indices 0 and 1")
    func cmRTCPAgainstPython() throws {
        let v = try loadVectors("aes_cm_vectors")
        let key = SRTPMasterKey(key: try v.bytes("master_key"), salt: try v.bytes("master_salt"))
        let sender = try SRTPContext(profile: .aes128CmHmacSha1_80, masterKey: key)
        let receiver = try SRTPContext(profile: .aes128CmHmacSha1_80, masterKey: key)
        for index in 0...1 {
            let plain = try v.bytes("rtcp_sha1_80_index\(index)_plain")
            let out = try sender.protectRTCP(plain)
            #expect(out == (try v.bytes("rtcp_sha1_80_index\(index)_protected")))
            #expect(try receiver.unprotectRTCP(out) == plain)
        }
    }
}

import RingletCore
import Testing
@testable import RingletSRTP

@Suite("SRTP profiles, keys and configuration")
struct SRTPSetupTests {
    @Test("profiles carry the RFC 5764 and RFC 7714 values and lengths", arguments: [
        (SRTPProtectionProfile.aes128CmHmacSha1_80, UInt16(1), 14, 10, 10, 60),
        (.aes128CmHmacSha1_32, 2, 14, 4, 10, 60),
        (.aeadAes128Gcm, 7, 12, 16, 16, 56),
    ])
    func profileValues(profile: SRTPProtectionProfile, raw: UInt16, salt: Int, rtpTag: Int, rtcpTag: Int, material: Int) {
        #expect(profile.rawValue == raw)
        #expect(profile.masterKeyLength == 16)
        #expect(profile.masterSaltLength == salt)
        #expect(profile.rtpTagLength == rtpTag)
        #expect(profile.rtcpTagLength == rtcpTag)
        #expect(profile.keyingMaterialLength == material)
        #expect(SRTPProtectionProfile(rawValue: raw) == profile)
    }

    @Test("an unknown profile round-trips its value and is refused by a context")
    func unknownProfile() {
        let p = SRTPProtectionProfile(rawValue: 0x0008)
        #expect(p.rawValue == 0x0008 && !p.isSupported)
        #expect(p.description == "SRTP profile 0x0008")
        #expect(errorCode { () throws(SRTPError) in
            _ = try SRTPContext(profile: p, masterKey: SRTPMasterKey(key: [], salt: []))
        } == .unsupportedProfile)
    }

    @Test("a key or salt of the wrong length is refused", arguments: allProfiles)
    func wrongLengths(profile: SRTPProtectionProfile) {
        let good = masterKey(profile)
        #expect(errorCode { () throws(SRTPError) in
            _ = try SRTPContext(profile: profile, masterKey: SRTPMasterKey(key: good.key + [0], salt: good.salt))
        } == .invalidKeyLength)
        #expect(errorCode { () throws(SRTPError) in
            _ = try SRTPContext(profile: profile, masterKey: SRTPMasterKey(key: good.key, salt: good.salt.dropLast()))
        } == .invalidKeyLength)
    }

    @Test("configuration outside its range is refused", arguments: [(32, 64), (128, 0), (40_000, 8)])
    func badConfiguration(window: Int, streams: Int) {
        #expect(errorCode { () throws(SRTPError) in
            _ = try SRTPContext(profile: .aeadAes128Gcm, masterKey: masterKey(.aeadAes128Gcm),
                                configuration: .init(replayWindowSize: window, maxStreams: streams))
        } == .invalidConfiguration)
    }

    @Test("DTLS-SRTP keying material splits into client and server keys (RFC 5764 §4.2)", arguments: allProfiles)
    func split(profile: SRTPProtectionProfile) throws {
        let material = (0..<UInt8(profile.keyingMaterialLength)).map { $0 }
        let (client, server) = try SRTPMasterKey.split(keyingMaterial: material, profile: profile)
        let k = profile.masterKeyLength, s = profile.masterSaltLength
        #expect(client.key == Array(material[0..<k]))
        #expect(server.key == Array(material[k..<(2 * k)]))
        #expect(client.salt == Array(material[(2 * k)..<(2 * k + s)]))
        #expect(server.salt == Array(material[(2 * k + s)...]))
        #expect(errorCode { () throws(SRTPError) in
            _ = try SRTPMasterKey.split(keyingMaterial: material.dropLast(), profile: profile)
        } == .invalidKeyLength)
    }

    @Test("a master key never shows its bytes in a description")
    func redacted() {
        let key = SRTPMasterKey(key: [0xAB, 0xCD], salt: [0xEF])
        #expect(!"\(key)".contains("171") && !"\(key)".lowercased().contains("ab"))
        #expect("\(key)".contains("redacted"))
        #expect(!String(reflecting: key).contains("171"))
    }

    @Test("errors describe their code, field and offset")
    func errorDescription() {
        let e = SRTPError(.truncated, field: "RTP header extension", offset: 12, "x")
        #expect(e.description == "SRTP truncated at RTP header extension (offset 12): x")
    }

    @Test("index estimation follows RFC 3711 Appendix A", arguments: [
        (UInt16(5), UInt64(0xFFFF), UInt64(0x1_0005)),
        (UInt16(0xFFFE), UInt64(0x1_0002), UInt64(0xFFFE)),
        (UInt16(100), UInt64(50), UInt64(100)),
        (UInt16(40), UInt64(50), UInt64(40)),
        (UInt16(0x9000), UInt64(0x2_8000), UInt64(0x2_9000)),
    ])
    func estimation(seq: UInt16, highest: UInt64, expected: UInt64) {
        #expect(SRTPIndexEstimation.estimate(seq: seq, highest: highest) == expected)
    }

    @Test("index estimation refuses a sequence number before the stream began")
    func estimationBeforeStart() {
        #expect(SRTPIndexEstimation.estimate(seq: 0xFFF0, highest: 10) == nil)
    }
}

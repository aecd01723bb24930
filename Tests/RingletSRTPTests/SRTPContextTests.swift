import RingletCore
import Testing
@testable import RingletSRTP

@Suite("SRTP and SRTCP protection")
struct SRTPContextTests {
    @Test("protect then unprotect gives the RTP packet back", arguments: allProfiles)
    func rtpRoundTrip(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        for seq in UInt16(100)..<120 {
            let packet = rtpPacket(seq: seq, csrcs: Int(seq % 3), extensionWords: seq % 2 == 0 ? 2 : nil)
            let protected = try tx.protectRTP(packet)
            #expect(protected.count == packet.count + profile.rtpTagLength)
            #expect(protected != packet + [UInt8](repeating: 0, count: profile.rtpTagLength))
            #expect(try rx.unprotectRTP(protected) == packet)
        }
    }

    @Test("protect then unprotect gives the RTCP packet back, with the E flag set", arguments: allProfiles)
    func rtcpRoundTrip(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        for i in 0..<5 {
            let packet = rtcpPacket()
            let protected = try tx.protectRTCP(packet)
            #expect(protected.count == packet.count + 4 + profile.rtcpTagLength)
            let wordAt = profile.isAEAD ? protected.count - 4 : packet.count
            #expect(protected[wordAt] & 0x80 != 0)
            #expect(protected[wordAt + 3] == UInt8(i))
            #expect(try rx.unprotectRTCP(protected) == packet)
        }
    }

    @Test("the 32-bit tag profile adds 4 bytes to SRTP and 14 to SRTCP")
    func shortTag() throws {
        let (tx, rx) = try pair(.aes128CmHmacSha1_32)
        let packet = rtpPacket(seq: 7)
        let protected = try tx.protectRTP(packet)
        #expect(protected.count == packet.count + 4)
        #expect(try rx.unprotectRTP(protected) == packet)
        #expect(try tx.protectRTCP(rtcpPacket()).count == rtcpPacket().count + 14)
    }

    @Test("the rollover counter increments when the sequence number wraps from 65535 to 0", arguments: allProfiles)
    func rolloverWrap(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        var seq: UInt16 = 65_530
        for _ in 0..<12 {
            let packet = rtpPacket(seq: seq)
            #expect(try rx.unprotectRTP(try tx.protectRTP(packet)) == packet)
            seq &+= 1
        }
        #expect(tx.rolloverCounter(ssrc: 0x1122_3344, sending: true) == 1)
        #expect(rx.rolloverCounter(ssrc: 0x1122_3344, sending: false) == 1)
    }

    @Test("packets reordered across a wrap are all accepted with the right rollover counter", arguments: allProfiles)
    func reorderedAcrossWrap(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        let seqs: [UInt16] = [65_532, 65_533, 65_534, 65_535, 0, 1, 2]
        var protected: [UInt16: [UInt8]] = [:]
        for s in seqs { protected[s] = try tx.protectRTP(rtpPacket(seq: s)) }
        _ = try rx.unprotectRTP(protected[65_532]!)
        for s: UInt16 in [1, 65_534, 0, 65_535, 2, 65_533] {
            #expect(try rx.unprotectRTP(protected[s]!) == rtpPacket(seq: s))
        }
        #expect(rx.rolloverCounter(ssrc: 0x1122_3344, sending: false) == 1)
    }

    @Test("a replayed SRTP packet is refused", arguments: allProfiles)
    func rtpReplay(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        let p1 = try tx.protectRTP(rtpPacket(seq: 10))
        let p2 = try tx.protectRTP(rtpPacket(seq: 11))
        _ = try rx.unprotectRTP(p2)
        _ = try rx.unprotectRTP(p1)
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTP(p1) } == .replayed)
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTP(p2) } == .replayed)
    }

    @Test("a replayed SRTCP packet is refused", arguments: allProfiles)
    func rtcpReplay(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        let p = try tx.protectRTCP(rtcpPacket())
        _ = try rx.unprotectRTCP(p)
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTCP(p) } == .replayed)
    }

    @Test("a packet older than the replay window is refused as too old")
    func tooOld() throws {
        let (tx, rx) = try pair(.aeadAes128Gcm)
        let old = try tx.protectRTP(rtpPacket(seq: 1))
        var last = [UInt8]()
        for s in UInt16(2)...200 { last = try tx.protectRTP(rtpPacket(seq: s)) }
        _ = try rx.unprotectRTP(last)
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTP(old) } == .tooOld)
    }

    @Test("a wider configured replay window accepts a packet 200 behind")
    func widerWindow() throws {
        let (tx, rx) = try pair(.aes128CmHmacSha1_80, configuration: .init(replayWindowSize: 256))
        let old = try tx.protectRTP(rtpPacket(seq: 1))
        var last = [UInt8]()
        for s in UInt16(2)...201 { last = try tx.protectRTP(rtpPacket(seq: s)) }
        _ = try rx.unprotectRTP(last)
        #expect(try rx.unprotectRTP(old) == rtpPacket(seq: 1))
    }

    @Test("a tampered tag, payload or header is refused as an authentication failure", arguments: allProfiles)
    func tampered(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        let protected = try tx.protectRTP(rtpPacket(seq: 5))
        for position in [protected.count - 1, 20, 1] {
            var bad = protected
            bad[position] ^= 0x01
            #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTP(bad) } == .authenticationFailed)
        }
        var badRTCP = try tx.protectRTCP(rtcpPacket())
        badRTCP[badRTCP.count - 1] ^= 0x80
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTCP(badRTCP) } == .authenticationFailed)
        // The genuine packet still goes through: a failure did not move the state.
        #expect(try rx.unprotectRTP(protected) == rtpPacket(seq: 5))
    }

    @Test("a packet protected under another key is refused", arguments: allProfiles)
    func wrongKey(profile: SRTPProtectionProfile) throws {
        let (tx, _) = try pair(profile, seed: 1)
        let (_, rx) = try pair(profile, seed: 2)
        let protected = try tx.protectRTP(rtpPacket(seq: 5))
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTP(protected) } == .authenticationFailed)
        let rtcp = try tx.protectRTCP(rtcpPacket())
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTCP(rtcp) } == .authenticationFailed)
    }

    @Test("truncated packets are refused with a truncated error", arguments: allProfiles)
    func truncated(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        let protected = try tx.protectRTP(rtpPacket(seq: 5, payloadLength: 0, extensionWords: 3))
        for length in [0, 5, 11, 12 + profile.rtpTagLength - 1] {
            let short = Array(protected.prefix(length))
            #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTP(short) } == .truncated)
        }
        // Cutting into the header extension: the header no longer fits before the tag.
        let cut = Array(protected.prefix(protected.count - 2))
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTP(cut) } == .truncated)
        #expect(errorCode { () throws(SRTPError) in _ = try tx.protectRTP([0x80, 0x60, 0, 1]) } == .truncated)
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTCP([0x81, 0xC9, 0, 1]) } == .truncated)
    }

    @Test("a packet whose version is not 2 is refused as malformed")
    func badVersion() throws {
        let (tx, _) = try pair(.aes128CmHmacSha1_80)
        var packet = rtpPacket(seq: 1)
        packet[0] = 0x40
        #expect(errorCode { () throws(SRTPError) in _ = try tx.protectRTP(packet) } == .malformedHeader)
    }

    @Test("a new SSRC beyond the stream cap is refused and the table stays bounded")
    func streamCap() throws {
        let (tx, rx) = try pair(.aeadAes128Gcm, configuration: .init(maxStreams: 3))
        for ssrc in UInt32(1)...3 { _ = try rx.unprotectRTP(try tx.protectRTP(rtpPacket(seq: 1, ssrc: ssrc))) }
        #expect(errorCode { () throws(SRTPError) in _ = try tx.protectRTP(rtpPacket(seq: 1, ssrc: 4)) } == .tooManyStreams)
        let (tx2, _) = try pair(.aeadAes128Gcm, configuration: .init(maxStreams: 4))
        let fourth = try tx2.protectRTP(rtpPacket(seq: 1, ssrc: 4))
        #expect(errorCode { () throws(SRTPError) in _ = try rx.unprotectRTP(fourth) } == .tooManyStreams)
        #expect(rx.streamCounts.inboundRTP == 3)
        // Known SSRCs keep working.
        _ = try rx.unprotectRTP(try tx.protectRTP(rtpPacket(seq: 2, ssrc: 2)))
    }

    @Test("in-place protect and unprotect give the same bytes as the buffer variants", arguments: allProfiles)
    func inPlace(profile: SRTPProtectionProfile) throws {
        let (tx1, rx1) = try pair(profile)
        let (tx2, rx2) = try pair(profile)
        let packet = rtpPacket(seq: 99, csrcs: 2, extensionWords: 1)
        var out = [UInt8]()
        try tx1.protectRTP(packet, into: &out)
        var buffer = packet
        try tx2.protectRTP(inPlace: &buffer)
        #expect(buffer == out)
        try rx2.unprotectRTP(inPlace: &buffer)
        #expect(buffer == packet)
        var rtcp = rtcpPacket()
        try tx2.protectRTCP(inPlace: &rtcp)
        #expect(try rx1.unprotectRTCP(rtcp) == rtcpPacket())
        _ = try rx1.unprotectRTP(out)
    }

    @Test("a reused output buffer keeps its storage across packets of varying size")
    func reusedBuffer() throws {
        let (tx, rx) = try pair(.aeadAes128Gcm)
        var out = [UInt8]()
        out.reserveCapacity(2048)
        var plain = [UInt8]()
        plain.reserveCapacity(2048)
        let storage = out.withUnsafeBufferPointer { $0.baseAddress }
        for s in UInt16(0)..<50 {
            let packet = rtpPacket(seq: s, payloadLength: Int(s) * 17 % 1200)
            try tx.protectRTP(packet, into: &out)
            try rx.unprotectRTP(out, into: &plain)
            #expect(plain == packet)
        }
        #expect(out.withUnsafeBufferPointer { $0.baseAddress } == storage)
    }

    @Test("an error empties the output buffer")
    func errorEmptiesOutput() throws {
        let (_, rx) = try pair(.aes128CmHmacSha1_80)
        var out: [UInt8] = [1, 2, 3]
        #expect(errorCode { () throws(SRTPError) in try rx.unprotectRTP([0x80, 0, 0], into: &out) } == .truncated)
        #expect(out.isEmpty)
    }
}

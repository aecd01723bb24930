import RingletCore
import Testing
@_spi(Fuzzing) @testable import RingletSRTP

@Suite("SRTP never traps on hostile bytes")
struct SRTPRobustnessTests {
    @Test("20 000 seeded random datagrams are refused or accepted, never trap", arguments: allProfiles)
    func garbage(profile: SRTPProtectionProfile) throws {
        let (_, rx) = try pair(profile, configuration: .init(maxStreams: 8))
        var rng = SeededRandom(seed: UInt64(profile.rawValue))
        var out = [UInt8]()
        var accepted = 0
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 120)
            var bytes = rng.bytes(length)
            if length > 0, rng.next() % 2 == 0 { bytes[0] = 0x80 | (bytes[0] & 0x3F) }
            do throws(SRTPError) { try rx.unprotectRTP(bytes, into: &out); accepted += 1 } catch {}
            do throws(SRTPError) { try rx.unprotectRTCP(bytes, into: &out); accepted += 1 } catch {}
        }
        #expect(accepted == 0)
        #expect(rx.streamCounts.inboundRTP <= 8)
    }

    @Test("every single-bit mutation of a valid packet is refused", arguments: allProfiles)
    func mutations(profile: SRTPProtectionProfile) throws {
        let (tx, rx) = try pair(profile)
        let packet = try tx.protectRTP(rtpPacket(seq: 3, payloadLength: 16, extensionWords: 1))
        var out = [UInt8]()
        var refused = 0
        for byte in packet.indices {
            for bit in 0..<8 {
                var bad = packet
                bad[byte] ^= UInt8(1 << bit)
                do throws(SRTPError) { try rx.unprotectRTP(bad, into: &out) } catch { refused += 1 }
            }
        }
        #expect(refused == packet.count * 8)
        let rtcp = try tx.protectRTCP(rtcpPacket())
        var refusedRTCP = 0
        for byte in rtcp.indices {
            var bad = rtcp
            bad[byte] ^= 0x04
            do throws(SRTPError) { try rx.unprotectRTCP(bad, into: &out) } catch { refusedRTCP += 1 }
        }
        #expect(refusedRTCP == rtcp.count)
    }

    @Test("the fuzz entry points survive seeded random and RTP-shaped inputs")
    func fuzzEntryPoints() throws {
        var rng = SeededRandom(seed: 7)
        for i in 0..<2_000 {
            var input = rng.bytes(Int(rng.next() % 80))
            if i % 2 == 0, input.count > 14 { input[1] = 0x80 | (input[1] & 0x0F) }
            SRTPFuzz.unprotectRTP(input)
            SRTPFuzz.unprotectRTCP(input)
        }
        for (i, profile) in allProfiles.enumerated() {
            SRTPFuzz.unprotectRTP([UInt8(i)] + rtpPacket(seq: 65_535, csrcs: 1, extensionWords: 2))
            SRTPFuzz.unprotectRTCP([UInt8(i)] + rtcpPacket())
            _ = profile
        }
    }
}

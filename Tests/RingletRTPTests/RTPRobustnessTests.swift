import RingletCore
import Testing
@_spi(Fuzzing) @testable import RingletRTP

@Suite("RTP and RTCP parsers never trap")
struct RTPRobustnessTests {
    @Test("20 000 seeded random inputs parse or throw RTPError, and what parses round-trips")
    func randomGarbage() {
        var rng = SeededRandom(seed: 0x5254_5020)
        var parsedRTP = 0
        var parsedRTCP = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...96, using: &rng)
            var bytes = rng.bytes(length)
            // Bias toward version 2 so that parsing goes past the first check.
            if !bytes.isEmpty, Bool.random(using: &rng) { bytes[0] = bytes[0] & 0x3F | 0x80 }
            if bytes.count > 1, Bool.random(using: &rng) { bytes[1] = UInt8.random(in: 200...206, using: &rng) }
            // Sometimes make the RTCP length field describe the whole datagram.
            if bytes.count >= 8, Bool.random(using: &rng) {
                bytes.removeLast(bytes.count % 4)
                bytes[0] &= 0xDF
                bytes[2] = 0
                bytes[3] = UInt8(bytes.count / 4 - 1)
            }
            if (try? RTPPacket(parsing: bytes)) != nil { parsedRTP += 1 }
            if (try? RTCPCompoundPacket(parsing: bytes)) != nil { parsedRTCP += 1 }
            RTPFuzz.rtp(bytes)
            RTPFuzz.rtcp(bytes)
        }
        #expect(parsedRTP > 0, "some random inputs should be valid RTP")
        #expect(parsedRTCP > 0, "some random inputs should be valid RTCP")
    }

    @Test("Mutations of every vector parse or throw RTPError, and what parses round-trips")
    func mutations() throws {
        var rng = SeededRandom(seed: 42)
        let all = try Vectors.allRTP() + Vectors.allRTCP()
        for original in all {
            for _ in 0..<300 {
                var bytes = original
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                case 1:
                    bytes.removeLast(Int.random(in: 0...min(8, bytes.count), using: &rng))
                case 2:
                    bytes += rng.bytes(Int.random(in: 1...8, using: &rng))
                default:
                    let i = Int.random(in: 0..<min(bytes.count, 40), using: &rng)
                    bytes[i] = UInt8.random(in: 0...255, using: &rng)
                }
                RTPFuzz.rtp(bytes)
                RTPFuzz.rtcp(bytes)
            }
        }
    }

    @Test("Every truncation of every vector is refused with a typed error or parses")
    func truncations() throws {
        for original in try Vectors.allRTCP() {
            for n in 0..<original.count {
                do {
                    _ = try RTCPCompoundPacket(parsing: original[0..<n])
                } catch {
                    #expect([.truncated, .badLength, .badPadding].contains(error.code), "\(error)")
                }
            }
        }
        for original in try Vectors.allRTP() {
            for n in 0..<min(original.count, 40) {
                RTPFuzz.rtp(Array(original[0..<n]))
            }
        }
    }

    @Test("Parsing works on a slice that does not start at index 0, with offsets from the slice's start")
    func sliceOffsets() throws {
        let rtcp = try Vectors.datagram("rtcp-sr-sdes-bye")
        let framed = [0xEE, 0xEE, 0xEE] + rtcp
        let compound = try RTCPCompoundPacket(parsing: framed[3...])
        #expect(compound == (try RTCPCompoundPacket(parsing: rtcp)))
        let bad = [0xEE] + (try #require([UInt8](hex: "a0c9000100000005")))
        let error = #expect(throws: RTPError.self) { try RTCPCompoundPacket(parsing: bad[1...]) }
        #expect(error?.offset == 7)
    }
}

import Testing
import RingletCore
@_spi(Fuzzing) @testable import RingletSTUN

@Suite("Hostile input never traps")
struct RobustnessTests {
    @Test("Twenty thousand seeded random inputs parse or throw a typed error, and survive the fuzz entry point")
    func randomGarbage() throws {
        var rng = SeededRandom(seed: 0x5354_554E)
        var parsed = 0
        for i in 0..<20_000 {
            var bytes = rng.bytes(Int(rng.next() % 120))
            if i % 2 == 0, bytes.count >= 20 {
                // Make it look like STUN so the attribute walker is exercised.
                let length = (bytes.count - 20) & ~3
                bytes = Array(bytes.prefix(20 + length))
                bytes[0] &= 0x3F
                bytes[2] = UInt8(length >> 8); bytes[3] = UInt8(length & 0xFF)
                bytes[4] = 0x21; bytes[5] = 0x12; bytes[6] = 0xA4; bytes[7] = 0x42
            }
            do {
                _ = try STUNMessage(parsing: bytes)
                parsed += 1
            } catch {
                #expect(!error.code.rawValue.isEmpty)
            }
            STUNFuzz.message(bytes)
        }
        #expect(parsed > 0, "some inputs shaped like STUN should parse")
    }

    @Test("Every truncation and single-byte mutation of the RFC 5769 vectors is handled", arguments: Vectors.all)
    func mutations(name: String) throws {
        let original = try Vectors.bytes(name)
        for n in 0..<original.count {
            #expect(throws: STUNError.self) { try STUNMessage(parsing: Array(original.prefix(n))) }
        }
        var rng = SeededRandom(seed: UInt64(original.count))
        for _ in 0..<2_000 {
            var bytes = original
            let index = Int(rng.next() % UInt64(bytes.count))
            bytes[index] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            STUNFuzz.message(bytes)
        }
        STUNFuzz.message(original)
    }

    @Test("Slices with a non-zero start index parse the same as arrays")
    func slices() throws {
        let bytes = try Vectors.bytes(Vectors.request)
        let padded = [0xEE, 0xEE, 0xEE] + bytes + [0xEE]
        let slice = padded[3..<(3 + bytes.count)]
        let message = try STUNMessage(parsing: slice)
        #expect(message == (try STUNMessage(parsing: bytes)))
        #expect(message.verifyMessageIntegrity(try .shortTerm(password: Vectors.shortTermPassword)))
        #expect(message.verifyFingerprint())
        #expect(STUNMessage.looksLikeSTUN(slice))
    }
}

import RingletCore
import Testing
@_spi(Fuzzing) @testable import RingletRTP

@Suite("Payload formats never trap on hostile input")
struct PayloadRobustnessTests {
    typealias S = PayloadSupport

    /// Random payloads whose first bytes favour the interesting packet types.
    static func garbage(_ rng: inout SeededRandom, headers: [UInt8]) -> [UInt8] {
        var bytes = rng.bytes(Int.random(in: 0...64, using: &rng))
        if !bytes.isEmpty, Bool.random(using: &rng) { bytes[0] = headers.randomElement(using: &rng) ?? 0 }
        return bytes
    }

    @Test("20 000 random H.264 and H.265 payloads are parsed or refused with a typed error")
    func videoGarbage() {
        var rng = SeededRandom(seed: 0x264)
        var h264 = H264Depacketizer(configuration: (try? VideoDepacketizerConfiguration(maxFrameSize: 2048, maxNALUnitCount: 16)) ?? .default)
        var h265 = H265Depacketizer(configuration: (try? VideoDepacketizerConfiguration(maxFrameSize: 2048, maxNALUnitCount: 16)) ?? .default)
        var seq: UInt16 = 0, ts: UInt32 = 0
        var accepted = 0, refused = 0, frames = 0
        for _ in 0..<20_000 {
            seq &+= UInt16.random(in: 0...2, using: &rng) &- (Int.random(in: 0..<20, using: &rng) == 0 ? 3 : 0)
            if Int.random(in: 0..<4, using: &rng) == 0 { ts &+= 3000 }
            let marker = Bool.random(using: &rng)
            let a = Self.garbage(&rng, headers: [0x78, 0x7C, 0x65, 0x41, 0x79])
            let b = Self.garbage(&rng, headers: [0x60, 0x62, 0x26, 0x40, 0x64])
            do { try h264.push(payload: a[...], sequenceNumber: seq, timestamp: ts, marker: marker); accepted += 1 } catch { refused += 1 }
            do { try h265.push(payload: b[...], sequenceNumber: seq, timestamp: ts, marker: marker); accepted += 1 } catch { refused += 1 }
            while let o = h264.nextOutput() { if case .frame(let f) = o { frames += 1; #expect(f.annexB.count <= 2048) } }
            while let o = h265.nextOutput() { if case .frame(let f) = o { frames += 1; #expect(f.annexB.count <= 2048) } }
        }
        #expect(accepted > 1000 && refused > 1000 && frames > 100)
    }

    @Test("mutations of valid H.264 packet streams are parsed or refused, never trap")
    func videoMutations() throws {
        var rng = SeededRandom(seed: 77)
        var p = H264Packetizer(configuration: try VideoPacketizerConfiguration(maxPayloadSize: 100))
        let packets = try p.packetize(accessUnit: S.annexB([S.h264(7, size: 10), S.h264(8, size: 4), S.h264(6, size: 30),
                                                            S.h264(5, size: 700), S.h264(5, size: 60)])[...])
        var d = H264Depacketizer()
        var seq: UInt16 = 0
        var frames = 0
        for round in 0..<2000 {
            for packet in packets {
                var payload = packet.payload
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: payload[Int.random(in: 0..<payload.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                case 1: payload.removeLast(Int.random(in: 0..<payload.count, using: &rng))
                case 2: payload += rng.bytes(Int.random(in: 1...8, using: &rng))
                default: break
                }
                seq &+= 1
                try? d.push(payload: payload[...], sequenceNumber: seq, timestamp: UInt32(round) * 3000, marker: packet.marker)
            }
            while let o = d.nextOutput() { if case .frame = o { frames += 1 } }
        }
        #expect(frames > 100)
    }

    @Test("20 000 random audio payloads are parsed or refused with a typed error")
    func audioGarbage() {
        var rng = SeededRandom(seed: 0x0711)
        var opus = OpusDepacketizer(), g711 = G711Depacketizer()
        var ok = 0
        for i in 0..<20_000 {
            let bytes = rng.bytes(Int.random(in: 0...40, using: &rng))
            let seq = UInt16(truncatingIfNeeded: i &* 3 / 2)
            if (try? opus.depacketize(payload: bytes[...], sequenceNumber: seq, timestamp: 0)) != nil { ok += 1 }
            if (try? g711.depacketize(payload: bytes[...], sequenceNumber: seq, timestamp: 0)) != nil { ok += 1 }
        }
        #expect(ok > 1000)
    }

    @Test("the fuzz entry points survive 5 000 random inputs each")
    func fuzzRandom() {
        var rng = SeededRandom(seed: 5)
        for _ in 0..<5000 {
            let data = rng.bytes(Int.random(in: 0...300, using: &rng))
            PayloadFuzz.h264(data)
            PayloadFuzz.h265(data)
            PayloadFuzz.opus(data)
            PayloadFuzz.g711(data)
        }
    }

    @Test("the fuzz entry points accept well-formed packet streams and check their round trip")
    func fuzzStructured() throws {
        var p = H264Packetizer(configuration: try VideoPacketizerConfiguration(maxPayloadSize: 60))
        var data: [UInt8] = []
        for packet in try p.packetize(accessUnit: S.annexB([S.h264(7, size: 9), S.h264(8, size: 4), S.h264(5, size: 300)])[...]) {
            data += [packet.marker ? 1 : 0, UInt8(packet.payload.count)] + packet.payload
        }
        PayloadFuzz.h264(data)
        var d = H264Depacketizer()
        var frames = 0
        for chunk in PayloadFuzz.chunks(data, timestampStep: 3000) {
            try d.push(payload: chunk.payload, sequenceNumber: chunk.sequenceNumber, timestamp: chunk.timestamp, marker: chunk.marker)
            while let o = d.nextOutput() { if case .frame = o { frames += 1 } }
        }
        #expect(frames == 1)
    }
}

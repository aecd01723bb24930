import RingletCore
import Testing
@testable import RingletRTP

@Suite("Opus payload format (RFC 7587)")
struct PayloadOpusTests {
    @Test("the TOC gives the packet duration at 48 kHz", arguments: [
        ([0x00], 480), ([0x08], 960), ([0x10], 1920), ([0x18], 2880),           // SILK NB 10/20/40/60 ms
        ([0x60], 480), ([0x68], 960), ([0x78], 960),                            // Hybrid 10/20 ms
        ([0x80], 120), ([0x88], 240), ([0x90], 480), ([0xF8], 960),             // CELT 2.5/5/10/20 ms
        ([0xF9, 1, 2], 1920),                                                   // code 1: two equal frames
        ([0xFA, 1, 2, 3], 1920),                                                // code 2: two frames
        ([0xFB, 0x03, 1, 2, 3], 2880),                                          // code 3: three frames
        ([0x1B, 0x02, 1], 5760),                                                // 2 × 60 ms = 120 ms
    ] as [([UInt8], Int)])
    func duration(packet: [UInt8], samples: Int) throws {
        #expect(try OpusTOC.sampleCount(ofPacket: packet[...]) == samples)
    }

    @Test("invalid Opus packets are refused", arguments: [
        ([], PayloadFormatError.Code.emptyPayload),
        ([0xF9, 1], .invalidOpusPacket),          // code 1 with an odd byte count
        ([0xFB], .invalidOpusPacket),             // code 3 without the count byte
        ([0xFB, 0x00], .invalidOpusPacket),       // zero frames
        ([0x1B, 0x03, 1], .invalidOpusPacket),    // 180 ms
    ] as [([UInt8], PayloadFormatError.Code)])
    func invalid(packet: [UInt8], code: PayloadFormatError.Code) {
        var d = OpusDepacketizer()
        let error = #expect(throws: PayloadFormatError.self) {
            _ = try d.depacketize(payload: packet[...], sequenceNumber: 1, timestamp: 0)
        }
        #expect(error?.code == code)
    }

    @Test("an Opus packet goes into one RTP payload and comes back with its timestamp and duration")
    func roundTrip() throws {
        let packet: [UInt8] = [0xFC] + Array(repeating: 0x55, count: 80)
        let payload = try OpusPacketizer().packetize(packet[...], afterSilence: true)
        #expect(payload == PayloadPacket(payload: packet, marker: true))
        var d = OpusDepacketizer()
        let frame = try d.depacketize(payload: payload.payload[...], sequenceNumber: 9, timestamp: 48_000)
        #expect(frame == EncodedAudioFrame(data: packet, timestamp: 48_000, sampleCount: 960, followsLoss: false))
    }

    @Test("a gap is flagged on the next frame and a late packet is refused")
    func lossAndReorder() throws {
        var d = OpusDepacketizer()
        _ = try d.depacketize(payload: [0xF8, 1][...], sequenceNumber: 1, timestamp: 0)
        let after = try d.depacketize(payload: [0xF8, 1][...], sequenceNumber: 3, timestamp: 1920)
        #expect(after.followsLoss)
        let error = #expect(throws: PayloadFormatError.self) {
            _ = try d.depacketize(payload: [0xF8, 1][...], sequenceNumber: 2, timestamp: 960)
        }
        #expect(error?.code == .outOfOrderPacket)
    }

    @Test("an over-size Opus payload is refused")
    func oversize() {
        var d = OpusDepacketizer(maxPayloadSize: 100)
        #expect(throws: PayloadFormatError.self) {
            _ = try d.depacketize(payload: ([0xF8] + Array(repeating: 1, count: 100))[...], sequenceNumber: 1, timestamp: 0)
        }
    }
}

@Suite("G.711 payload format and companding (RFC 3551, ITU-T G.711)")
struct PayloadG711Tests {
    @Test("μ-law reference values", arguments: [
        (0, 0xFF), (-1, 0x7F), (1, 0xFF), (32767, 0x80), (-32768, 0x00), (32124, 0x80), (-32124, 0x00),
        (8, 0xFE), (132, 0xEF), (-132, 0x6F),
    ] as [(Int16, UInt8)])
    func muLawEncode(sample: Int16, byte: UInt8) {
        #expect(G711.muLaw(encode: sample) == byte)
    }

    @Test("A-law reference values", arguments: [
        (0, 0xD5), (-1, 0x55), (15, 0xD5), (16, 0xD4), (32767, 0xAA), (-32768, 0x2A), (256, 0xC5), (-256, 0x5A),
    ] as [(Int16, UInt8)])
    func aLawEncode(sample: Int16, byte: UInt8) {
        #expect(G711.aLaw(encode: sample) == byte)
    }

    @Test("decoding gives the segment reconstruction values", arguments: [
        (G711.Law.muLaw, 0xFF, 0), (.muLaw, 0x7F, 0), (.muLaw, 0x80, 32124), (.muLaw, 0x00, -32124), (.muLaw, 0xFE, 8),
        (.aLaw, 0xD5, 8), (.aLaw, 0x55, -8), (.aLaw, 0xAA, 32256), (.aLaw, 0x2A, -32256),
    ] as [(G711.Law, UInt8, Int16)])
    func decode(law: G711.Law, byte: UInt8, sample: Int16) {
        #expect(G711.decode([byte], law: law) == [sample])
    }

    @Test("every code decodes and re-encodes to itself (except μ-law's negative zero)", arguments: [G711.Law.muLaw, .aLaw])
    func codeRoundTrip(law: G711.Law) {
        let bytes = (0...255).map { UInt8($0) }
        let again = G711.encode(G711.decode(bytes, law: law), law: law)
        let mismatches = zip(bytes, again).filter { $0 != $1 }.map(\.0)
        #expect(mismatches == (law == .muLaw ? [0x7F] : []))
    }

    @Test("companding is monotonic and its error stays within half a step", arguments: [G711.Law.muLaw, .aLaw])
    func monotonic(law: G711.Law) {
        var previous = Int.min
        for x in stride(from: -32768, through: 32767, by: 7) {
            let y = Int(G711.decode(G711.encode([Int16(x)], law: law), law: law)[0])
            #expect(y >= previous)
            previous = y
            let step = max(16, abs(x) / 16)   // segment step is ≤ 1/16 of the magnitude (≥ 16 near zero)
            #expect(abs(y - x) <= step || abs(x) > 32_000)
        }
    }

    @Test("the packetizer splits samples into packets with timestamp offsets; the last may be short")
    func packetize() throws {
        let samples = (0..<400).map { UInt8($0 & 0xFF) }
        let packets = try G711Packetizer().packetize(samples[...], afterSilence: true)
        #expect(packets.map(\.payload.count) == [160, 160, 80])
        #expect(packets.map(\.timestampOffset) == [0, 160, 320])
        #expect(packets.map(\.marker) == [true, false, false])
        #expect(packets.flatMap(\.payload) == samples)
        #expect(G711.Law.muLaw.payloadType == 0 && G711.Law.aLaw.payloadType == 8)
    }

    @Test("a packet size outside 1...8000 samples is refused", arguments: [0, -5, 8001])
    func packetSizeValidated(n: Int) {
        #expect(throws: PayloadFormatError.self) { try G711Packetizer(samplesPerPacket: n) }
    }

    @Test("the depacketizer returns samples with their timestamp and refuses empty, over-size and late payloads")
    func depacketize() throws {
        var d = G711Depacketizer(maxPayloadSize: 320)
        let frame = try d.depacketize(payload: [1, 2, 3][...], sequenceNumber: 5, timestamp: 800)
        #expect(frame == EncodedAudioFrame(data: [1, 2, 3], timestamp: 800, sampleCount: 3, followsLoss: false))
        #expect(throws: PayloadFormatError.self) { _ = try d.depacketize(payload: [][...], sequenceNumber: 6, timestamp: 0) }
        #expect(throws: PayloadFormatError.self) {
            _ = try d.depacketize(payload: Array(repeating: 1, count: 321)[...], sequenceNumber: 6, timestamp: 0)
        }
        #expect(throws: PayloadFormatError.self) { _ = try d.depacketize(payload: [1][...], sequenceNumber: 4, timestamp: 0) }
        #expect(try d.depacketize(payload: [1][...], sequenceNumber: 7, timestamp: 0).followsLoss)
    }
}

import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP receive stream: bounded memory, garbage and floods; demultiplexing")
struct ReceiveRobustnessTests {
    static func drain(_ s: inout RTPReceiveStream) -> Int {
        var n = 0
        while s.pollOutput() != nil { n += 1 }
        return n
    }

    @Test("seeded random packets never trap and never grow the buffers past their bounds",
          arguments: [RTPReceiveMediaFormat.h264, .h265, .opus, .g711])
    func garbage(format: RTPReceiveMediaFormat) throws {
        var c = RTPReceiveStream.Configuration(format: format)
        c.nackEnabled = true
        var s = try RTPReceiveStream(ssrc: 5, feedbackSSRC: 6, configuration: c)
        var rng = SeededRandom(seed: 2024)
        var now: Int64 = 0
        var outputs = 0
        for i in 0..<20_000 {
            // Mostly near the current sequence, sometimes anywhere; random markers, timestamps and payloads.
            let seq: UInt16 = i % 10 == 0 ? UInt16.random(in: 0...UInt16.max, using: &rng)
                : UInt16(truncatingIfNeeded: i / 2 + Int.random(in: -50...50, using: &rng))
            let payload = rng.bytes(Int.random(in: 0...1400, using: &rng))
            let packet = try RTPPacket(marker: Bool.random(using: &rng), payloadType: 96, sequenceNumber: seq,
                                       timestamp: UInt32(i / 5) &* 3000 &+ UInt32.random(in: 0...3, using: &rng),
                                       ssrc: 5, payload: payload)
            now += Int64.random(in: 0...3, using: &rng)
            s.handlePacket(packet, now: .milliseconds(now))
            outputs += Self.drain(&s)
            if let t = s.pollTimeout(), t <= .milliseconds(now) {
                s.handleTimeout(now: .milliseconds(now))
                outputs += Self.drain(&s)
            }
            let st = s.statistics
            #expect(st.bufferedPackets <= c.maxPackets)
            #expect(st.bufferedBytes <= c.maxBytes)
        }
        _ = s.makeReceptionReport(now: .milliseconds(now))
        #expect(outputs > 0)
        #expect(s.statistics.packetsReceived > 0)
    }

    @Test("a flood in one instant keeps within the packet and byte bounds and the NACK list bound")
    func flood() throws {
        var c = RTPReceiveStream.Configuration(format: .h264)
        c.maxPackets = 64
        c.maxBytes = 32 * 1024
        c.maxMissingPackets = 100
        var s = try RTPReceiveStream(ssrc: 5, feedbackSSRC: 6, configuration: c)
        var nackedTotal = 0
        // Every other packet missing: the buffer can never release in order without skipping.
        for k in 0..<5_000 {
            let packet = try RTPPacket(payloadType: 96, sequenceNumber: UInt16(truncatingIfNeeded: k * 2),
                                       timestamp: UInt32(k) * 3000, ssrc: 5,
                                       payload: [0x41] + [UInt8](repeating: 7, count: 900))
            s.handlePacket(packet, now: .milliseconds(0))
            while let o = s.pollOutput() {
                if case .nack(let n) = o { nackedTotal += n.lostSequenceNumbers.count }
            }
            #expect(s.statistics.bufferedPackets <= 64)
            #expect(s.statistics.bufferedBytes <= 32 * 1024)
        }
        s.handleTimeout(now: .milliseconds(5))
        while let o = s.pollOutput() {
            if case .nack(let n) = o { nackedTotal += n.lostSequenceNumbers.count }
        }
        #expect(nackedTotal <= 100)
        #expect(s.statistics.packetsSkipped > 4_000)
    }

    @Test("a far jump is dropped as invalid until the next packet confirms it")
    func jumpDropped() throws {
        var s = try RTPReceiveStream(ssrc: 5, feedbackSSRC: 6, configuration: .init(format: .g711))
        for q: UInt16 in [10, 11, 30_000, 12, 13] {
            s.handlePacket(try RTPPacket(payloadType: 0, sequenceNumber: q, timestamp: UInt32(q) * 160, ssrc: 5,
                                         payload: [1]), now: .zero)
        }
        #expect(s.statistics.invalidPackets == 1)
        #expect(s.statistics.restarts == 0)
        #expect(Self.drain(&s) == 4)
    }

    @Test("the demultiplexer routes by SSRC, learns by MID or payload type within its bound, counts the rest")
    func demultiplexer() {
        var d = RTPReceiveDemultiplexer<String>(maxLearnedSSRCs: 2)
        d.register(ssrc: 100, for: "audio")
        d.register(payloadType: 96, for: "video")
        d.register(mid: "1", for: "video")
        #expect(d.route(ssrc: 100, payloadType: 96) == "audio")
        #expect(d.route(ssrc: 200, payloadType: 96) == "video")
        #expect(d.route(ssrc: 200, payloadType: 111) == "video")
        #expect(d.route(ssrc: 300, payloadType: 111, mid: "1") == "video")
        #expect(d.route(ssrc: 400, payloadType: 96) == nil)
        #expect(d.route(ssrc: 500, payloadType: 111) == nil)
        #expect(d.droppedPackets == 2)
        #expect(d.learnedSSRCs == 2)
        d.remove(ssrc: 200)
        #expect(d.route(ssrc: 400, payloadType: 96) == "video")
    }

    @Test("removing a signalled SSRC does not free a learning place")
    func demultiplexerSignalledRemoval() {
        var d = RTPReceiveDemultiplexer<Int>(maxLearnedSSRCs: 1)
        d.register(ssrc: 1, for: 0)
        d.register(payloadType: 8, for: 0)
        #expect(d.route(ssrc: 2, payloadType: 8) == 0)
        d.remove(ssrc: 1)
        #expect(d.route(ssrc: 3, payloadType: 8) == nil)
    }
}

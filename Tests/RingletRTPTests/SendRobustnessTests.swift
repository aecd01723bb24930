import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP send session robustness")
struct SendRobustnessTests {
    @Test("Random and mutated RTCP never traps the send session and keeps its state in range")
    func garbageRTCP() throws {
        var h = try SendHarness()
        try h.video(20_000, key: true, pts: 0)
        try h.audio(pts: 0)
        var rng = SeededRandom(seed: 99)
        let v = h.video.ssrc
        let valid: [RTCPPacket] = [
            .genericNACK(try .init(senderSSRC: 1, mediaSSRC: v, lostSequenceNumbers: [h.video.initialSequenceNumber])),
            .pictureLossIndication(.init(senderSSRC: 1, mediaSSRC: v)),
            .receiverEstimatedMaximumBitrate(try .init(senderSSRC: 1, bitrate: 500_000, ssrcs: [v])),
            .receiverReport(try .init(ssrc: 1, reports: [try .init(ssrc: v, fractionLost: 9, cumulativeLost: 3,
                extendedHighestSequenceNumber: 5, jitter: 7, lastSenderReport: 11, delaySinceLastSenderReport: 13)])),
            .transportWideFeedback(try .init(senderSSRC: 1, mediaSSRC: v, baseSequenceNumber: 1, feedbackPacketCount: 0,
                                             arrivals: [h.now, nil, h.now + .milliseconds(3)])),
        ]
        var parsed = 0
        for k in 0..<5000 {
            var bytes: [UInt8]
            if k % 2 == 0 {
                var w = ByteWriter()
                valid[k / 2 % valid.count].encode(into: &w)
                bytes = w.bytes
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                }
            } else {
                bytes = rng.bytes(Int(rng.next() % 64))
                if bytes.count > 1 { bytes[0] = 0x80 | bytes[0] & 0x1F; bytes[1] = 200 + bytes[1] % 8 }
            }
            if let compound = try? RTCPCompoundPacket(parsing: bytes) {
                parsed += 1
                h.session.handle(compound: compound, now: h.now)
                h.drain()
            }
            if k % 50 == 0 { h.advance(by: .milliseconds(7)) }
        }
        #expect(parsed > 100)
        let stats = h.session.statistics(now: h.now)
        #expect(stats.estimatedBitrate >= 100_000 && stats.estimatedBitrate <= 10_000_000)
        #expect(stats.queueBytes <= 1 << 20)
        #expect(h.session.retransmissionBufferCount <= 2000)
    }
}

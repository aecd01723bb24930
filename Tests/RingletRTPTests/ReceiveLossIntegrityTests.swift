import RingletCore
import Testing
@testable import RingletRTP

/// After a gap the receiver cannot tell from RTP alone whether the lost packets began the next frame, so it must
/// never hand over a frame whose beginning may be missing (such as a keyframe's IDR slice without the SPS and PPS
/// that came in the packet before it). The harness's keyframes are a STAP-A (SPS, PPS) and three FU-A packets.
@Suite("RTP receive stream: after loss, every frame delivered is a frame that was sent")
struct ReceiveLossIntegrityTests {
    @Test("a keyframe whose parameter-set packet is lost for good is dropped, not delivered as its IDR slice alone")
    func keyframeWithoutParameterSets() throws {
        var h = try ReceiveHarness()
        h.keyframeEvery = 10
        h.lostForGood = [10: [0]]
        try h.run(frames: 40)
        h.expectOnlySentFrames()
        let keyTS = h.sent[10].timestamp
        #expect(h.sent[10].isKeyframe)
        #expect(!h.frames.contains { $0.rtpTimestamp == keyTS })
        #expect(Array(h.frames.prefix(10).map(\.rtpTimestamp)) == h.sent.prefix(10).map(\.timestamp))
        // The PLI is answered: a later keyframe restores the picture.
        let next = try #require(h.frames.first { $0.rtpTimestamp > keyTS })
        #expect(next.isKeyframe && next.followsLoss)
        #expect(h.keyframeRequests.count >= 1)
    }

    @Test("a stream whose first packet is lost for good does not start with the keyframe's IDR slice alone")
    func firstPacketLost() throws {
        var h = try ReceiveHarness()
        h.keyframeEvery = 0
        h.lostForGood = [0: [0]]
        try h.run(frames: 20)
        h.expectOnlySentFrames()
        #expect(!h.frames.contains { $0.rtpTimestamp == h.sent[0].timestamp })
        let first = try #require(h.frames.first)
        #expect(first.isKeyframe)
        #expect(h.keyframeRequests.count == 1)
    }

    @Test("a loss across the end of a P frame and the start of a keyframe drops both")
    func lossAcrossFrameBoundary() throws {
        var h = try ReceiveHarness()
        h.keyframeEvery = 10
        h.lostForGood = [9: [-1], 10: [0]]
        try h.run(frames: 40)
        h.expectOnlySentFrames()
        #expect(!h.frames.contains { $0.rtpTimestamp == h.sent[9].timestamp || $0.rtpTimestamp == h.sent[10].timestamp })
        #expect(h.frames.contains { $0.rtpTimestamp > h.sent[10].timestamp && $0.isKeyframe })
    }

    @Test("a keyframe after a P frame lost whole is delivered: its first packet opens an access unit")
    func keyframeAfterWholeFrameLost() throws {
        var h = try ReceiveHarness()
        h.keyframeEvery = 10
        h.lostForGood = [9: Set(0..<8)]
        try h.run(frames: 20)
        h.expectOnlySentFrames()
        let key = try #require(h.frames.first { $0.rtpTimestamp == h.sent[10].timestamp })
        #expect(key.isKeyframe && key.followsLoss)
        #expect(h.frames.map(\.rtpTimestamp) == h.sent.prefix(9).map(\.timestamp) + h.sent[10...].map(\.timestamp))
    }

    @Test("H.265: a keyframe whose first packet (the AP with VPS, SPS, PPS) is lost is dropped; the next is delivered")
    func h265KeyframeWithoutParameterSets() throws {
        var stream = try RTPReceiveStream(ssrc: 0x1111, feedbackSSRC: 0x2222, configuration: .init(format: .h265))
        var packetizer = H265Packetizer()
        var seq: UInt16 = 500
        var now: Int64 = 0
        var sent: [[UInt8]] = []
        var frames: [RTPReceivedFrame] = []
        // Three keyframes 300 ms apart (more than the max delay, so a gap is skipped before the next one comes);
        // the second loses its first packet.
        for i in 0..<3 {
            let nals = [PayloadSupport.h265(32, size: 20, seed: UInt64(i)), PayloadSupport.h265(33, size: 30, seed: UInt64(i)),
                        PayloadSupport.h265(34, size: 8, seed: UInt64(i)), PayloadSupport.h265(19, size: 3000, seed: UInt64(i))]
            sent.append(nals.flatMap { [0, 0, 0, 1] + $0 })
            var payloads: [PayloadPacket] = []
            try packetizer.packetize(nalUnits: nals.map { $0[...] }, into: &payloads)
            #expect(payloads.count >= 3 && payloads[0].payload[0] >> 1 & 0x3F == 48)
            for (k, p) in payloads.enumerated() {
                defer { seq &+= 1 }
                if i == 1 && k == 0 { continue }
                let packet = try RTPPacket(marker: p.marker, payloadType: 98, sequenceNumber: seq,
                                           timestamp: 90_000 &+ UInt32(i) * 27_000, ssrc: 0x1111, payload: p.payload)
                stream.handlePacket(packet, now: .milliseconds(now))
            }
            now += 300
            stream.handleTimeout(now: .milliseconds(now))
            while let o = stream.pollOutput() { if case .frame(let f) = o { frames.append(f) } }
        }
        #expect(frames.map(\.data) == [sent[0], sent[2]])
        #expect(frames.map(\.isKeyframe) == [true, true])
        #expect(frames.last?.followsLoss == true)
        #expect(stream.statistics.packetsSkipped == 1)
    }

    struct Channel: Sendable, CustomTestStringConvertible {
        let name: String
        var loss = 0.0
        var retransmissionLoss = 0.0
        var jitterMs: Int64 = 0
        var rttMs: Int64 = 40
        var answerNACKs = true
        var duplicateAll = false
        var keyframeEvery = 30
        var testDescription: String { name }
    }

    static let channels: [Channel] = [
        Channel(name: "20 % loss, nothing retransmitted", loss: 0.2, answerNACKs: false),
        Channel(name: "10 % loss, reordering, retransmissions after the max delay", loss: 0.1, jitterMs: 80, rttMs: 260),
        Channel(name: "10 % loss, reordering, duplicates, half the retransmissions lost", loss: 0.1,
                retransmissionLoss: 0.5, jitterMs: 40, duplicateAll: true),
        Channel(name: "30 % loss, keyframes only on request", loss: 0.3, retransmissionLoss: 0.3, jitterMs: 20,
                keyframeEvery: 0),
    ]

    @Test("under seeded loss, reordering, duplicates and late retransmissions no frame is delivered that was not sent",
          arguments: channels)
    func seededChannels(_ channel: Channel) throws {
        var skipped = 0, delivered = 0, keyframesAfterLoss = 0
        for seed in UInt64(1)...12 {
            var h = try ReceiveHarness(seed: seed)
            h.loss = channel.loss
            h.retransmissionLoss = channel.retransmissionLoss
            h.jitterMs = channel.jitterMs
            h.rttMs = channel.rttMs
            h.answerNACKs = channel.answerNACKs
            h.duplicateAll = channel.duplicateAll
            h.keyframeEvery = channel.keyframeEvery
            try h.run(frames: 240)
            h.expectOnlySentFrames("seed \(seed)")
            skipped += h.stream.statistics.packetsSkipped
            delivered += h.frames.count
            keyframesAfterLoss += h.frames.count { $0.isKeyframe && $0.followsLoss }
        }
        // The channel did lose packets for good, and the stream recovered from it with keyframes.
        #expect(skipped > 0)
        #expect(keyframesAfterLoss > 0)
        #expect(delivered > 12 * 10)
    }
}

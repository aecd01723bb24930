import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP receive stream: jitter buffer, NACK and frame assembly")
struct ReceiveStreamTests {
    @Test("an in-order stream delivers every frame with its PTS and arrival")
    func inOrder() throws {
        var h = try ReceiveHarness()
        try h.run(frames: 90)
        h.expectDelivered(h.sent.map(\.timestamp))
        #expect(h.frames.map(\.presentationTimeMilliseconds) == (0..<90).map { Int64($0) * 3000 / 90 })
        #expect(h.frames.first?.arrival == .milliseconds(10))
        #expect(h.keyframeRequests.isEmpty && h.nacks.isEmpty)
        #expect(h.stream.statistics.framesDelivered == 90)
        #expect(h.stream.statistics.framesDropped == 0)
    }

    @Test("packets reordered within the delay still give every frame, in order")
    func reordered() throws {
        var h = try ReceiveHarness(seed: 7)
        h.jitterMs = 60
        h.answerNACKs = true
        try h.run(frames: 150)
        h.expectDelivered(h.sent.map(\.timestamp))
        #expect(h.keyframeRequests.isEmpty)
        #expect(h.stream.statistics.packetsSkipped == 0)
    }

    @Test("5 % random loss with NACK-driven retransmission delivers every frame")
    func lossRecoveredByNACK() throws {
        var h = try ReceiveHarness(seed: 42)
        h.loss = 0.05
        h.retransmissionLoss = 0.05
        h.jitterMs = 5
        try h.run(frames: 300)
        h.expectDelivered(h.sent.map(\.timestamp))
        let stats = h.stream.statistics
        #expect(stats.packetsRecoveredByNACK > 20)
        #expect(stats.packetsSkipped == 0)
        #expect(!h.nacks.isEmpty)
        #expect(h.keyframeRequests.isEmpty)
    }

    @Test("a packet never retransmitted drops its frame after the max delay, asks one keyframe, holds frames until it")
    func unrecoverableLoss() throws {
        var h = try ReceiveHarness()
        h.keyframeEvery = 0
        // Frame 10 is a P frame; its first packet is lost for good.
        var probe = try ReceiveHarness()
        probe.keyframeEvery = 0
        var lostSeq: UInt16 = 0
        var packetsInFrame = 0
        for i in 0...10 {
            let packets = try probe.makeFrame()
            if i == 10 { lostSeq = packets[0].sequenceNumber; packetsInFrame = packets.count }
        }
        h.blackholed = [lostSeq]
        try h.run(frames: 40)
        #expect(h.keyframeRequests.count == 1)
        let request = try #require(h.keyframeRequests.first)
        // Frame 10 is sent at 330 ms and arrives at 340 ms; the packets held after the hole (frame 10's others,
        // or frame 11's at 373 ms) are given up 200 ms after their arrival.
        #expect(request == (packetsInFrame > 1 ? 540 : 573))
        let sentTS = h.sent.map(\.timestamp)
        let lostTS = sentTS[10]
        #expect(!h.frames.contains { $0.rtpTimestamp == lostTS })
        // After the loss, the first delivered frame is the keyframe the PLI asked for.
        let after = h.frames.filter { $0.rtpTimestamp > lostTS }
        let first = try #require(after.first)
        #expect(first.isKeyframe && first.followsLoss)
        let keyIndex = try #require(h.sent.firstIndex { $0.timestamp == first.rtpTimestamp })
        #expect(keyIndex > 11)
        h.expectDelivered(Array(sentTS[0..<10]) + Array(sentTS[keyIndex...]))
        #expect(h.stream.statistics.framesDropped >= keyIndex - 10)
    }

    @Test("a continued loss re-asks for a keyframe at most once per interval")
    func keyframeRequestThrottled() throws {
        var h = try ReceiveHarness()
        h.keyframeEvery = 0
        h.answerPLI = false
        var probe = try ReceiveHarness()
        probe.keyframeEvery = 0
        var lostSeq: UInt16 = 0
        for i in 0...10 {
            let packets = try probe.makeFrame()
            if i == 10 { lostSeq = packets[0].sequenceNumber }
        }
        h.blackholed = [lostSeq]
        try h.run(frames: 40)
        // Loss found at 573 ms; P frames keep coming every 33 ms until 1290 ms: requests at 573, ≥873, ≥1173.
        #expect(h.keyframeRequests.count == 3)
        for (a, b) in zip(h.keyframeRequests, h.keyframeRequests.dropFirst()) { #expect(b - a >= 300) }
        #expect(h.frames.count == 10)
    }

    @Test("the sequence number wraps at 65535 without a hitch")
    func sequenceWrap() throws {
        var h = try ReceiveHarness(firstSequence: 65_400)
        h.loss = 0.03
        try h.run(frames: 120)
        h.expectDelivered(h.sent.map(\.timestamp))
        #expect(h.seq < 65_400)
        let made = h.stream.makeReceptionReport(now: .milliseconds(h.now))
        let report = try #require(made)
        #expect(report.extendedHighestSequenceNumber == 65_536 + UInt32(h.seq) - 1)
    }

    @Test("a sender restart (a big sequence jump, then continuing) is followed")
    func senderRestart() throws {
        var h = try ReceiveHarness()
        try h.run(frames: 30)
        let before = h.frames.count
        let lastPTS = try #require(h.frames.last?.presentationTimeMilliseconds)
        // The sender restarts: new sequence space, new timestamp base, a keyframe first.
        h.seq = 40_000
        h.timestampBase = 7_777_777
        h.frameIndex = 0
        h.keyframePending = true
        h.sent = []
        let start = h.now
        try h.run(frames: 30)
        #expect(h.stream.statistics.restarts == 1)
        #expect(h.stream.statistics.invalidPackets == 0)
        let after = Array(h.frames[before...])
        #expect(after.map(\.rtpTimestamp) == h.sent.map(\.timestamp))
        #expect(after.first?.isKeyframe == true)
        let firstPTS = try #require(after.first?.presentationTimeMilliseconds)
        #expect(firstPTS > lastPTS)
        let lastAfter = try #require(after.last)
        let span: Int64 = 29 * 3000 / 90
        #expect(lastAfter.presentationTimeMilliseconds - firstPTS == span)
        #expect(firstPTS - lastPTS >= start - (h.frames[before - 1].arrival.milliseconds))
    }

    @Test("duplicated packets are dropped and counted; every frame comes once")
    func duplicates() throws {
        var h = try ReceiveHarness()
        h.duplicateAll = true
        try h.run(frames: 60)
        h.expectDelivered(h.sent.map(\.timestamp))
        #expect(h.stream.statistics.duplicates == h.store.count)
    }

    @Test("the first frame must be a keyframe: a stream joined mid-GOP waits for one and asks once")
    func startWithoutKeyframe() throws {
        var h = try ReceiveHarness()
        h.keyframePending = false
        h.keyframeEvery = 0
        h.frameIndex = 1
        try h.run(frames: 20)
        #expect(h.keyframeRequests.count == 1)
        #expect(h.frames.first?.isKeyframe == true)
        #expect(h.frames.count == 19)
    }
}

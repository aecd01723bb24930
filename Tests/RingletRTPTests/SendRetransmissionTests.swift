import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP send retransmission and keyframe requests")
struct SendRetransmissionTests {
    func nack(_ h: SendHarness, _ seqs: [UInt16], ssrc: UInt32? = nil) throws -> RTCPPacket {
        .genericNACK(try RTCPGenericNACK(senderSSRC: 0xFEED, mediaSSRC: ssrc ?? h.video.ssrc, lostSequenceNumbers: seqs))
    }

    /// A harness that has sent one 10-packet keyframe.
    func sentKeyframe() throws -> SendHarness {
        var h = try SendHarness()
        try h.video(11_000, key: true, pts: 0)
        h.advance(by: .milliseconds(100))
        #expect(h.sent.count == 10)
        h.sent.removeAll()
        return h
    }

    @Test("A NACK resends the held packets with their sequence numbers and payloads")
    func resends() throws {
        var h = try sentKeyframe()
        let s0 = h.video.initialSequenceNumber
        var original = try SendHarness()
        try original.video(11_000, key: true, pts: 0)
        original.advance(by: .milliseconds(100))
        h.rtcp(try nack(h, [s0 &+ 2, s0 &+ 5, s0 &+ 500]))
        h.advance(by: .milliseconds(20))
        #expect(h.sent.map(\.packet.sequenceNumber) == [s0 &+ 2, s0 &+ 5])
        #expect(h.sent[0].packet.payload == original.sent[2].packet.payload)
        #expect(h.session.statistics(now: h.now).retransmittedPackets == 2)
    }

    @Test("A packet is not resent twice within the retransmission interval")
    func notTwice() throws {
        var h = try sentKeyframe()
        let s0 = h.video.initialSequenceNumber
        h.rtcp(try nack(h, [s0]))
        h.advance(by: .milliseconds(50))
        h.rtcp(try nack(h, [s0]))
        h.advance(by: .milliseconds(20))
        #expect(h.sent.count == 1)
        h.advance(by: .milliseconds(50))
        h.rtcp(try nack(h, [s0]))
        h.advance(by: .milliseconds(20))
        #expect(h.sent.count == 2)
    }

    @Test("Packets older than the age limit or evicted by count are not resent")
    func evicted() throws {
        var h = try sentKeyframe()
        h.advance(by: .milliseconds(1000))
        h.rtcp(try nack(h, [h.video.initialSequenceNumber &+ 9]))
        h.advance(by: .milliseconds(20))
        #expect(h.sent.isEmpty)

        var c = SendHarness.configuration()
        c.retransmissionCapacity = 5
        var small = try SendHarness(c)
        try small.video(11_000, key: true, pts: 0)
        small.advance(by: .milliseconds(100))
        small.sent.removeAll()
        let s0 = small.video.initialSequenceNumber
        small.rtcp(try nack(small, [s0, s0 &+ 4, s0 &+ 5, s0 &+ 9]))
        small.advance(by: .milliseconds(20))
        #expect(small.sent.map(\.packet.sequenceNumber) == [s0 &+ 5, s0 &+ 9])
        #expect(small.session.retransmissionBufferCount <= 5 + 1)
    }

    @Test("A NACK about another SSRC is ignored")
    func otherSSRC() throws {
        var h = try sentKeyframe()
        h.rtcp(try nack(h, [h.video.initialSequenceNumber], ssrc: h.video.ssrc &+ 1))
        h.advance(by: .milliseconds(20))
        #expect(h.sent.isEmpty)
    }

    @Test("Retransmissions leave before queued new video")
    func priority() throws {
        var h = try sentKeyframe()
        let s0 = h.video.initialSequenceNumber
        try h.video(50_000, key: false, pts: 33)
        let before = h.sent.count
        h.rtcp(try nack(h, [s0 &+ 1]))
        h.advance(by: .milliseconds(10))
        #expect(h.sent.dropFirst(before).first?.packet.sequenceNumber == s0 &+ 1)
    }

    @Test("PLI raises a keyframe request, throttled to one per interval")
    func pli() throws {
        var h = try sentKeyframe()
        let pli = RTCPPacket.pictureLossIndication(.init(senderSSRC: 1, mediaSSRC: h.video.ssrc))
        h.rtcp(pli)
        h.advance(by: .milliseconds(100))
        h.rtcp(pli)
        #expect(h.events == [.keyframeRequested(ssrc: h.video.ssrc)])
        h.advance(by: .milliseconds(450))
        h.rtcp(pli)
        #expect(h.events.count == 2)
        h.advance(by: .milliseconds(600))
        h.rtcp(.pictureLossIndication(.init(senderSSRC: 1, mediaSSRC: h.video.ssrc &+ 1)))
        h.rtcp(.pictureLossIndication(.init(senderSSRC: 1, mediaSSRC: h.audio.ssrc)))
        #expect(h.events.count == 2)
    }

    @Test("FIR for our SSRC raises a keyframe request; a repeated FIR sequence number does not")
    func fir() throws {
        var h = try sentKeyframe()
        let fir = RTCPPacket.fullIntraRequest(try .init(senderSSRC: 1, entries: [.init(ssrc: h.video.ssrc, sequenceNumber: 4)]))
        h.rtcp(fir)
        h.advance(by: .seconds(1))
        h.rtcp(fir)
        h.rtcp(.fullIntraRequest(try .init(senderSSRC: 1, entries: [.init(ssrc: 99, sequenceNumber: 5)])))
        #expect(h.events == [.keyframeRequested(ssrc: h.video.ssrc)])
        h.rtcp(.fullIntraRequest(try .init(senderSSRC: 1, entries: [.init(ssrc: h.video.ssrc, sequenceNumber: 5)])))
        #expect(h.events.count == 2)
    }
}

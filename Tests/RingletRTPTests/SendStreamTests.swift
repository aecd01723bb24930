import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP send streams")
struct SendStreamTests {
    @Test("A keyframe becomes consecutive packets with one timestamp and the marker on the last")
    func keyframePacketization() throws {
        var h = try SendHarness()
        try h.video(5000, key: true, pts: 40)
        h.advance(by: .milliseconds(100))
        let v = h.video
        let packets = h.sent.map(\.packet).filter { $0.ssrc == v.ssrc }
        #expect(packets.count == 5)
        for (k, p) in packets.enumerated() {
            #expect(p.sequenceNumber == v.initialSequenceNumber &+ UInt16(k))
            #expect(p.timestamp == v.timestampOffset &+ 40 * 90)
            #expect(p.payloadType == 96)
            #expect(p.marker == (k == packets.count - 1))
        }
    }

    @Test("Later frames continue the sequence and advance the timestamp by the 90 kHz clock")
    func progression() throws {
        var h = try SendHarness()
        try h.video(500, key: true, pts: 0)
        try h.video(500, key: false, pts: 33)
        h.advance(by: .milliseconds(50))
        let v = h.video
        let packets = h.sent.map(\.packet).filter { $0.ssrc == v.ssrc }
        #expect(packets.map(\.sequenceNumber) == [v.initialSequenceNumber, v.initialSequenceNumber &+ 1])
        #expect(packets[1].timestamp &- packets[0].timestamp == 2970)
    }

    @Test("Header extensions carry a session-wide transport sequence, abs-send-time and the mid")
    func extensions() throws {
        var h = try SendHarness()
        try h.video(500, key: true, pts: 0)
        try h.audio(pts: 0)
        h.advance(by: .milliseconds(10))
        try h.audio(pts: 20)
        let seqs = h.sent.compactMap { h.transportSequence($0.packet) }
        #expect(seqs.count == 3)
        #expect(seqs == [seqs[0], seqs[0] &+ 1, seqs[0] &+ 2])
        for (at, p) in h.sent {
            let mid = p.headerExtension?.element(id: SendHarness.midID).map { String(decoding: $0, as: UTF8.self) }
            #expect(mid == (p.ssrc == h.video.ssrc ? "1" : "0"))
            let abs = try #require(p.headerExtension?.element(id: SendHarness.absID))
            let value = UInt32(abs[abs.startIndex]) << 16 | UInt32(abs[abs.startIndex + 1]) << 8 | UInt32(abs[abs.startIndex + 2])
            // 6.18 fixed point of (NTP offset + now); the offset is whole seconds, 3_900_000_000 mod 64 = 0.
            let seconds = Double(at.nanoseconds) / 1e9
            let expected = UInt32(seconds * 262_144) & 0xFF_FFFF
            #expect(value == expected)
        }
    }

    @Test("A first video frame that is not a keyframe is refused")
    func firstFrameNotKeyframe() throws {
        var h = try SendHarness()
        #expect(throws: RTPError.self) { try h.video(500, key: false, pts: 0) }
        do {
            try h.video(500, key: false, pts: 0)
        } catch {
            #expect(error.code == .firstFrameNotKeyframe)
        }
        #expect(h.sent.isEmpty)
        try h.video(500, key: true, pts: 33)
        try h.video(500, key: false, pts: 66)
        #expect(h.sent.count >= 1)
    }

    @Test("Audio may start with any frame, and the first audio packet has the marker bit")
    func audioStart() throws {
        var h = try SendHarness()
        try h.audio(pts: 0)
        try h.audio(pts: 20)
        let packets = h.sent.map(\.packet)
        #expect(packets.map(\.marker) == [true, false])
        #expect(packets[1].timestamp &- packets[0].timestamp == 960)
    }

    @Test("G.711 frames are split into 20 ms packets whose timestamps advance by 160")
    func g711() throws {
        var rng = SeededRandom(seed: 1)
        var s = try RTPSendSession(configuration: .init(audio: .init(codec: .g711(.muLaw), payloadType: 0)), using: &rng)
        try s.send(frame: [UInt8](repeating: 0xFF, count: 320)[...], media: .audio, ptsMilliseconds: 0,
                   isKeyframe: false, now: .zero)
        var packets: [RTPPacket] = []
        while let o = s.pollOutput() { if case .rtp(let p) = o { packets.append(p) } }
        #expect(packets.count == 2)
        #expect(packets[1].timestamp &- packets[0].timestamp == 160)
        #expect(packets[1].sequenceNumber &- packets[0].sequenceNumber == 1)
    }

    @Test("SSRC, initial sequence number and timestamp offset come from the injected generator")
    func randomness() throws {
        let a = try SendHarness(seed: 42), b = try SendHarness(seed: 42), c = try SendHarness(seed: 43)
        #expect(a.video.ssrc == b.video.ssrc)
        #expect(a.video.initialSequenceNumber == b.video.initialSequenceNumber)
        #expect(a.video.timestampOffset == b.video.timestampOffset)
        #expect(a.video.ssrc != c.video.ssrc)
        #expect(a.video.ssrc != a.audio.ssrc)
    }

    @Test("A frame for a stream that is not configured is refused", arguments: [RTPSendMedia.audio, .video])
    func noSuchStream(media: RTPSendMedia) throws {
        var h = try SendHarness(SendHarness.configuration(audio: media == .video, video: media == .audio))
        do {
            try h.session.send(frame: [1, 2, 3], media: media, ptsMilliseconds: 0, isKeyframe: true, now: h.now)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .noSuchStream)
        }
    }

    @Test("Invalid configurations are refused")
    func invalidConfiguration() {
        var rng = SeededRandom(seed: 1)
        var c = SendHarness.configuration()
        c.lowWatermark = 1 << 30
        #expect(throws: RTPError.self) { try RTPSendSession(configuration: c, using: &rng) }
        var d = SendHarness.configuration()
        d.video?.headerExtensions.midID = 15
        #expect(throws: RTPError.self) { try RTPSendSession(configuration: d, using: &rng) }
        var e = SendHarness.configuration()
        e.video?.codec = .opus
        #expect(throws: RTPError.self) { try RTPSendSession(configuration: e, using: &rng) }
    }
}

import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP send pacer")
struct SendPacerTests {
    @Test("A large keyframe is spread over time at the target rate in bursts of one interval")
    func spreadsKeyframe() throws {
        var h = try SendHarness()
        let start = h.now
        try h.video(100_000, key: true, pts: 0)
        #expect(h.sent.count <= 3)
        h.advance(by: .seconds(2))
        let times = h.sent.map(\.at)
        let last = try #require(times.last)
        // 1 Mbit/s × 2.5 = 312 500 bytes/s: ~100 500 bytes on the wire take ~0.32 s.
        let seconds = Double((last - start).nanosecondsClamped) / 1e9
        #expect(seconds > 0.28 && seconds < 0.36)
        // No burst exceeds one 5 ms interval's worth plus one packet.
        var perInstant: [Instant: Int] = [:]
        for (at, p) in h.sent { perInstant[at, default: 0] += p.encodedSize }
        #expect(perInstant.values.allSatisfy { $0 <= 1563 + 2 * 1300 })
        #expect(Set(times).count > 50)
    }

    @Test("Audio jumps the queue ahead of queued video")
    func audioFirst() throws {
        var h = try SendHarness()
        try h.video(60_000, key: true, pts: 0)
        h.advance(by: .milliseconds(10))
        let before = h.sent.count
        try h.audio(pts: 10)
        let next = try #require(h.sent.dropFirst(before).first)
        #expect(next.packet.ssrc == h.audio.ssrc)
        #expect(next.at == h.now)
        #expect(h.session.statistics(now: h.now).queuePackets > 10)
    }

    @Test("Watermark events fire up through low, warn and high, then back down in order")
    func watermarks() throws {
        var c = SendHarness.configuration()
        c.lowWatermark = 10_000
        c.warnWatermark = 20_000
        c.highWatermark = 40_000
        var h = try SendHarness(c)
        try h.video(50_000, key: true, pts: 0)
        let up = h.events.compactMap { e -> String? in
            if case .watermark(let m, let rising, _) = e { return "\(m)\(rising ? "↑" : "↓")" }
            return nil
        }
        #expect(up == ["low↑", "warn↑", "high↑"])
        #expect(h.session.statistics(now: h.now).queueBytes >= 40_000)
        h.advance(by: .seconds(1))
        let all = h.events.compactMap { e -> String? in
            if case .watermark(let m, let rising, _) = e { return "\(m)\(rising ? "↑" : "↓")" }
            return nil
        }
        #expect(all == ["low↑", "warn↑", "high↑", "high↓", "warn↓", "low↓"])
        let stats = h.session.statistics(now: h.now)
        #expect(stats.queueBytes == 0 && stats.queuePackets == 0)
    }

    @Test("Over the hard limit, whole non-key frames are dropped and a keyframe is requested")
    func hardLimit() throws {
        var c = SendHarness.configuration(audio: false)
        c.initialBitrate = 100_000
        c.lowWatermark = 1000
        c.warnWatermark = 2000
        c.highWatermark = 3000
        c.maxQueueBytes = 30_000
        var h = try SendHarness(c)
        var framePackets: [UInt32: Int] = [:]
        try h.video(20_000, key: true, pts: 0)
        for k in 1...8 {
            h.advance(by: .milliseconds(33))
            try h.video(4_000 + k, key: false, pts: Int64(k) * 33)
            #expect(h.session.statistics(now: h.now).queueBytes <= 30_000)
        }
        h.advance(by: .seconds(5))
        for (_, p) in h.sent { framePackets[p.timestamp, default: 0] += 1 }
        let stats = h.session.statistics(now: h.now)
        #expect(stats.droppedFrames > 0)
        #expect(h.events.contains { if case .framesDropped = $0 { true } else { false } })
        #expect(h.events.contains(.keyframeRequested(ssrc: h.video.ssrc)))
        // Every frame that was sent at all was sent whole: a 4 kB frame is 4 packets, the keyframe 17.
        for (ts, n) in framePackets {
            #expect(n == (ts == h.video.timestampOffset ? 17 : 4))
        }
        #expect(framePackets.count == 9 - stats.droppedFrames)
    }

    @Test("Buffers stay within their caps over a long overloaded run")
    func boundedMemory() throws {
        var c = SendHarness.configuration()
        c.initialBitrate = 100_000
        c.maximumBitrate = 200_000
        c.maxQueueBytes = 200_000
        c.lowWatermark = 20_000
        c.warnWatermark = 50_000
        c.highWatermark = 100_000
        c.retransmissionCapacity = 300
        var h = try SendHarness(c)
        var maxQueue = 0, maxHeld = 0
        for k in 0..<1800 {
            try h.video(k % 60 == 0 ? 40_000 : 8_000, key: k % 60 == 0, pts: Int64(k) * 33)
            try h.audio(pts: Int64(k) * 33)
            h.advance(by: .milliseconds(33))
            maxQueue = max(maxQueue, h.session.statistics(now: h.now).queueBytes)
            maxHeld = max(maxHeld, h.session.retransmissionBufferCount)
            if h.sent.count > 10_000 { h.sent.removeAll() }
            h.events.removeAll()
            h.reports.removeAll()
        }
        #expect(maxQueue <= 200_000 + 41_000)
        #expect(maxHeld <= 600)
    }
}

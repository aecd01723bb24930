import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP receive stream: audio frames")
struct ReceiveAudioTests {
    static func opus(_ seq: UInt16, _ k: Int) throws -> RTPPacket {
        // TOC 0x78: configuration 15 (hybrid fullband 20 ms), mono, one frame: 960 samples.
        try RTPPacket(payloadType: 111, sequenceNumber: seq, timestamp: 5000 &+ UInt32(k) * 960, ssrc: 7,
                      payload: [0x78, UInt8(truncatingIfNeeded: k), 1, 2, 3])
    }

    static func drainFrames(_ s: inout RTPReceiveStream) -> [RTPReceivedFrame] {
        var out: [RTPReceivedFrame] = []
        while let o = s.pollOutput() {
            switch o {
            case .frame(let f): out.append(f)
            case .nack, .keyframeRequest: Issue.record("audio stream asked for \(o)")
            }
        }
        return out
    }

    @Test("a missing Opus packet is skipped after the audio max delay and the next frame follows loss")
    func opusLoss() throws {
        var s = try RTPReceiveStream(ssrc: 7, feedbackSSRC: 1, configuration: .init(format: .opus))
        var frames: [RTPReceivedFrame] = []
        for k in 0..<9 where k != 4 {
            let now = Instant.milliseconds(Int64(k) * 20)
            s.handlePacket(try Self.opus(UInt16(100 + k), k), now: now)
            frames += Self.drainFrames(&s)
            if let t = s.pollTimeout(), t <= now {
                s.handleTimeout(now: now)
                frames += Self.drainFrames(&s)
            }
        }
        // Frames 0–3 came at once; 5… wait for 4 until 100 + 80 ms (the arrival of 5 plus the max delay).
        #expect(frames.count == 4)
        let timeout = s.pollTimeout()
        let deadline = try #require(timeout)
        #expect(deadline == .milliseconds(180))
        s.handleTimeout(now: deadline)
        frames += Self.drainFrames(&s)
        #expect(frames.map(\.rtpTimestamp) == [0, 1, 2, 3, 5, 6, 7, 8].map { 5000 + UInt32($0) * 960 })
        #expect(frames.map(\.followsLoss) == [false, false, false, false, true, false, false, false])
        #expect(frames.map(\.presentationTimeMilliseconds) == [0, 20, 40, 60, 100, 120, 140, 160])
        #expect(frames.allSatisfy { $0.sampleCount == 960 && !$0.isKeyframe })
        #expect(s.statistics.packetsSkipped == 1)
    }

    @Test("a playout delay holds every frame that long after its arrival")
    func playoutDelay() throws {
        var c = RTPReceiveStream.Configuration(format: .g711)
        c.playoutDelay = .milliseconds(30)
        var s = try RTPReceiveStream(ssrc: 7, feedbackSSRC: 1, configuration: c)
        s.handlePacket(try RTPPacket(payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 7, payload: [1, 2]),
                       now: .milliseconds(10))
        #expect(Self.drainFrames(&s).isEmpty)
        let timeout = s.pollTimeout()
        #expect(timeout == .milliseconds(40))
        s.handleTimeout(now: .milliseconds(39))
        #expect(Self.drainFrames(&s).isEmpty)
        s.handleTimeout(now: .milliseconds(40))
        #expect(Self.drainFrames(&s).map(\.data) == [[1, 2]])
    }

    @Test("an invalid configuration is refused with the field named", arguments: [
        "maxDelay", "maxPackets", "maxMisorder", "playoutDelay",
    ])
    func invalidConfiguration(field: String) throws {
        var c = RTPReceiveStream.Configuration(format: .h264)
        switch field {
        case "maxDelay": c.maxDelay = .zero
        case "maxPackets": c.maxPackets = 3
        case "maxMisorder": c.maxMisorder = 65_000
        default: c.playoutDelay = .seconds(1)
        }
        #expect(throws: RTPError.self) { try RTPReceiveStream(ssrc: 1, feedbackSSRC: 2, configuration: c) }
        do { _ = try RTPReceiveStream(ssrc: 1, feedbackSSRC: 2, configuration: c) } catch {
            #expect(error.field.hasSuffix(field))
        }
    }
}

import RingletCore
import Testing
@testable import RingletRTP

/// A fake H.264 sender, a seeded lossy channel and a receive stream, run on a fake millisecond clock.
struct ReceiveHarness {
    struct SentFrame {
        let timestamp: UInt32
        let annexB: [UInt8]
        let isKeyframe: Bool
    }

    var stream: RTPReceiveStream
    var now: Int64 = 0
    var rng: SeededRandom
    /// Probability of losing a packet on the first transmission, and on a retransmission.
    var loss = 0.0
    var retransmissionLoss = 0.0
    /// Extra one-way delay, uniform in 0...jitterMs (reorders packets).
    var jitterMs: Int64 = 0
    var baseDelayMs: Int64 = 10
    var rttMs: Int64 = 40
    var answerNACKs = true
    /// Sequence numbers the sender never retransmits and the channel always loses.
    var blackholed: Set<UInt16> = []
    /// Send every packet twice.
    var duplicateAll = false
    /// Answer a PLI with a keyframe as the next frame.
    var answerPLI = true
    /// Packets lost for good, by frame (0 for the first frame sent) and position in the frame (a negative
    /// position counts from the frame's end; positions beyond the frame are ignored).
    var lostForGood: [Int: Set<Int>] = [:]

    var seq: UInt16
    var timestampBase: UInt32 = 12_345
    let ssrc: UInt32 = 0x1111
    var frameIndex: UInt32 = 0
    var keyframeEvery = 30
    var keyframePending = true
    var sent: [SentFrame] = []
    var store: [UInt16: RTPPacket] = [:]
    var inFlight: [(at: Int64, order: Int, packet: RTPPacket)] = []
    var order = 0

    var frames: [RTPReceivedFrame] = []
    var nacks: [RTCPGenericNACK] = []
    var keyframeRequests: [Int64] = []

    init(configuration: RTPReceiveStream.Configuration = .init(format: .h264), seed: UInt64 = 1,
         firstSequence: UInt16 = 1000) throws {
        stream = try RTPReceiveStream(ssrc: 0x1111, feedbackSSRC: 0x2222, configuration: configuration)
        rng = SeededRandom(seed: seed)
        seq = firstSequence
    }

    /// Makes one frame's packets (a keyframe with SPS, PPS and a 3 kB IDR; else a 0.3–2.5 kB P slice).
    mutating func makeFrame() throws -> [RTPPacket] {
        let key = keyframePending || (keyframeEvery > 0 && Int(frameIndex) % keyframeEvery == 0)
        keyframePending = false
        let ts = timestampBase &+ frameIndex &* 3000
        frameIndex += 1
        var nals: [[UInt8]] = []
        if key {
            nals.append(PayloadSupport.h264(7, size: 12, seed: UInt64(frameIndex)))
            nals.append(PayloadSupport.h264(8, size: 5, seed: UInt64(frameIndex)))
            nals.append(PayloadSupport.h264(5, size: 3000, seed: UInt64(frameIndex)))
        } else {
            nals.append(PayloadSupport.h264(1, size: Int.random(in: 300...2500, using: &rng), seed: UInt64(frameIndex)))
        }
        var packetizer = H264Packetizer()
        var payloads: [PayloadPacket] = []
        try packetizer.packetize(nalUnits: nals.map { $0[...] }, into: &payloads)
        sent.append(SentFrame(timestamp: ts, annexB: nals.flatMap { [0, 0, 0, 1] + $0 }, isKeyframe: key))
        var packets: [RTPPacket] = []
        let lost = Set((lostForGood[Int(frameIndex) - 1] ?? []).map { $0 < 0 ? payloads.count + $0 : $0 })
        for (position, p) in payloads.enumerated() {
            if lost.contains(position) { blackholed.insert(seq) }
            let packet = try RTPPacket(marker: p.marker, payloadType: 96, sequenceNumber: seq, timestamp: ts, ssrc: ssrc,
                                       payload: p.payload)
            store[seq] = packet
            seq &+= 1
            packets.append(packet)
        }
        return packets
    }

    mutating func transmit(_ packet: RTPPacket, lossRate: Double) {
        if blackholed.contains(packet.sequenceNumber) { return }
        if Double.random(in: 0..<1, using: &rng) < lossRate { return }
        let copies = duplicateAll ? 2 : 1
        for _ in 0..<copies {
            // The first frame goes in order: before anything is known, a reordered start cannot be told from a
            // stream joined late (see docs/rtp-receive.md).
            let delay = baseDelayMs + (jitterMs > 0 && frameIndex > 1 ? Int64.random(in: 0...jitterMs, using: &rng) : 0)
            order += 1
            inFlight.append((now + delay, order, packet))
        }
    }

    /// Sends `count` frames 33 ms apart and runs until everything settled.
    mutating func run(frames count: Int) throws {
        let end = now + Int64(count) * 33 + 1000
        var nextFrame: Int64 = now
        var framesSent = 0
        while now <= end {
            if framesSent < count, now >= nextFrame {
                for p in try makeFrame() { transmit(p, lossRate: loss) }
                framesSent += 1
                nextFrame += 33
            }
            deliverDue()
            if let t = stream.pollTimeout(), t <= Instant.milliseconds(now) {
                stream.handleTimeout(now: .milliseconds(now))
                drain()
            }
            now += 1
        }
    }

    mutating func deliverDue() {
        let due = inFlight.filter { $0.at <= now }.sorted { ($0.at, $0.order) < ($1.at, $1.order) }
        inFlight.removeAll { $0.at <= now }
        for d in due {
            stream.handlePacket(d.packet, now: .milliseconds(now))
            drain()
        }
    }

    mutating func drain() {
        while let o = stream.pollOutput() {
            switch o {
            case .frame(let f): frames.append(f)
            case .nack(let n):
                nacks.append(n)
                guard answerNACKs else { continue }
                for s in n.lostSequenceNumbers {
                    guard let p = store[s], !blackholed.contains(s) else { continue }
                    if Double.random(in: 0..<1, using: &rng) < retransmissionLoss { continue }
                    order += 1
                    inFlight.append((now + rttMs, order, p))
                }
            case .keyframeRequest(let pli):
                #expect(pli.mediaSSRC == 0x1111 && pli.senderSSRC == 0x2222)
                keyframeRequests.append(now)
                if answerPLI { keyframePending = true }
            }
        }
    }

    /// Checks that every delivered frame is a sent frame, byte for byte, with its keyframe flag, each once and in
    /// sending order.
    func expectOnlySentFrames(_ comment: Comment? = nil) {
        let byTimestamp = Dictionary(sent.map { ($0.timestamp, $0) }, uniquingKeysWith: { a, _ in a })
        for f in frames {
            let sentFrame = byTimestamp[f.rtpTimestamp]
            #expect(f.data == sentFrame?.annexB, "frame \(f.rtpTimestamp) (\(f.data.count) bytes) was not sent. \(comment?.rawValue ?? "")")
            #expect(f.isKeyframe == sentFrame?.isKeyframe)
        }
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.rtpTimestamp < $1.rtpTimestamp }, comment)
    }

    /// Checks that the delivered frames are exactly the sent frames with the given timestamps, in order.
    func expectDelivered(_ timestamps: [UInt32]) {
        let byTimestamp = Dictionary(sent.map { ($0.timestamp, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(frames.map(\.rtpTimestamp) == timestamps)
        for f in frames {
            #expect(f.data == byTimestamp[f.rtpTimestamp]?.annexB)
            #expect(f.isKeyframe == byTimestamp[f.rtpTimestamp]?.isKeyframe)
        }
    }
}

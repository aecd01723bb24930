import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP send reports and rate estimate")
struct SendReportTests {
    @Test("Sender reports carry NTP time from the offset, the matching RTP time and the counts")
    func senderReport() throws {
        var h = try SendHarness(SendHarness.configuration(audio: false))
        try h.video(3000, key: true, pts: 0)
        h.advance(by: .milliseconds(1000))
        #expect(h.reports.count == 2)
        let first = h.reports[0], second = h.reports[1]
        #expect(first.report.ssrc == h.video.ssrc)
        // now = 1 s, offset 3 900 000 000 s: whole seconds, zero fraction.
        #expect(first.report.ntpTimestamp == UInt64(3_900_000_001) << 32)
        #expect(first.report.rtpTimestamp == h.video.timestampOffset)
        // The first report follows the first burst (two of the frame's three packets).
        #expect(first.report.packetCount == UInt32(h.sent.filter { $0.at == first.at }.count))
        #expect(first.report.packetCount == 2)
        #expect(second.at - first.at == .seconds(1))
        #expect(second.report.ntpTimestamp == UInt64(3_900_000_002) << 32)
        #expect(second.report.rtpTimestamp == h.video.timestampOffset &+ 90_000)
        #expect(second.report.packetCount == 3)
        let payloadBytes = h.sent.reduce(0) { $0 + $1.packet.payload.count }
        #expect(second.report.octetCount == UInt32(payloadBytes))
    }

    @Test("Audio sender reports come every 5 s")
    func audioInterval() throws {
        var h = try SendHarness(SendHarness.configuration(video: false))
        try h.audio(pts: 0)
        h.advance(by: .milliseconds(10_500))
        #expect(h.reports.map { $0.at - h.reports[0].at } == [.zero, .seconds(5), .seconds(10)])
    }

    /// A receiver report block about `ssrc`.
    func block(_ ssrc: UInt32, lsr: UInt32, dlsr: UInt32, fraction: UInt8 = 64) throws -> RTCPPacket {
        .receiverReport(try RTCPReceiverReport(ssrc: 0xFEED, reports: [
            try RTCPReceptionReport(ssrc: ssrc, fractionLost: fraction, cumulativeLost: 12,
                                    extendedHighestSequenceNumber: 1000, jitter: 900, lastSenderReport: lsr,
                                    delaySinceLastSenderReport: dlsr)]))
    }

    @Test("A receiver report gives loss, jitter and the RTT from LSR and DLSR exactly")
    func receiverReportRTT() throws {
        var h = try SendHarness(SendHarness.configuration(audio: false))
        try h.video(1000, key: true, pts: 0)
        let sr = try #require(h.reports.first).report
        let lsr = UInt32(truncatingIfNeeded: sr.ntpTimestamp >> 16)
        // The peer holds the SR 0.5 s (32768 units); it reaches us 625 ms after the SR left: RTT 125 ms.
        h.advance(by: .milliseconds(625))
        h.rtcp(try block(h.video.ssrc, lsr: lsr, dlsr: 32_768))
        let stats = h.session.statistics(now: h.now)
        #expect(stats.roundTripTime == .milliseconds(125))
        #expect(stats.video?.roundTripTime == .milliseconds(125))
        #expect(stats.video?.fractionLost == 0.25)
        #expect(stats.video?.cumulativeLost == 12)
        #expect(stats.video?.jitter == .milliseconds(10))
    }

    @Test("Reports and REMB about other SSRCs are ignored")
    func otherSSRCs() throws {
        var h = try SendHarness()
        try h.video(1000, key: true, pts: 0)
        h.advance(by: .milliseconds(100))
        h.rtcp(try block(h.video.ssrc &+ 1, lsr: 1, dlsr: 0))
        h.rtcp(.receiverEstimatedMaximumBitrate(try .init(senderSSRC: 1, bitrate: 200_000, ssrcs: [7])))
        let stats = h.session.statistics(now: h.now)
        #expect(stats.roundTripTime == nil)
        #expect(stats.video?.fractionLost == 0)
        #expect(stats.estimatedBitrate == 1_000_000)
    }

    @Test("REMB caps the estimate")
    func remb() throws {
        var h = try SendHarness()
        h.rtcp(.receiverEstimatedMaximumBitrate(try .init(senderSSRC: 1, bitrate: 300_000, ssrcs: [h.video.ssrc])))
        #expect(h.session.statistics(now: h.now).estimatedBitrate == 300_000)
        h.rtcp(.receiverEstimatedMaximumBitrate(try .init(senderSSRC: 1, bitrate: 1_000, ssrcs: [h.video.ssrc])))
        #expect(h.session.statistics(now: h.now).estimatedBitrate == 100_000)
    }

    /// Sends 1 Mbit/s of video for `seconds` and answers every 100 ms with transport-wide feedback built from
    /// `arrival(transportSequence, sendTime)` (nil: lost). Returns the estimates after each second.
    func simulate(seconds: Int, arrival: (UInt16, Instant) -> Instant?) throws -> (SendHarness, [Int64]) {
        var h = try SendHarness(SendHarness.configuration(audio: false))
        var pending: [(UInt16, Instant)] = []
        var fbCount: UInt8 = 0
        var estimates: [Int64] = []
        var pts: Int64 = 0
        try h.video(4000, key: true, pts: 0)
        for tick in 1...(seconds * 30) {
            h.advance(by: .microseconds(33_333))
            pts += 33
            try h.video(4166, key: false, pts: pts)
            for (at, p) in h.sent { if let s = h.transportSequence(p) { pending.append((s, at)) } }
            h.sent.removeAll()
            if tick % 3 == 0, let base = pending.first?.0 {
                let arrivals = pending.map { arrival($0.0, $0.1) }
                let fb = try RTCPTransportWideFeedback(senderSSRC: 1, mediaSSRC: h.video.ssrc, baseSequenceNumber: base,
                                                       feedbackPacketCount: fbCount, arrivals: arrivals)
                fbCount &+= 1
                pending.removeAll()
                h.rtcp(.transportWideFeedback(fb))
            }
            if tick % 30 == 0 { estimates.append(h.session.statistics(now: h.now).estimatedBitrate) }
        }
        return (h, estimates)
    }

    @Test("Transport-wide feedback with no loss and flat delay raises the estimate")
    func rises() throws {
        var (h, estimates) = try simulate(seconds: 5) { _, sent in sent + .milliseconds(20) }
        #expect(estimates.last! > 1_200_000)
        #expect(estimates == estimates.sorted())
        let stats = h.session.statistics(now: h.now)
        #expect(stats.acknowledgedBytes > 500_000)
        #expect(stats.acknowledgedRate > 100_000)
        #expect(stats.lossFraction == 0)
        #expect(stats.delaySignal == .normal)
    }

    @Test("Transport-wide feedback with 20 % loss lowers the estimate")
    func lossFalls() throws {
        var (h, estimates) = try simulate(seconds: 3) { seq, sent in seq % 5 == 0 ? nil : sent + .milliseconds(20) }
        #expect(estimates.last! < 700_000)
        #expect(h.session.statistics(now: h.now).lossFraction > 0.15)
    }

    @Test("Transport-wide feedback with growing delay lowers the estimate")
    func delayFalls() throws {
        let start = Instant.milliseconds(1000)
        var (h, estimates) = try simulate(seconds: 3) { _, sent in
            // Every second of sending arrives 1.3 s later: a queue building at 30 %.
            let elapsed = (sent - start).nanosecondsClamped
            return start + .milliseconds(20) + .nanoseconds(elapsed + elapsed * 3 / 10)
        }
        #expect(estimates.last! < 1_000_000)
        #expect(h.session.statistics(now: h.now).delaySignal == .overuse)
    }

    @Test("Garbage transport-wide feedback for packets never sent changes nothing")
    func unknownFeedback() throws {
        var h = try SendHarness()
        try h.video(1000, key: true, pts: 0)
        let fb = try RTCPTransportWideFeedback(senderSSRC: 1, mediaSSRC: 5, baseSequenceNumber: 40_000,
                                               feedbackPacketCount: 0, arrivals: [nil, nil, h.now])
        h.rtcp(.transportWideFeedback(fb))
        let stats = h.session.statistics(now: h.now)
        #expect(stats.estimatedBitrate == 1_000_000)
        #expect(stats.acknowledgedBytes == 0)
    }

    @Test("Sent rates: instantaneous over the last second and average since the start")
    func sentRates() throws {
        var h = try SendHarness(SendHarness.configuration(audio: false))
        try h.video(10_000, key: true, pts: 0)
        h.advance(by: .milliseconds(500))
        h.advance(by: .milliseconds(1500))
        let stats = h.session.statistics(now: h.now)
        #expect(stats.sentBytes > 10_000)
        #expect(stats.sendRate == 0)
        #expect(stats.averageSendRate > 4_000 && stats.averageSendRate < 6_000)
    }
}

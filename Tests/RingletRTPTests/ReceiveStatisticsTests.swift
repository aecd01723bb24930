import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP receive statistics: RFC 3550 reception report values")
struct ReceiveStatisticsTests {
    static func g711Stream(nack: Bool = false) throws -> RTPReceiveStream {
        var c = RTPReceiveStream.Configuration(format: .g711)
        c.nackEnabled = nack
        return try RTPReceiveStream(ssrc: 0xABCD, feedbackSSRC: 1, configuration: c)
    }

    static func packet(_ seq: UInt16, timestamp: UInt32) throws -> RTPPacket {
        try RTPPacket(payloadType: 0, sequenceNumber: seq, timestamp: timestamp, ssrc: 0xABCD,
                      payload: [UInt8](repeating: 0xD5, count: 160))
    }

    @Test("jitter follows the RFC 3550 A.8 estimator on a hand-computed example")
    func jitterExample() throws {
        var s = try Self.g711Stream()
        // 20 ms packets (160 ticks at 8 kHz) arriving at 0, 20, 45, 60, 80 ms: transits 0, 0, 40, 0, 0 ticks,
        // |D| = 0, 40, 40, 0. Scaled by 16: J = 0 → 40 → 40 + 40 − 3 = 77 → 77 − 5 = 72; reported 72 / 16 = 4
        // (the floating-point form gives 4.54).
        let arrivals: [Int64] = [0, 20, 45, 60, 80]
        for (k, ms) in arrivals.enumerated() {
            s.handlePacket(try Self.packet(UInt16(500 + k), timestamp: 1000 + UInt32(k) * 160), now: .milliseconds(ms))
        }
        #expect(s.statistics.jitter == 4)
        let made = s.makeReceptionReport(now: .milliseconds(100))
        let report = try #require(made)
        #expect(report.jitter == 4)
    }

    @Test("a constant delay gives zero jitter")
    func jitterZero() throws {
        var s = try Self.g711Stream()
        for k in 0..<50 {
            s.handlePacket(try Self.packet(UInt16(k), timestamp: UInt32(k) * 160), now: .milliseconds(1000 + Int64(k) * 20))
        }
        #expect(s.statistics.jitter == 0)
    }

    @Test("fraction lost and cumulative lost are exact over two intervals, across a wrap")
    func receptionReport() throws {
        var s = try Self.g711Stream()
        var now: Int64 = 0
        func send(_ seqs: [UInt16]) throws {
            for q in seqs {
                s.handlePacket(try Self.packet(q, timestamp: UInt32(q) &* 160), now: .milliseconds(now))
                now += 20
            }
        }
        // Interval 1: 65530…65535, 0…3 (10 expected), 65532, 65535 and 1 lost → 7 received.
        try send([65530, 65531, 65533, 65534, 0, 2, 3])
        var made = s.makeReceptionReport(now: .milliseconds(now))
        var r = try #require(made)
        #expect(r.ssrc == 0xABCD)
        #expect(r.fractionLost == 76)  // 3 × 256 / 10 = 76.8
        #expect(r.cumulativeLost == 3)
        #expect(r.extendedHighestSequenceNumber == 65_536 + 3)
        // Interval 2: 4…13 (10 expected), 8 lost, 6 duplicated → 10 received (RFC A.3 counts the duplicate).
        try send([4, 5, 6, 6, 7, 9, 10, 11, 12, 13])
        made = s.makeReceptionReport(now: .milliseconds(now))
        r = try #require(made)
        #expect(r.fractionLost == 0)
        #expect(r.cumulativeLost == 3)
        #expect(r.extendedHighestSequenceNumber == 65_536 + 13)
        // Interval 3: 14…23, 15, 17 and 21 lost → 3 × 256 / 10 = 76; cumulative 3 + 3.
        try send([14, 16, 18, 19, 20, 22])
        try send([23])
        made = s.makeReceptionReport(now: .milliseconds(now))
        r = try #require(made)
        #expect(r.fractionLost == 76)
        #expect(r.cumulativeLost == 6)
        #expect(s.statistics.duplicates == 1)
        #expect(s.statistics.packetsLost == 6)
    }

    @Test("LSR is the middle of the SR's NTP timestamp and DLSR the delay since, in 1/65536 s")
    func lastSenderReport() throws {
        var s = try Self.g711Stream()
        s.handlePacket(try Self.packet(1, timestamp: 0), now: .milliseconds(0))
        var made = s.makeReceptionReport(now: .milliseconds(10))
        #expect(made?.lastSenderReport == 0 && made?.delaySinceLastSenderReport == 0)
        let sr = try RTCPSenderReport(ssrc: 0xABCD, ntpTimestamp: 0x1234_5678_9ABC_DEF0, rtpTimestamp: 0,
                                      packetCount: 1, octetCount: 160)
        s.handleSenderReport(sr, now: .milliseconds(500))
        let other = try RTCPSenderReport(ssrc: 0x9999, ntpTimestamp: 1, rtpTimestamp: 0, packetCount: 0, octetCount: 0)
        s.handleSenderReport(other, now: .milliseconds(900))
        made = s.makeReceptionReport(now: .milliseconds(2000))
        let r = try #require(made)
        #expect(r.lastSenderReport == 0x5678_9ABC)
        #expect(r.delaySinceLastSenderReport == 98_304)  // 1.5 s × 65536
    }

    @Test("no report before the first packet")
    func noReport() throws {
        var s = try Self.g711Stream()
        #expect(s.makeReceptionReport(now: .zero) == nil)
    }
}

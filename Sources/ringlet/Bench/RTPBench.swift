import RingletCore
import RingletRTP

/// RTP and RTCP parse times on packets shaped like a browser's.
struct RTPBenchResult: Encodable {
    var rtpParse1200: Measurement
    var rtpHeaderView: Measurement
    var rtcpParseSenderReportSDES: Measurement
    var rtcpParseTransportWideFeedback: Measurement

    enum CodingKeys: String, CodingKey {
        case rtpParse1200 = "rtp_parse_1200_bytes_with_extensions"
        case rtpHeaderView = "rtp_header_view"
        case rtcpParseSenderReportSDES = "rtcp_parse_sr_rr_sdes"
        case rtcpParseTransportWideFeedback = "rtcp_parse_twcc_100_packets"
    }
}

enum RTPBench {
    static func run(rounds: Int, secondsPerRound: Double) throws -> RTPBenchResult {
        // 1200 bytes: header, one-byte extensions (transport-wide sequence number id 3, abs-send-time id 2, mid id
        // 4), payload.
        let ext = try RTPHeaderExtension(elements: [
            .init(id: 2, data: [0x12, 0x34, 0x56]), .init(id: 3, data: [0x00, 0x2A]), .init(id: 4, data: [0x30]),
        ])
        let probe = try RTPPacket(marker: true, payloadType: 102, sequenceNumber: 4711, timestamp: 90_000,
                                  ssrc: 0xCAFE_BABE, headerExtension: ext, payload: [UInt8](repeating: 0x5A, count: 1))
        let payloadLength = 1200 - probe.encodedSize + 1
        let rtp = try RTPPacket(marker: true, payloadType: 102, sequenceNumber: 4711, timestamp: 90_000,
                                ssrc: 0xCAFE_BABE, headerExtension: ext,
                                payload: [UInt8](repeating: 0x5A, count: payloadLength)).bytes
        guard rtp.count == 1200 else { throw BenchError("RTP bench packet is \(rtp.count) bytes, not 1200") }

        // SR with one report block + SDES CNAME: the compound a browser sends every second or so.
        let report = try RTCPReceptionReport(ssrc: 0x1111_2222, fractionLost: 3, cumulativeLost: 17,
                                             extendedHighestSequenceNumber: 70_000, jitter: 120,
                                             lastSenderReport: 0xABCD_0000, delaySinceLastSenderReport: 6_553)
        let sr = try RTCPSenderReport(ssrc: 0xCAFE_BABE, ntpTimestamp: 0xE6D1_2345_6789_ABCD, rtpTimestamp: 90_000,
                                      packetCount: 1_000, octetCount: 1_000_000, reports: [report])
        let sdes = try RTCPSourceDescription(chunks: [
            .init(source: 0xCAFE_BABE, items: [try .init(type: .cname, text: "Ringlet/3f9a1c0b7e2d4455")]),
        ])
        let compound = try RTCPCompoundPacket(packets: [.senderReport(sr), .sourceDescription(sdes)]).bytes

        // Transport-wide feedback for 100 packets, a few lost, mixed deltas.
        var deltas = [Int16?]()
        for i in 0..<100 { deltas.append(i % 17 == 5 ? nil : Int16(i % 9 == 0 ? 300 : (i * 7) % 200)) }
        let twcc = try RTCPCompoundPacket(packets: [.transportWideFeedback(
            RTCPTransportWideFeedback(senderSSRC: 1, mediaSSRC: 0xCAFE_BABE, baseSequenceNumber: 1000,
                                      referenceTime: 12_345, feedbackPacketCount: 9, deltas: deltas))]).bytes

        let results = measureInterleaved(rounds: rounds, secondsPerRound: secondsPerRound, [
            ("rtp", { (try? RTPPacket(parsing: rtp))?.payload.count ?? -1 }),
            ("header", { (try? RTPHeader(parsing: rtp)).map { Int($0.sequenceNumber) } ?? -1 }),
            ("sr", { (try? RTCPCompoundPacket(parsing: compound))?.packets.count ?? -1 }),
            ("twcc", { (try? RTCPCompoundPacket(parsing: twcc))?.packets.count ?? -1 }),
        ])
        let empty = Measurement(nsPerOp: [])
        return RTPBenchResult(
            rtpParse1200: results["rtp"] ?? empty, rtpHeaderView: results["header"] ?? empty,
            rtcpParseSenderReportSDES: results["sr"] ?? empty, rtcpParseTransportWideFeedback: results["twcc"] ?? empty)
    }
}

import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTCP feedback messages")
struct RTCPFeedbackTests {
    func only(_ file: String) throws -> RTCPPacket {
        let compound = try RTCPCompoundPacket(parsing: Vectors.datagram(file))
        #expect(compound.packets.count == 1)
        return try #require(compound.packets.first)
    }

    @Test("A generic NACK is read and expanded to its lost sequence numbers")
    func nack() throws {
        guard case .genericNACK(let nack) = try only("rtcp-nack") else { Issue.record("not a NACK"); return }
        #expect(nack.senderSSRC == 0x1122_3344)
        #expect(nack.mediaSSRC == 0x5566_7788)
        #expect(nack.entries == [.init(packetID: 100, lostBitmask: 5)])
        #expect(nack.lostSequenceNumbers == [100, 101, 103])
    }

    @Test("A NACK built from lost sequence numbers encodes to the hand-made bytes")
    func nackBuild() throws {
        let nack = try RTCPGenericNACK(senderSSRC: 0x1122_3344, mediaSSRC: 0x5566_7788, lostSequenceNumbers: [100, 101, 103])
        #expect(try RTCPCompoundPacket(packets: [.genericNACK(nack)]).bytes == (try Vectors.datagram("rtcp-nack")))
    }

    @Test("Lost sequence numbers survive a NACK, across wrap-around and window edges", arguments: [
        [UInt16](), [5], [0, 16], [0, 17], [65534, 65535, 0, 3], [1, 2, 3, 40, 41, 1000],
    ])
    func nackList(lost: [UInt16]) throws {
        let nack = try RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: lost)
        #expect(nack.lostSequenceNumbers == lost)
    }

    @Test("A PLI is read")
    func pli() throws {
        #expect(try only("rtcp-pli") == .pictureLossIndication(.init(senderSSRC: 0x1122_3344, mediaSSRC: 0x5566_7788)))
    }

    @Test("A FIR is read with its entries")
    func fir() throws {
        let expected = try RTCPFullIntraRequest(senderSSRC: 0x1122_3344, entries: [.init(ssrc: 0x5566_7788, sequenceNumber: 7)])
        #expect(try only("rtcp-fir") == .fullIntraRequest(expected))
        #expect(try RTCPCompoundPacket(packets: [.fullIntraRequest(expected)]).bytes == (try Vectors.datagram("rtcp-fir")))
    }

    @Test("A REMB is read with its bitrate and SSRCs")
    func remb() throws {
        guard case .receiverEstimatedMaximumBitrate(let remb) = try only("rtcp-remb") else { Issue.record("not REMB"); return }
        #expect(remb.senderSSRC == 0x1122_3344)
        #expect(remb.exponent == 2)
        #expect(remb.mantissa == 250_000)
        #expect(remb.bitrate == 1_000_000)
        #expect(remb.ssrcs == [0x5566_7788])
        let built = try RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 0x1122_3344, bitrate: 1_000_000, ssrcs: [0x5566_7788])
        #expect(built == remb)
    }

    @Test("REMB bitrates round down to 18 bits of mantissa", arguments: [
        (UInt64(0), UInt64(0)), (262_143, 262_143), (262_144, 262_144), (262_145, 262_144),
        (2_500_001, 2_500_000), (UInt64.max, 0x3_FFFF << 46),
    ])
    func rembBitrate(bps: UInt64, expected: UInt64) throws {
        let remb = try RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: bps, ssrcs: [])
        #expect(remb.bitrate == expected)
        #expect(remb.bitrate <= bps)
    }

    @Test("A REMB whose SSRC count disagrees with its length is refused")
    func rembBadCount() throws {
        let bytes = try #require([UInt8](hex: "8fce0005 11223344 00000000 52454d42 020bd090 55667788"))
        let error = #expect(throws: RTPError.self) { try RTCPCompoundPacket(parsing: bytes) }
        #expect(error?.code == .badLength)
    }

    @Test("A TWCC feedback is read: header fields, chunks and per-packet results")
    func twcc() throws {
        guard case .transportWideFeedback(let fb) = try only("rtcp-twcc") else { Issue.record("not TWCC"); return }
        #expect(fb.senderSSRC == 0x1122_3344)
        #expect(fb.mediaSSRC == 0x5566_7788)
        #expect(fb.baseSequenceNumber == 256)
        #expect(fb.packetStatusCount == 20)
        #expect(fb.referenceTime == -2)
        #expect(fb.feedbackPacketCount == 7)
        #expect(fb.chunks.map(\.rawValue) == [0x200A, 0xE141, 0xA800])
        #expect(Array(fb.padding) == [0])
        let results = fb.packetResults()
        #expect(results.map(\.sequenceNumber) == Array(256..<276))
        let expected: [Int16?] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -200, nil, 10, 20, nil, nil, 30, 40, nil, 50]
        #expect(results.map(\.delta) == expected)
        #expect(results[10].status == .receivedLargeDelta)
        #expect(results[11].status == .notReceived)
        #expect(results[0].status == .receivedSmallDelta)
    }

    @Test("TWCC padded with the RTCP P bit gives the same results as zero padding")
    func twccRTCPPadding() throws {
        guard case .transportWideFeedback(let zero) = try only("rtcp-twcc"),
              case .transportWideFeedback(let rtcp) = try only("rtcp-twcc-rtcp-padding") else {
            Issue.record("not TWCC")
            return
        }
        #expect(rtcp.padding.isEmpty)
        #expect(rtcp.packetResults() == zero.packetResults())
    }

    static let deltaCases: [[Int16?]] = [
        [Int16?](), [nil], [0], [300], [-1, nil, 255, 256],
        Array(repeating: 1, count: 100), Array(repeating: nil, count: 9000) + [5],
        (0..<50).map { $0 % 3 == 0 ? nil : Int16($0) }, (0..<30).map { $0 % 5 == 0 ? 1000 : 1 },
    ]

    @Test("TWCC built from deltas reproduces them, with aligned padding", arguments: deltaCases)
    func twccBuild(deltas: [Int16?]) throws {
        let fb = try RTCPTransportWideFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 65530,
                                               referenceTime: -5, feedbackPacketCount: 9, deltas: deltas)
        #expect(fb.encodedSize % 4 == 0)
        let compound = try RTCPCompoundPacket(packets: [.transportWideFeedback(fb)])
        let parsed = try RTCPCompoundPacket(parsing: compound.bytes)
        #expect(parsed == compound)
        #expect(fb.packetResults().map(\.delta) == deltas)
        #expect(fb.packetResults().first.map(\.sequenceNumber) == (deltas.isEmpty ? nil : 65530))
    }

    @Test("TWCC built for the vector's packets encodes to the vector's bytes")
    func twccBuildMatchesVector() throws {
        let expected: [Int16?] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -200, nil, 10, 20, nil, nil, 30, 40, nil, 50]
        let fb = try RTCPTransportWideFeedback(senderSSRC: 0x1122_3344, mediaSSRC: 0x5566_7788, baseSequenceNumber: 256,
                                               referenceTime: -2, feedbackPacketCount: 7, deltas: expected)
        guard case .transportWideFeedback(let parsed) = try only("rtcp-twcc") else { Issue.record("not TWCC"); return }
        #expect(fb == parsed)
        #expect(try RTCPCompoundPacket(packets: [.transportWideFeedback(fb)]).bytes == (try Vectors.datagram("rtcp-twcc")))
    }

    @Test("TWCC built from arrival instants uses 64 ms reference time and 250 µs deltas")
    func twccArrivals() throws {
        let ms = 1_000_000 as Int64
        let arrivals: [Instant?] = [
            Instant(nanoseconds: 1000 * ms + 100_000), nil, Instant(nanoseconds: 1001 * ms),
            Instant(nanoseconds: 1100 * ms), Instant(nanoseconds: 1099 * ms),
        ]
        let fb = try RTCPTransportWideFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 10,
                                               feedbackPacketCount: 0, arrivals: arrivals)
        #expect(fb.referenceTime == 15, "1000 ms / 64 ms rounds down to 15")
        // 15 × 64 ms = 960 ms = 3840 ticks; 1000.1 ms = 4000 ticks; 1001 ms = 4004; 1100 ms = 4400; 1099 ms = 4396.
        #expect(fb.packetResults().map(\.delta) == [160, nil, 4, 396, -4])
        let late = [Instant(nanoseconds: 0), Instant(nanoseconds: 9 * 1_000_000_000)]
        #expect(throws: RTPError.self) {
            try RTCPTransportWideFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0, feedbackPacketCount: 0, arrivals: late)
        }
    }

    @Test("TWCC feedback with a reserved status or missing deltas is refused", arguments: [
        ("8fcd0005 00000001 00000002 0000 0001 000000 00 6001 0000", RTPError.Code.invalidValue),
        ("8fcd0005 00000001 00000002 0000 0001 000000 00 f000 0000", .invalidValue),
        ("8fcd0005 00000001 00000002 0000 0003 000000 00 4003 0102", .truncated),
        ("8fcd0004 00000001 00000002 0000 0001 000000 00", .truncated),
    ])
    func twccMalformed(hex: String, code: RTPError.Code) throws {
        let bytes = try #require([UInt8](hex: hex))
        let error = #expect(throws: RTPError.self) { try RTCPCompoundPacket(parsing: bytes) }
        #expect(error?.code == code, "\(String(describing: error))")
    }

    @Test("Known feedback messages with the wrong FCI length are refused", arguments: [
        "81cd0001 00000001", "81ce0003 00000001 00000002 00000000", "84ce0003 00000001 00000000 00000003",
    ])
    func feedbackBadLength(hex: String) throws {
        let bytes = try #require([UInt8](hex: hex))
        #expect(throws: RTPError.self) { try RTCPCompoundPacket(parsing: bytes) }
    }
}

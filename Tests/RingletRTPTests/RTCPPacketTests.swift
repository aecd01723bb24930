import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTCP compound packets and reports")
struct RTCPPacketTests {
    @Test("A compound SR + SDES + BYE is read field by field")
    func compound() throws {
        let compound = try RTCPCompoundPacket(parsing: Vectors.datagram("rtcp-sr-sdes-bye"))
        #expect(compound.packets.count == 3)
        guard case .senderReport(let sr) = compound.packets[0],
              case .sourceDescription(let sdes) = compound.packets[1],
              case .goodbye(let bye) = compound.packets[2] else {
            Issue.record("unexpected packet types \(compound.packets)")
            return
        }
        #expect(sr.ssrc == 0x1122_3344)
        #expect(sr.ntpTimestamp == 0xE0A1_B2C3_D4E5_F607)
        #expect(sr.rtpTimestamp == 90000)
        #expect(sr.packetCount == 100)
        #expect(sr.octetCount == 64000)
        let block = try #require(sr.reports.first)
        #expect(block.ssrc == 0x5566_7788)
        #expect(block.fractionLost == 0x40)
        #expect(block.cumulativeLost == -2)
        #expect(block.extendedHighestSequenceNumber == 0x0001_0010)
        #expect(block.jitter == 32)
        #expect(block.lastSenderReport == 0xB2C3_D4E5)
        #expect(block.delaySinceLastSenderReport == 0x0001_0000)
        #expect(sdes.chunks.count == 1)
        #expect(sdes.chunks[0].source == 0x1122_3344)
        #expect(sdes.chunks[0].cname == "user@example.com")
        #expect(bye.sources == [0x1122_3344])
        #expect(bye.reasonText == "done")
    }

    @Test("A built compound packet encodes to the hand-made bytes")
    func buildCompound() throws {
        let block = try RTCPReceptionReport(ssrc: 0x5566_7788, fractionLost: 0x40, cumulativeLost: -2,
                                            extendedHighestSequenceNumber: 0x0001_0010, jitter: 32,
                                            lastSenderReport: 0xB2C3_D4E5, delaySinceLastSenderReport: 0x0001_0000)
        let sr = try RTCPSenderReport(ssrc: 0x1122_3344, ntpTimestamp: 0xE0A1_B2C3_D4E5_F607, rtpTimestamp: 90000,
                                      packetCount: 100, octetCount: 64000, reports: [block])
        let sdes = try RTCPSourceDescription(chunks: [
            .init(source: 0x1122_3344, items: [try .init(type: .cname, text: "user@example.com")]),
        ])
        let bye = try RTCPGoodbye(sources: [0x1122_3344], reason: "done")
        let compound = try RTCPCompoundPacket(packets: [.senderReport(sr), .sourceDescription(sdes), .goodbye(bye)])
        #expect(compound.bytes == (try Vectors.datagram("rtcp-sr-sdes-bye")))
    }

    @Test("An RR without report blocks is read")
    func emptyRR() throws {
        let compound = try RTCPCompoundPacket(parsing: Vectors.datagram("rtcp-rr-empty"))
        #expect(compound.packets == [.receiverReport(try RTCPReceiverReport(ssrc: 0x5566_7788))])
    }

    @Test("SDES chunks with every item length pad to a word", arguments: 0...8)
    func sdesPadding(length: Int) throws {
        let item = try RTCPSourceDescription.Item(type: .note, data: [UInt8](repeating: 0x41, count: length)[...])
        let sdes = try RTCPSourceDescription(chunks: [.init(source: 1, items: [item]), .init(source: 2, items: [])])
        let bytes = try RTCPCompoundPacket(packets: [.sourceDescription(sdes)]).bytes
        #expect(bytes.count % 4 == 0)
        #expect(try RTCPCompoundPacket(parsing: bytes).packets == [.sourceDescription(sdes)])
    }

    @Test("BYE reasons of every length pad to a word, and a BYE without reason has none", arguments: [nil, "", "a", "ab", "abc", "abcd"])
    func byePadding(reason: String?) throws {
        let bye = try RTCPGoodbye(sources: [1, 2], reason: reason)
        let bytes = try RTCPCompoundPacket(packets: [.goodbye(bye)]).bytes
        #expect(bytes.count % 4 == 0)
        let parsed = try RTCPCompoundPacket(parsing: bytes)
        #expect(parsed.packets == [.goodbye(bye)])
        #expect(bye.reasonText == reason)
    }

    @Test("Unknown types and feedback formats are kept raw and round-trip")
    func unknownRaw() throws {
        let compound = try RTCPCompoundPacket(parsing: Vectors.datagram("rtcp-unknown"))
        let raws = compound.packets.compactMap { p -> RTCPRawPacket? in
            if case .raw(let r) = p { return r }
            return nil
        }
        #expect(raws.map(\.packetType) == [.applicationDefined, .transportFeedback, .payloadSpecificFeedback, .extendedReport])
        #expect(raws.map(\.countOrFormat) == [3, 3, 15, 0])
        #expect(Array(raws[0].body) == [0x11, 0x22, 0x33, 0x44, 0x6E, 0x61, 0x6D, 0x65])
    }

    @Test("RTCP padding on the last packet is stripped from its body and kept for re-encoding")
    func padding() throws {
        let rr = try RTCPReceiverReport(ssrc: 9)
        let compound = try RTCPCompoundPacket(packets: [.receiverReport(rr)], paddingLength: 8)
        let bytes = compound.bytes
        #expect(bytes.hexString == "a0c9000300000009" + "0000000000000008")
        let parsed = try RTCPCompoundPacket(parsing: bytes)
        #expect(parsed.packets == [.receiverReport(rr)])
        #expect(parsed.padding.count == 8)
    }

    @Test("Malformed compound packets are refused with the matching error code", arguments: [
        ("80c900", RTPError.Code.truncated),
        ("40c9000100000001", .badVersion),
        ("80c9000200000001", .badLength),
        ("80c900010000000180c90001000000", .badLength),
        ("a0c900010000000180c9000100000001", .badPadding),
        ("a0c9000100000000", .badPadding),
        ("a0c9000100000005", .badPadding),
        ("81c9000100000001", .badLength),
        ("81c80006" + String(repeating: "00", count: 24), .badLength),
        ("81ca00020000000101056162", .truncated),
        ("81ca00020000000101020000", .truncated),
        ("80ca000100000001", .badLength),
        ("81cb00030000000101610000" + "00000000", .badLength),
        ("81cb0002000000010a616263", .truncated),
    ])
    func malformed(hex: String, code: RTPError.Code) throws {
        let bytes = try #require([UInt8](hex: hex))
        let error = #expect(throws: RTPError.self) { try RTCPCompoundPacket(parsing: bytes) }
        #expect(error?.code == code, "\(hex): \(String(describing: error))")
    }

    @Test("Builders refuse counts wider than 5 bits and unaligned padding")
    func buildValidates() throws {
        #expect(throws: RTPError.self) { try RTCPReceiverReport(ssrc: 1, reports: Array(repeating: try RTCPReceptionReport(ssrc: 1, fractionLost: 0, cumulativeLost: 0, extendedHighestSequenceNumber: 0, jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0), count: 32)) }
        #expect(throws: RTPError.self) { try RTCPReceptionReport(ssrc: 1, fractionLost: 0, cumulativeLost: 0x80_0000, extendedHighestSequenceNumber: 0, jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0) }
        #expect(throws: RTPError.self) { try RTCPGoodbye(sources: Array(repeating: 1, count: 32)) }
        #expect(throws: RTPError.self) { try RTCPSourceDescription.Item(type: .end, text: "x") }
        #expect(throws: RTPError.self) { try RTCPCompoundPacket(packets: []) }
        #expect(throws: RTPError.self) { try RTCPCompoundPacket(packets: [.pictureLossIndication(.init(senderSSRC: 1, mediaSSRC: 2))], paddingLength: 3) }
        #expect(throws: RTPError.self) { try RTCPRawPacket(countOrFormat: 32, packetType: .applicationDefined, body: []) }
    }

    @Test("looksLikeRTCP accepts RTCP types and refuses RTP", arguments: [
        ("80c90001", true), ("81cd0003", true), ("80600001", false), ("80c9", false),
    ])
    func looksLike(hex: String, expected: Bool) throws {
        #expect(RTCPPacket.looksLikeRTCP(try #require([UInt8](hex: hex))) == expected)
    }
}

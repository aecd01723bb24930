import RingletCore
import Testing
@testable import RingletRTP

@Suite("H.265 payload format (RFC 7798)")
struct PayloadH265Tests {
    typealias S = PayloadSupport

    static func receive(_ packets: [PayloadPacket], into d: inout H265Depacketizer, firstSequence: UInt16 = 1,
                        timestamp: UInt32 = 0) throws -> [VideoDepacketizerOutput] {
        var seq = firstSequence
        for p in packets {
            try d.push(payload: p.payload[...], sequenceNumber: seq, timestamp: timestamp, marker: p.marker)
            seq &+= 1
        }
        var out: [VideoDepacketizerOutput] = []
        while let o = d.nextOutput() { out.append(o) }
        return out
    }

    @Test("an IRAP access unit of any size survives packetize and depacketize", arguments: [
        2, 3, 100, 1197, 1198, 1199, 1200, 1201, 2393, 2394, 2395, 2396, 9999, 70_000,
    ])
    func roundTripSizes(size: Int) throws {
        let nals = [S.h265(32, size: 20), S.h265(33, size: 40), S.h265(34, size: 8), S.h265(19, size: size)]
        var p = H265Packetizer()
        let packets = try p.packetize(accessUnit: S.annexB(nals)[...])
        #expect(packets.allSatisfy { $0.payload.count <= 1200 })
        #expect(packets.map(\.marker).filter { $0 } == [true])
        #expect(packets.last?.marker == true)
        var d = H265Depacketizer()
        let frames = S.frames(try Self.receive(packets, into: &d))
        #expect(frames.map { $0.nalUnits.map(Array.init) } == [nals])
        #expect(frames.first?.isKeyframe == true)
    }

    @Test("every IRAP type (16–21) makes a keyframe and other VCL types do not", arguments: Array(0...31) as [UInt8])
    func keyframeTypes(type: UInt8) throws {
        var d = H265Depacketizer()
        let frames = S.frames(try Self.receive([PayloadPacket(payload: S.h265(type, size: 10), marker: true)], into: &d))
        #expect(frames.first?.isKeyframe == (16...21).contains(type))
    }

    @Test("an aggregation packet takes the lowest LayerId and TID and the OR of F")
    func aggregationHeader() throws {
        let a = S.h265(32, size: 10, layer: 3, tid: 2), b = S.h265(33, size: 10, layer: 1, tid: 4)
        var c = S.h265(34, size: 10, layer: 2, tid: 1)
        c[0] |= 0x80
        var p = H265Packetizer()
        var out: [PayloadPacket] = []
        try p.packetize(nalUnits: [a[...], b[...], c[...]], into: &out)
        #expect(out.count == 1)
        let ap = out[0].payload
        #expect(ap[0] == 0x80 | 48 << 1)
        #expect(ap[1] == 1 << 3 | 1)
        #expect(Array(ap[2...3]) == [0, 10])
        #expect(ap.count == 2 + 3 * 12)
    }

    @Test("a large NAL unit becomes FUs with a 3-byte header and is restored exactly")
    func fragmentationUnits() throws {
        let idr = S.h265(20, size: 4000, layer: 5, tid: 3)
        var p = H265Packetizer()
        var out: [PayloadPacket] = []
        try p.packetize(nalUnits: [idr[...]], into: &out)
        #expect(out.count == 4)
        #expect(out.allSatisfy { ($0.payload[0] >> 1) & 0x3F == 49 && $0.payload[1] == idr[1] && $0.payload[2] & 0x3F == 20 })
        #expect(out.map { $0.payload[2] & 0xC0 } == [0x80, 0, 0, 0x40])
        var d = H265Depacketizer()
        #expect(S.frames(try Self.receive(out, into: &d)).first?.nalUnits.map(Array.init) == [idr])
    }

    @Test("the latest VPS, SPS and PPS are sent before an IRAP access unit that lacks them")
    func parameterSetsRepeated() throws {
        let vps = S.h265(32, size: 20), sps = S.h265(33, size: 40), pps = S.h265(34, size: 8)
        var p = H265Packetizer()
        _ = try p.packetize(accessUnit: S.annexB([vps, sps, pps, S.h265(19, size: 500)])[...])
        _ = try p.packetize(accessUnit: S.annexB([S.h265(1, size: 500)])[...])
        let cra = S.h265(21, size: 3000)
        let packets = try p.packetize(accessUnit: S.annexB([S.h265(35, size: 3), cra])[...])
        var d = H265Depacketizer()
        let frame = try #require(S.frames(try Self.receive(packets, into: &d)).first)
        #expect(frame.nalUnits.map(Array.init) == [S.h265(35, size: 3), vps, sps, pps, cra])
    }

    @Test("losing a fragment drops the frame and asks for a keyframe")
    func lossMidFU() throws {
        var p = H265Packetizer()
        let packets = try p.packetize(accessUnit: S.annexB([S.h265(19, size: 5000)])[...])
        var d = H265Depacketizer()
        for (i, packet) in packets.enumerated() where i != 1 {
            try d.push(payload: packet.payload[...], sequenceNumber: UInt16(i), timestamp: 0, marker: packet.marker)
        }
        var out: [VideoDepacketizerOutput] = []
        while let o = d.nextOutput() { out.append(o) }
        #expect(out == [.keyframeNeeded])
    }

    @Test("malformed or unsupported H.265 payloads are refused with a typed error", arguments: [
        ([], PayloadFormatError.Code.emptyPayload),
        ([0x02], .truncated),                              // one byte of a 2-byte header
        ([0x62, 0x01], .truncated),                        // FU without its FU header
        ([0x62, 0x01, 0x13, 1], .fragmentWithoutStart),    // FU middle
        ([0x62, 0x01, 0xD3, 1], .invalidFragmentHeader),   // start and end
        ([0x62, 0x01, 0xB0, 1], .invalidNALUnitType),      // FU of type 48
        ([0x60, 0x01], .truncated),                        // AP without units
        ([0x60, 0x01, 0x00, 0x09, 0x26], .truncated),      // AP unit shorter than its size
        ([0x60, 0x01, 0x00, 0x01, 0x26], .truncated),      // AP unit of one byte
        ([0x60, 0x01, 0x00, 0x02, 0x60, 0x01], .invalidNALUnitType), // AP inside AP
        ([0x64, 0x01, 0, 0], .unsupportedPacketType),      // PACI (50)
        ([0x7E, 0x01, 1], .unsupportedPacketType),         // type 63
    ] as [([UInt8], PayloadFormatError.Code)])
    func malformed(payload: [UInt8], code: PayloadFormatError.Code) {
        var d = H265Depacketizer()
        let error = #expect(throws: PayloadFormatError.self) {
            try d.push(payload: payload[...], sequenceNumber: 1, timestamp: 0, marker: true)
        }
        #expect(error?.code == code)
    }

    @Test("the packetizer refuses RTP-only NAL unit types 48–63", arguments: [48, 49, 50, 63] as [UInt8])
    func packetizerRefusesTypes(type: UInt8) {
        var p = H265Packetizer()
        #expect(throws: PayloadFormatError.self) {
            _ = try p.packetize(accessUnit: [0, 0, 1, type << 1, 1, 5][...])
        }
    }

    @Test("only sprop-max-don-diff=0 is supported (no DONL)", arguments: [(0, true), (1, false), (32767, false)])
    func donlRefused(value: Int, supported: Bool) {
        #expect(H265Depacketizer.supports(spropMaxDonDiff: value) == supported)
    }
}

import RingletCore
import Testing
@testable import RingletRTP

/// Test helpers shared by the payload format tests.
enum PayloadSupport {
    /// A NAL unit with the given header bytes and `size` bytes in total; body bytes are never zero, so the unit
    /// contains no start code and does not end with a zero byte.
    static func nal(header: [UInt8], size: Int, seed: UInt64 = 1) -> [UInt8] {
        var rng = SeededRandom(seed: seed &+ UInt64(size))
        var out = header
        while out.count < size { out.append(UInt8.random(in: 1...255, using: &rng)) }
        return Array(out.prefix(max(size, 1)))
    }

    /// An H.264 NAL unit of `type` with NRI 3 (or `nri`).
    static func h264(_ type: UInt8, size: Int, nri: UInt8 = 3, seed: UInt64 = 1) -> [UInt8] {
        nal(header: [nri << 5 | type], size: size, seed: seed)
    }

    /// An H.265 NAL unit of `type`, layer 0, TID 1 (or the given ones).
    static func h265(_ type: UInt8, size: Int, layer: UInt8 = 0, tid: UInt8 = 1, seed: UInt64 = 1) -> [UInt8] {
        nal(header: [type << 1 | layer >> 5, (layer & 0x1F) << 3 | tid], size: max(size, 2), seed: seed)
    }

    /// NAL units joined as Annex B, alternating 4- and 3-byte start codes.
    static func annexB(_ nals: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, nal) in nals.enumerated() {
            out += i % 2 == 0 ? [0, 0, 0, 1] : [0, 0, 1]
            out += nal
        }
        return out
    }

    /// Pushes packets with consecutive sequence numbers and one timestamp; returns every output.
    static func receive(_ packets: [PayloadPacket], into d: inout H264Depacketizer, firstSequence: UInt16 = 100,
                        timestamp: UInt32 = 9000) throws -> [VideoDepacketizerOutput] {
        var seq = firstSequence
        for p in packets {
            try d.push(payload: p.payload[...], sequenceNumber: seq, timestamp: timestamp, marker: p.marker)
            seq &+= 1
        }
        return drain(&d)
    }

    static func drain(_ d: inout H264Depacketizer) -> [VideoDepacketizerOutput] {
        var out: [VideoDepacketizerOutput] = []
        while let o = d.nextOutput() { out.append(o) }
        return out
    }

    static func frames(_ outputs: [VideoDepacketizerOutput]) -> [EncodedVideoFrame] {
        outputs.compactMap { if case .frame(let f) = $0 { f } else { nil } }
    }
}

@Suite("H.264 payload format (RFC 6184)")
struct PayloadH264Tests {
    typealias S = PayloadSupport

    @Test("an IDR access unit of any size survives packetize and depacketize", arguments: [
        1, 2, 10, 100, 1195, 1196, 1197, 1198, 1199, 1200, 1201, 1202, 1203, 2394, 2395, 2396, 2397, 2398, 3591,
        5000, 65_535, 65_536, 200_000,
    ])
    func roundTripSizes(size: Int) throws {
        let nals = [S.h264(7, size: 12), S.h264(8, size: 5), S.h264(5, size: size)]
        var p = H264Packetizer()
        let packets = try p.packetize(accessUnit: S.annexB(nals)[...])
        #expect(packets.allSatisfy { $0.payload.count <= 1200 })
        #expect(packets.filter(\.marker).count == 1)
        #expect(packets.last?.marker == true)
        var d = H264Depacketizer()
        let frames = S.frames(try S.receive(packets, into: &d))
        #expect(frames.count == 1)
        #expect(frames.first?.nalUnits.map(Array.init) == nals)
        #expect(frames.first?.isKeyframe == true)
        #expect(frames.first?.isComplete == true)
        #expect(frames.first?.annexB == nals.flatMap { [0, 0, 0, 1] + $0 })
    }

    @Test("payload budgets from 16 to 1500 bytes keep every packet within budget", arguments: [16, 17, 100, 576, 1400, 1500])
    func roundTripBudgets(mtu: Int) throws {
        let nals = [S.h264(6, size: 30), S.h264(1, size: 3 * mtu + 7), S.h264(1, size: mtu), S.h264(1, size: mtu - 1)]
        var p = H264Packetizer(configuration: try VideoPacketizerConfiguration(maxPayloadSize: mtu))
        let packets = try p.packetize(accessUnit: S.annexB(nals)[...])
        #expect(packets.allSatisfy { $0.payload.count <= mtu })
        var d = H264Depacketizer()
        let frames = S.frames(try S.receive(packets, into: &d))
        #expect(frames.map { $0.nalUnits.map(Array.init) } == [nals])
    }

    @Test("a NAL unit of exactly the budget goes alone in a single NAL unit packet")
    func exactlyMTU() throws {
        let idr = S.h264(5, size: 1200)
        var p = H264Packetizer()
        var out: [PayloadPacket] = []
        try p.packetize(nalUnits: [idr[...]], into: &out)
        #expect(out == [PayloadPacket(payload: idr, marker: true)])
    }

    @Test("a NAL unit one byte over the budget becomes two FU-A packets")
    func oneOverMTU() throws {
        let idr = S.h264(5, size: 1201)
        var p = H264Packetizer()
        var out: [PayloadPacket] = []
        try p.packetize(nalUnits: [idr[...]], into: &out)
        #expect(out.count == 2)
        #expect(out.map { $0.payload[0] } == [0x60 | 28, 0x60 | 28])
        #expect(out.map { $0.payload[1] } == [0x80 | 5, 0x40 | 5])
        #expect(out.map { $0.payload.count - 2 }.reduce(0, +) == 1200)
    }

    @Test("SPS, PPS and SEI are aggregated into one STAP-A with the highest NRI")
    func stapAGrouping() throws {
        let sps = S.h264(7, size: 20, nri: 3), pps = S.h264(8, size: 6, nri: 2), sei = S.h264(6, size: 40, nri: 0)
        let slice = S.h264(5, size: 3000)
        var p = H264Packetizer()
        let packets = try p.packetize(accessUnit: S.annexB([sps, pps, sei, slice])[...])
        let stap = try #require(packets.first).payload
        #expect(stap[0] == 0x60 | 24)
        var expected: [UInt8] = [0x78]
        for n in [sps, pps, sei] { expected += [UInt8(n.count >> 8), UInt8(n.count & 0xFF)] + n }
        #expect(stap == expected)
        #expect(packets.dropFirst().allSatisfy { $0.payload[0] & 0x1F == 28 })
    }

    @Test("a large IDR is fragmented into FU-A with start and end bits and restored exactly")
    func fuALargeIDR() throws {
        let idr = S.h264(5, size: 10_000, nri: 2)
        var p = H264Packetizer()
        var packets: [PayloadPacket] = []
        try p.packetize(nalUnits: [idr[...]], into: &packets)
        #expect(packets.count == 9)
        #expect(packets.allSatisfy { $0.payload[0] == 0x40 | 28 && $0.payload[1] & 0x1F == 5 })
        #expect(packets.map { $0.payload[1] & 0xC0 } == [0x80] + Array(repeating: 0, count: 7) + [0x40])
        #expect(packets.map(\.marker) == Array(repeating: false, count: 8) + [true])
        var d = H264Depacketizer()
        let frames = S.frames(try S.receive(packets, into: &d))
        #expect(frames.first?.nalUnits.map(Array.init) == [idr])
    }

    @Test("the latest SPS and PPS are sent in a STAP-A before an IDR that lacks them")
    func parameterSetsRepeated() throws {
        let sps = S.h264(7, size: 15), pps = S.h264(8, size: 5), sps2 = S.h264(7, size: 16, seed: 9)
        var p = H264Packetizer()
        _ = try p.packetize(accessUnit: S.annexB([sps, pps, S.h264(5, size: 2000)])[...])
        _ = try p.packetize(accessUnit: S.annexB([sps2, S.h264(1, size: 500)])[...])
        let idr = S.h264(5, size: 2500)
        let packets = try p.packetize(accessUnit: S.annexB([S.h264(9, size: 2), S.h264(6, size: 10), idr])[...])
        var d = H264Depacketizer()
        let frame = try #require(S.frames(try S.receive(packets, into: &d)).first)
        #expect(frame.nalUnits.map(Array.init) == [S.h264(9, size: 2), S.h264(6, size: 10), sps2, pps, idr])
        #expect(packets[0].payload[0] & 0x1F == 24)
    }

    @Test("an IDR with its own parameter sets gets no extra copies")
    func parameterSetsNotDuplicated() throws {
        let nals = [S.h264(7, size: 15), S.h264(8, size: 5), S.h264(5, size: 300)]
        var p = H264Packetizer()
        _ = try p.packetize(accessUnit: S.annexB(nals)[...])
        let packets = try p.packetize(accessUnit: S.annexB(nals)[...])
        var d = H264Depacketizer()
        #expect(S.frames(try S.receive(packets, into: &d)).first?.nalUnitCount == 3)
    }

    @Test("an IDR before any parameter set is sent as it is")
    func idrWithoutCachedParameterSets() throws {
        var p = H264Packetizer()
        var out: [PayloadPacket] = []
        let idr = S.h264(5, size: 50)
        try p.packetize(nalUnits: [idr[...]], into: &out)
        #expect(out == [PayloadPacket(payload: idr, marker: true)])
    }

    @Test("several access units each end with the marker and come out as separate frames")
    func severalAccessUnits() throws {
        var p = H264Packetizer()
        var d = H264Depacketizer()
        var seq: UInt16 = 65_530
        var got: [EncodedVideoFrame] = []
        let units = (0..<10).map { i in [S.h264(i == 0 ? 5 : 1, size: 300 * i + 1, seed: UInt64(i))] }
        for (i, au) in units.enumerated() {
            for packet in try p.packetize(accessUnit: S.annexB(au)[...]) {
                try d.push(payload: packet.payload[...], sequenceNumber: seq, timestamp: UInt32(i) &* 6000 &+ 0xFFFF_0000,
                           marker: packet.marker)
                seq &+= 1
            }
        }
        got = S.frames(S.drain(&d))
        #expect(got.map { $0.nalUnits.map(Array.init) } == units)
        #expect(got.map(\.isKeyframe) == [true] + Array(repeating: false, count: 9))
    }

    @Test("a frame without a marker ends when the timestamp changes and is reported incomplete")
    func timestampChangeEndsFrame() throws {
        var d = H264Depacketizer()
        let a = S.h264(1, size: 10), b = S.h264(1, size: 11)
        try d.push(payload: a[...], sequenceNumber: 1, timestamp: 100, marker: false)
        #expect(d.nextOutput() == nil)
        try d.push(payload: b[...], sequenceNumber: 2, timestamp: 200, marker: true)
        let frames = S.frames(S.drain(&d))
        #expect(frames.map(\.timestamp) == [100, 200])
        #expect(frames.map(\.isComplete) == [false, true])
    }

    @Test("losing a packet in the middle of a FU-A drops the frame and asks for a keyframe")
    func lossMidFU() throws {
        var p = H264Packetizer()
        let packets = try p.packetize(accessUnit: S.annexB([S.h264(5, size: 5000)])[...])
        var d = H264Depacketizer()
        for (i, packet) in packets.enumerated() where i != 2 {
            try d.push(payload: packet.payload[...], sequenceNumber: UInt16(i), timestamp: 0, marker: packet.marker)
        }
        #expect(S.drain(&d) == [.keyframeNeeded])
        #expect(d.droppedFrames == 1)
        let next = try p.packetize(accessUnit: S.annexB([S.h264(1, size: 700)])[...])
        let outputs = try S.receive(next, into: &d, firstSequence: UInt16(packets.count), timestamp: 3000)
        #expect(S.frames(outputs).map(\.timestamp) == [3000])
    }

    @Test("losing the marker packet drops that frame and the next frame's first packet after the gap")
    func lossOfMarkerPacket() throws {
        var d = H264Depacketizer()
        try d.push(payload: S.h264(1, size: 10)[...], sequenceNumber: 1, timestamp: 0, marker: false)
        // sequence 2 (the marker packet of frame 0) is lost
        try d.push(payload: S.h264(1, size: 10)[...], sequenceNumber: 3, timestamp: 3000, marker: true)
        try d.push(payload: S.h264(1, size: 10)[...], sequenceNumber: 4, timestamp: 6000, marker: true)
        let out = S.drain(&d)
        #expect(out == [.keyframeNeeded] + S.frames(out).map { .frame($0) })
        #expect(S.frames(out).map(\.timestamp) == [6000])
    }

    @Test("reordered packets are refused, not reassembled: the jitter buffer must reorder")
    func reorderingRefused() throws {
        var p = H264Packetizer()
        let packets = try p.packetize(accessUnit: S.annexB([S.h264(5, size: 3000)])[...])
        var d = H264Depacketizer()
        try d.push(payload: packets[0].payload[...], sequenceNumber: 10, timestamp: 0, marker: false)
        try d.push(payload: packets[2].payload[...], sequenceNumber: 12, timestamp: 0, marker: true)
        let error = #expect(throws: PayloadFormatError.self) {
            try d.push(payload: packets[1].payload[...], sequenceNumber: 11, timestamp: 0, marker: false)
        }
        #expect(error?.code == .outOfOrderPacket)
        #expect(S.drain(&d) == [.keyframeNeeded])
    }

    @Test("a duplicate packet is refused and leaves the frame intact")
    func duplicateRefused() throws {
        var p = H264Packetizer()
        let packets = try p.packetize(accessUnit: S.annexB([S.h264(5, size: 3000)])[...])
        var d = H264Depacketizer()
        try d.push(payload: packets[0].payload[...], sequenceNumber: 10, timestamp: 0, marker: false)
        #expect(throws: PayloadFormatError.self) {
            try d.push(payload: packets[0].payload[...], sequenceNumber: 10, timestamp: 0, marker: false)
        }
        try d.push(payload: packets[1].payload[...], sequenceNumber: 11, timestamp: 0, marker: false)
        try d.push(payload: packets[2].payload[...], sequenceNumber: 12, timestamp: 0, marker: true)
        #expect(S.frames(S.drain(&d)).count == 1)
    }

    @Test("malformed payloads are refused with a typed error", arguments: [
        ([], PayloadFormatError.Code.emptyPayload),
        ([0x7C], .truncated),                                     // FU-A without its FU header
        ([0x7C, 0x05, 1, 2], .fragmentWithoutStart),              // FU-A middle, no start
        ([0x7C, 0x45, 1, 2], .fragmentWithoutStart),              // FU-A end, no start
        ([0x7C, 0xC5, 1, 2], .invalidFragmentHeader),             // start and end both set
        ([0x7C, 0x98, 1, 2], .invalidNALUnitType),                // FU-A of type 24
        ([0x78], .truncated),                                     // STAP-A without units
        ([0x78, 0x00], .truncated),                               // STAP-A truncated size
        ([0x78, 0x00, 0x05, 0x67, 1], .truncated),                // STAP-A unit shorter than its size
        ([0x78, 0x00, 0x00], .truncated),                         // STAP-A unit of zero bytes
        ([0x78, 0x00, 0x02, 0x78, 1], .invalidNALUnitType),       // STAP-A inside STAP-A
        ([0x79, 0x00, 0x00, 0x01, 0x65], .unsupportedPacketType), // STAP-B
        ([0x7A, 0x00, 0x00, 0x01, 0x65], .unsupportedPacketType), // MTAP16
        ([0x7B, 0x00, 0x00, 0x01, 0x65], .unsupportedPacketType), // MTAP24
        ([0x7D, 0x85, 0x00, 0x00, 0x01], .unsupportedPacketType), // FU-B
        ([0x60], .unsupportedPacketType),                         // type 0
        ([0x7E, 1], .unsupportedPacketType),                      // type 30
        ([0x7F, 1], .unsupportedPacketType),                      // type 31
    ] as [([UInt8], PayloadFormatError.Code)])
    func malformed(payload: [UInt8], code: PayloadFormatError.Code) {
        var d = H264Depacketizer()
        let error = #expect(throws: PayloadFormatError.self) {
            try d.push(payload: payload[...], sequenceNumber: 1, timestamp: 0, marker: true)
        }
        #expect(error?.code == code)
        #expect(S.frames(S.drain(&d)).isEmpty)
    }

    @Test("a FU-A cut off by the marker drops the frame")
    func truncatedFUByMarker() throws {
        var d = H264Depacketizer()
        #expect(throws: PayloadFormatError.self) {
            try d.push(payload: [0x7C, 0x85, 1, 2][...], sequenceNumber: 1, timestamp: 0, marker: true)
        }
        #expect(S.drain(&d) == [.keyframeNeeded])
    }

    @Test("a FU-A cut off by a new timestamp drops the frame")
    func truncatedFUByTimestamp() throws {
        var d = H264Depacketizer()
        try d.push(payload: [0x7C, 0x85, 1, 2][...], sequenceNumber: 1, timestamp: 0, marker: false)
        try d.push(payload: [0x61, 1][...], sequenceNumber: 2, timestamp: 1, marker: true)
        let out = S.drain(&d)
        #expect(out.first == .keyframeNeeded)
        #expect(S.frames(out).map(\.timestamp) == [1])
    }

    @Test("a frame over the size limit is refused and dropped, and its other packets are ignored")
    func oversizeFrame() throws {
        var p = H264Packetizer()
        let packets = try p.packetize(accessUnit: S.annexB([S.h264(5, size: 5000)])[...])
        var d = H264Depacketizer(configuration: try VideoDepacketizerConfiguration(maxFrameSize: 4096))
        var codes: [PayloadFormatError.Code] = []
        for (i, packet) in packets.enumerated() {
            do {
                try d.push(payload: packet.payload[...], sequenceNumber: UInt16(i), timestamp: 0, marker: packet.marker)
            } catch {
                codes.append(error.code)
            }
        }
        #expect(codes == [.frameTooLarge])
        #expect(S.drain(&d) == [.keyframeNeeded])
        try d.push(payload: S.h264(1, size: 100)[...], sequenceNumber: UInt16(packets.count), timestamp: 1, marker: true)
        #expect(S.frames(S.drain(&d)).count == 1)
    }

    @Test("a frame over the NAL unit count limit is refused")
    func tooManyNALUnits() throws {
        var d = H264Depacketizer(configuration: try VideoDepacketizerConfiguration(maxNALUnitCount: 3))
        var stap: [UInt8] = [0x78]
        for _ in 0..<4 { stap += [0, 2, 0x41, 0x11] }
        let error = #expect(throws: PayloadFormatError.self) {
            try d.push(payload: stap[...], sequenceNumber: 1, timestamp: 0, marker: true)
        }
        #expect(error?.code == .tooManyNALUnits)
    }

    @Test("flush ends the frame in progress")
    func flush() throws {
        var d = H264Depacketizer()
        try d.push(payload: S.h264(5, size: 9)[...], sequenceNumber: 1, timestamp: 5, marker: false)
        d.flush()
        let frames = S.frames(S.drain(&d))
        #expect(frames.map(\.isComplete) == [false])
        #expect(frames.map(\.isKeyframe) == [true])
    }

    @Test("the packetizer refuses NAL unit types that RTP cannot carry", arguments: [0, 24, 25, 28, 29, 30, 31] as [UInt8])
    func packetizerRefusesTypes(type: UInt8) {
        var p = H264Packetizer()
        let error = #expect(throws: PayloadFormatError.self) {
            _ = try p.packetize(accessUnit: [0, 0, 0, 1, 0x60 | type, 1, 2][...])
        }
        #expect(error?.code == .invalidNALUnitType)
    }

    @Test("a payload budget outside 16...65535 is refused", arguments: [-1, 0, 15, 65_536])
    func budgetValidated(mtu: Int) {
        #expect(throws: PayloadFormatError.self) { try VideoPacketizerConfiguration(maxPayloadSize: mtu) }
    }
}

@Suite("Annex B byte stream")
struct PayloadAnnexBTests {
    @Test("3- and 4-byte start codes, leading and trailing zeros split into the same NAL units")
    func split() throws {
        let bytes: [UInt8] = [0, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 4, 0, 0]
        let nals = try AnnexB.split(bytes[...]).map(Array.init)
        #expect(nals == [[0x67, 1, 2], [0x68, 3], [0x65, 4]])
    }

    @Test("empty NAL units between start codes are skipped")
    func emptyUnits() throws {
        #expect(try AnnexB.split([0, 0, 1, 0, 0, 1, 0x41, 9, 0, 0, 1][...]).map(Array.init) == [[0x41, 9]])
    }

    @Test("bytes that are not an Annex B stream are refused", arguments: [
        [], [0, 0], [0x41, 1, 2], [1, 0, 0, 1, 0x41], [0, 0, 2, 0x41],
    ] as [[UInt8]])
    func refused(bytes: [UInt8]) {
        let error = #expect(throws: PayloadFormatError.self) { try AnnexB.split(bytes[...]) }
        #expect(error?.code == .invalidAnnexB)
    }
}

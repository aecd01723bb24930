import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP packet")
struct RTPPacketTests {
    @Test("The fixed header fields of a hand-made packet are read")
    func fixedHeader() throws {
        let p = try RTPPacket(parsing: Vectors.datagram("rtp-one-byte-extension"))
        #expect(p.marker)
        #expect(p.payloadType == 96)
        #expect(p.sequenceNumber == 0x1234)
        #expect(p.timestamp == 3000)
        #expect(p.ssrc == 0xDEAD_BEEF)
        #expect(p.csrcs.isEmpty)
        #expect(Array(p.payload) == [1, 2, 3, 4])
        #expect(p.paddingLength == 0)
    }

    @Test("CSRCs and padding are read, and padding is excluded from the payload")
    func csrcAndPadding() throws {
        let p = try RTPPacket(parsing: Vectors.datagram("rtp-two-byte-extension"))
        #expect(!p.marker)
        #expect(p.payloadType == 8)
        #expect(p.sequenceNumber == 0xFFFF)
        #expect(p.timestamp == 0xFFFF_FFFF)
        #expect(p.csrcs == [0x0A0B_0C0D, 0x1112_1314])
        #expect(Array(p.payload) == [0xD5, 0xD5])
        #expect(Array(p.padding) == [0, 0, 3])
    }

    @Test("The payload is a slice of the input, not a copy")
    func payloadIsSlice() throws {
        let bytes = try Vectors.datagram("rtp-one-byte-extension")
        let p = try RTPPacket(parsing: bytes[...])
        #expect(p.payload.startIndex == 24)
        #expect(p.payload.endIndex == bytes.count)
    }

    @Test("A built packet encodes to the expected bytes")
    func buildEncodes() throws {
        let ext = try RTPHeaderExtension(elements: [.init(id: 1, data: [0xAB]), .init(id: 3, data: [0x00, 0x05])])
        let p = try RTPPacket(marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 3000,
                              ssrc: 0xDEAD_BEEF, headerExtension: ext, payload: [1, 2, 3, 4])
        #expect(p.bytes == (try Vectors.datagram("rtp-one-byte-extension")))
    }

    @Test("Writing a packet straight into a writer gives the bytes of a built packet")
    func staticEncode() throws {
        var writer = ByteWriter()
        try RTPPacket.encode(marker: true, payloadType: 111, sequenceNumber: 9, timestamp: 10, ssrc: 11, csrcs: [12],
                             payload: [1, 2, 3][...], paddingLength: 2, into: &writer)
        let built = try RTPPacket(marker: true, payloadType: 111, sequenceNumber: 9, timestamp: 10, ssrc: 11,
                                  csrcs: [12], payload: [1, 2, 3], paddingLength: 2)
        #expect(writer.bytes == built.bytes)
        #expect(writer.bytes.hexString == "a1ef0009" + "0000000a" + "0000000b" + "0000000c" + "010203" + "0002")
    }

    @Test("A built packet with padding and CSRCs round-trips")
    func buildPadding() throws {
        let p = try RTPPacket(payloadType: 0, sequenceNumber: 7, timestamp: 8, ssrc: 9, csrcs: [1, 2, 3],
                              payload: [0xAA], paddingLength: 4)
        #expect(p.encodedSize == 12 + 12 + 1 + 4)
        let bytes = p.bytes
        #expect(bytes[0] == 0xA3)
        #expect(Array(bytes.suffix(4)) == [0, 0, 0, 4])
        #expect(try RTPPacket(parsing: bytes) == p)
    }

    @Test("Initializers refuse fields wider than the wire allows", arguments: [
        (UInt8(128), 0, 0), (UInt8(0), 16, 0), (UInt8(0), 0, 256), (UInt8(0), 0, -1),
    ])
    func buildValidates(payloadType: UInt8, csrcCount: Int, padding: Int) {
        #expect(throws: RTPError.self) {
            try RTPPacket(payloadType: payloadType, sequenceNumber: 0, timestamp: 0, ssrc: 0,
                          csrcs: Array(repeating: 1, count: csrcCount), payload: [], paddingLength: padding)
        }
    }

    @Test("The header view reads the fields and the header length without a full parse")
    func headerView() throws {
        let bytes = try Vectors.datagram("rtp-two-byte-extension")
        let h = try RTPHeader(parsing: bytes)
        #expect(h.hasPadding && h.hasExtension)
        #expect(h.csrcCount == 2)
        #expect(h.payloadType == 8)
        #expect(h.ssrc == 0x0102_0304)
        #expect(h.headerLength == 12 + 8 + 4 + 8)
        #expect(RTPHeader.sequenceNumber(in: bytes[...]) == 0xFFFF)
        #expect(RTPHeader.ssrc(in: bytes[...]) == 0x0102_0304)
        #expect(RTPHeader.ssrc(in: bytes[0..<11]) == nil)
    }

    @Test("looksLikeRTP accepts RTP and refuses RTCP, STUN and short input", arguments: [
        ("80600001000000000000000a", true),
        ("80c8000600000000000000000000", false),
        ("000100002112a442000000000000", false),
        ("8060", false),
    ])
    func looksLike(hex: String, expected: Bool) throws {
        #expect(RTPPacket.looksLikeRTP(try #require([UInt8](hex: hex))) == expected)
    }

    static let malformedCases: [(String, RTPError.Code)] = [
        ("8060000100000000000000", RTPError.Code.truncated),
        ("406000010000000000000000", .badVersion),
        ("826000010000000000000000000000aa", .truncated),
        ("906000010000000000000000bede", .truncated),
        ("906000010000000000000000bede000112", .truncated),
        ("a06000010000000000000000", .badPadding),
        ("a06000010000000000000000aa00", .badPadding),
        ("a06000010000000000000000aa03", .badPadding),
        ("906000010000000000000000bede000133000000", .badHeaderExtension),
        ("9060000100000000000000001000000101050000", .badHeaderExtension),
    ]

    @Test("Malformed packets are refused with the matching error code", arguments: malformedCases)
    func malformed(hex: String, code: RTPError.Code) throws {
        let bytes = try #require([UInt8](hex: hex))
        let error = #expect(throws: RTPError.self) { try RTPPacket(parsing: bytes) }
        #expect(error?.code == code)
    }

    @Test("An error names the field and the offset")
    func errorContext() throws {
        let bytes = try #require([UInt8](hex: "a06000010000000000000000aa03"))
        let error = #expect(throws: RTPError.self) { try RTPPacket(parsing: bytes) }
        #expect(error?.field == "RTP.padding")
        #expect(error?.offset == 13)
        #expect(error?.description.contains("padding") == true)
    }
}

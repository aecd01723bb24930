import Testing
import RingletCore
@testable import RingletSTUN

@Suite("STUN message header and framing")
struct STUNMessageTests {
    static let tid = STUNTransactionID(high: 0x0102_0304, low: 0x0506_0708_090A_0B0C)

    @Test("Method and class interleave into the type field as RFC 8489 §5 draws it", arguments: [
        (STUNMethod.binding, STUNClass.request, UInt16(0x0001)),
        (.binding, .successResponse, 0x0101),
        (.binding, .errorResponse, 0x0111),
        (.binding, .indication, 0x0011),
        (.allocate, .request, 0x0003),
        (.allocate, .errorResponse, 0x0113),
        (.send, .indication, 0x0016),
        (.data, .indication, 0x0017),
        (.channelBind, .successResponse, 0x0109),
    ])
    func typeBits(method: STUNMethod, cls: STUNClass, raw: UInt16) throws {
        let type = STUNMessageType(method: method, messageClass: cls)
        #expect(type.rawValue == raw)
        #expect(STUNMessageType(rawValue: raw) == type)
    }

    @Test("Every 14-bit type value splits and joins back unchanged")
    func typeRoundTrip() throws {
        for raw in UInt16(0)...0x3FFF {
            let type = try #require(STUNMessageType(rawValue: raw))
            #expect(type.rawValue == raw)
        }
        #expect(STUNMessageType(rawValue: 0x4001) == nil)
        #expect(STUNMethod(rawValue: 0x1000) == nil)
    }

    @Test("A built message parses back equal, keeping unknown attributes in order")
    func buildRoundTrip() throws {
        let attrs = [
            try STUNAttribute(type: STUNAttributeType(rawValue: 0x7F01), value: [1, 2, 3]),
            STUNAttribute(try STUNSoftware("ringlet"), transactionID: Self.tid),
            try STUNAttribute(type: STUNAttributeType(rawValue: 0xC0DE), value: []),
        ]
        let message = try STUNMessage(type: .bindingRequest, transactionID: Self.tid, attributes: attrs)
        let bytes = message.encoded()
        #expect(bytes.count == message.encodedSize)
        #expect(bytes.count == 20 + 8 + 12 + 4)
        let parsed = try STUNMessage(parsing: bytes)
        #expect(parsed == message)
        #expect(Array(parsed.attributes) == attrs)
        #expect(parsed.encoded() == bytes)
        #expect(parsed.unknownComprehensionRequired(known: [.software]) == [STUNAttributeType(rawValue: 0x7F01)])
    }

    @Test("Padding is written as zeros and not counted in the attribute length")
    func zeroPadding() throws {
        let message = try STUNMessage(type: .bindingIndication, transactionID: Self.tid,
                                      attributes: [try STUNAttribute(type: .data, value: [0xAA])])
        #expect(message.encoded().suffix(8) == [0x00, 0x13, 0x00, 0x01, 0xAA, 0, 0, 0])
    }

    @Test("Non-zero padding is accepted and compares equal to zero padding")
    func paddingIgnored() throws {
        let message = try STUNMessage(type: .bindingIndication, transactionID: Self.tid,
                                      attributes: [try STUNAttribute(type: .data, value: [0xAA])])
        var bytes = message.encoded()
        bytes[bytes.count - 1] = 0x20
        let parsed = try STUNMessage(parsing: bytes)
        #expect(parsed == message)
        #expect(parsed.encoded() == message.encoded())
    }

    @Test("Malformed headers are refused with the right code", arguments: [
        ("truncated header", "0001000021", STUNError.Code.truncated),
        ("top bits set", "c001000021 12a442 000000000000000000000000", .notSTUN),
        ("bad cookie", "0001000021 12a443 000000000000000000000000", .badMagicCookie),
        ("length not multiple of 4", "0001000221 12a442 000000000000000000000000 0000", .badLength),
        ("length longer than bytes", "0001000421 12a442 000000000000000000000000", .badLength),
        ("length shorter than bytes", "0001000021 12a442 000000000000000000000000 00000000", .badLength),
        ("attribute overruns", "0001000421 12a442 000000000000000000000000 80220004", .attributeOverrun),
        ("attribute padding missing", "0001000821 12a442 000000000000000000000000 80220005 61626364",
         .attributeOverrun),
        ("integrity of wrong length", "0001000821 12a442 000000000000000000000000 00080004 00000000",
         .invalidAttribute),
        ("fingerprint of wrong length", "0001000421 12a442 000000000000000000000000 80280000", .invalidAttribute),
        ("integrity-sha256 too short", "0001001021 12a442 000000000000000000000000 001C000C 000000000000000000000000",
         .invalidAttribute),
    ])
    func malformed(label: String, hex: String, code: STUNError.Code) throws {
        let bytes = try #require([UInt8](hex: hex))
        let error = #expect(throws: STUNError.self, "\(label)") { try STUNMessage(parsing: bytes) }
        #expect(error?.code == code, "\(label)")
    }

    @Test("An overrunning attribute is reported at its offset")
    func errorOffset() throws {
        let bytes = try #require([UInt8](hex: "000100082112a442000000000000000000000000 80220000 00060010"))
        let error = #expect(throws: STUNError.self) { try STUNMessage(parsing: bytes) }
        #expect(error?.offset == 24)
        #expect(error?.field == "USERNAME")
    }

    @Test("looksLikeSTUN accepts STUN and rejects other first bytes, bad cookies and mismatched lengths")
    func looksLike() throws {
        let good = try STUNMessage(type: .bindingRequest, transactionID: Self.tid).encoded()
        #expect(STUNMessage.looksLikeSTUN(good))
        var rtp = good; rtp[0] = 0x80
        var cookie = good; cookie[5] = 0
        #expect(!STUNMessage.looksLikeSTUN(rtp))
        #expect(!STUNMessage.looksLikeSTUN(cookie))
        #expect(!STUNMessage.looksLikeSTUN(good + [0, 0, 0, 0]))
        #expect(!STUNMessage.looksLikeSTUN(Array(good.prefix(19))))
        #expect(!STUNMessage.looksLikeSTUN([]))
    }

    @Test("Messages too large for the length field are refused when built")
    func tooLarge() throws {
        let big = try STUNAttribute(type: .data, value: [UInt8](repeating: 1, count: 0xFFFF))
        let error = #expect(throws: STUNError.self) {
            try STUNMessage(type: .bindingRequest, transactionID: Self.tid, attributes: [big])
        }
        #expect(error?.code == .tooLarge)
        #expect(throws: STUNError.self) {
            try STUNAttribute(type: .data, value: [UInt8](repeating: 1, count: 0x10000))
        }
    }

    @Test("A transaction ID round-trips through its 12 bytes and a seeded generator is repeatable")
    func transactionID() throws {
        #expect(STUNTransactionID(bytes: Self.tid.bytes) == Self.tid)
        #expect(Self.tid.bytes.hexString == "0102030405060708090a0b0c")
        #expect(STUNTransactionID(bytes: [1, 2, 3]) == nil)
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7)
        #expect(STUNTransactionID.random(using: &a) == STUNTransactionID.random(using: &b))
    }
}

import Testing
import RingletCore
@testable import RingletSTUN

/// Encodes `value`, decodes it back, and returns (decoded, encoded bytes).
func roundTrip<T: STUNAttributeValue & Equatable>(_ value: T, tid: STUNTransactionID = AttributeTests.tid)
    throws -> (T, [UInt8])
{
    let attribute = STUNAttribute(value, transactionID: tid)
    let message = try STUNMessage(type: .bindingRequest, transactionID: tid, attributes: [attribute])
    let parsed = try STUNMessage(parsing: message.encoded())
    return (try #require(try parsed.attribute(T.self)), Array(attribute.value))
}

@Suite("Typed attributes")
struct AttributeTests {
    static let tid = STUNTransactionID(high: 0xB7E7_A701, low: 0xBC34_D686_FA87_DFAE)

    @Test("Address attributes round-trip IPv4 and IPv6, XOR-ed or not")
    func addresses() throws {
        let v4 = STUNAddress(ipv4: 0xCB00_7107, port: 3478)
        let v6 = try #require(STUNAddress(addressBytes: [UInt8](hex: "fe800000000000000001000200030004") ?? [],
                                          port: 65535))
        for address in [v4, v6] {
            #expect(try roundTrip(STUNXORMappedAddress(address: address)).0.address == address)
            #expect(try roundTrip(STUNMappedAddress(address: address)).0.address == address)
            #expect(try roundTrip(STUNAlternateServer(address: address)).0.address == address)
            #expect(try roundTrip(STUNXORPeerAddress(address: address)).0.address == address)
            #expect(try roundTrip(STUNXORRelayedAddress(address: address)).0.address == address)
        }
        #expect(try roundTrip(STUNMappedAddress(address: v4)).1 == [0, 1, 0x0D, 0x96, 0xCB, 0x00, 0x71, 0x07])
        #expect(try roundTrip(STUNXORMappedAddress(address: v4)).1 != roundTrip(STUNMappedAddress(address: v4)).1)
    }

    @Test("Address values of the wrong length or an unknown family are refused", arguments: [
        "0001 0d96 cb0071", "0001 0d96 cb007107 00", "0002 0d96 cb007107", "0003 0d96 cb007107", "00",
    ])
    func badAddress(hex: String) throws {
        let value = try #require([UInt8](hex: hex))
        #expect(throws: STUNError.self) {
            try STUNXORMappedAddress(attributeValue: value[...], transactionID: Self.tid)
        }
    }

    @Test("Text attributes round-trip and refuse invalid UTF-8 and over-long values")
    func text() throws {
        #expect(try roundTrip(STUNUsername("alice:bob")).0.value == "alice:bob")
        #expect(try roundTrip(STUNRealm("example.org")).0.value == "example.org")
        #expect(try roundTrip(STUNNonce("abc")).0.value == "abc")
        #expect(try roundTrip(STUNSoftware("ringlet 1.0")).0.value == "ringlet 1.0")
        #expect(throws: STUNError.self) { try STUNUsername(attributeValue: [0xFF, 0xFE][...], transactionID: Self.tid) }
        #expect(throws: STUNError.self) { try STUNUsername(String(repeating: "a", count: 513)) }
        #expect(throws: STUNError.self) { try STUNRealm(String(repeating: "a", count: 128)) }
        let long = [UInt8](repeating: 0x61, count: 128)
        #expect(throws: STUNError.self) { try STUNSoftware(attributeValue: long[...], transactionID: Self.tid) }
    }

    @Test("ERROR-CODE splits the code into class and number and keeps the reason")
    func errorCode() throws {
        let (decoded, bytes) = try roundTrip(STUNErrorCode(code: 438, reason: "Stale Nonce"))
        #expect(decoded.code == 438)
        #expect(decoded.reason == "Stale Nonce")
        #expect(Array(bytes.prefix(4)) == [0, 0, 4, 38])
    }

    @Test("ERROR-CODE refuses classes outside 3–6, numbers over 99 and short values", arguments: [
        "00000200", "00000700", "00000464", "000004",
    ])
    func badErrorCode(hex: String) throws {
        let value = try #require([UInt8](hex: hex))
        #expect(throws: STUNError.self) { try STUNErrorCode(attributeValue: value[...], transactionID: Self.tid) }
    }

    @Test("ERROR-CODE codes outside 300–699 cannot be built")
    func errorCodeRange() {
        #expect(throws: STUNError.self) { try STUNErrorCode(code: 200) }
        #expect(throws: STUNError.self) { try STUNErrorCode(code: 700) }
    }

    @Test("UNKNOWN-ATTRIBUTES round-trips an odd count (padded) and refuses an odd length")
    func unknownAttributes() throws {
        let types = [STUNAttributeType(rawValue: 0x0031), STUNAttributeType(rawValue: 0x0032),
                     STUNAttributeType(rawValue: 0x0033)]
        #expect(try roundTrip(STUNUnknownAttributes(types)).0.types == types)
        #expect(throws: STUNError.self) {
            try STUNUnknownAttributes(attributeValue: [0, 1, 2][...], transactionID: Self.tid)
        }
    }

    @Test("Fixed-size attributes round-trip")
    func fixed() throws {
        #expect(try roundTrip(STUNPriority(0x6E00_01FF)).0 == STUNPriority(0x6E00_01FF))
        #expect(try roundTrip(STUNUseCandidate()).1.isEmpty)
        #expect(try roundTrip(STUNICEControlled(tieBreaker: 42)).0.tieBreaker == 42)
        #expect(try roundTrip(STUNICEControlling(tieBreaker: .max)).0.tieBreaker == .max)
        #expect(try roundTrip(STUNChannelNumber(0x4001)).1 == [0x40, 0x01, 0, 0])
        #expect(try roundTrip(STUNLifetime(seconds: 600)).0.seconds == 600)
        #expect(try roundTrip(STUNData([1, 2, 3, 4, 5][...])).0.bytes.elementsEqual([1, 2, 3, 4, 5]))
        #expect(try roundTrip(STUNRequestedAddressFamily(.ipv6)).1 == [2, 0, 0, 0])
        #expect(try roundTrip(STUNEvenPort(reserveNext: true)).1 == [0x80])
        #expect(try roundTrip(STUNRequestedTransport(protocolNumber: 17)).1 == [17, 0, 0, 0])
        #expect(try roundTrip(STUNDontFragment()).1.isEmpty)
        #expect(try roundTrip(STUNReservationToken(token: 0x0102_0304_0506_0708)).0.token == 0x0102_0304_0506_0708)
        #expect(try roundTrip(STUNFingerprintValue(0xDEAD_BEEF)).0.value == 0xDEAD_BEEF)
    }

    @Test("Fixed-size attributes of the wrong length are refused", arguments: [
        (STUNAttributeType.priority, 3), (.iceControlled, 4), (.iceControlling, 9), (.channelNumber, 2),
        (.lifetime, 8), (.requestedAddressFamily, 1), (.evenPort, 4), (.requestedTransport, 2),
        (.dontFragment, 1), (.reservationToken, 4), (.useCandidate, 4), (.userHash, 31), (.messageIntegrity, 19),
        (.fingerprint, 3),
    ])
    func wrongLength(type: STUNAttributeType, length: Int) throws {
        let attribute = try STUNAttribute(type: type, value: [UInt8](repeating: 0x40, count: length))
        func decode<T: STUNAttributeValue>(_: T.Type) throws(STUNError) -> T {
            try attribute.decode(T.self, transactionID: Self.tid)
        }
        #expect(throws: STUNError.self) {
            switch type {
            case .priority: _ = try decode(STUNPriority.self)
            case .iceControlled: _ = try decode(STUNICEControlled.self)
            case .iceControlling: _ = try decode(STUNICEControlling.self)
            case .channelNumber: _ = try decode(STUNChannelNumber.self)
            case .lifetime: _ = try decode(STUNLifetime.self)
            case .requestedAddressFamily: _ = try decode(STUNRequestedAddressFamily.self)
            case .evenPort: _ = try decode(STUNEvenPort.self)
            case .requestedTransport: _ = try decode(STUNRequestedTransport.self)
            case .dontFragment: _ = try decode(STUNDontFragment.self)
            case .reservationToken: _ = try decode(STUNReservationToken.self)
            case .useCandidate: _ = try decode(STUNUseCandidate.self)
            case .userHash: _ = try decode(STUNUserHash.self)
            case .messageIntegrity: _ = try decode(STUNMessageIntegrity.self)
            default: _ = try decode(STUNFingerprintValue.self)
            }
        }
    }

    @Test("CHANNEL-NUMBER refuses numbers outside 0x4000–0x4FFF")
    func channelNumberRange() {
        #expect(throws: STUNError.self) { try STUNChannelNumber(0x3FFF) }
        #expect(throws: STUNError.self) { try STUNChannelNumber(0x5000) }
        #expect(throws: STUNError.self) {
            try STUNChannelNumber(attributeValue: [0x50, 0, 0, 0][...], transactionID: Self.tid)
        }
    }

    @Test("CHANNEL-NUMBER decodes RFC 5766's 0x4000–0x7FFF only when asked to", arguments: [UInt16(0x5000), 0x7FFF])
    func channelNumberRFC5766(number: UInt16) throws {
        let value: [UInt8] = [UInt8(number >> 8), UInt8(number & 0xFF), 0, 0]
        #expect(try STUNChannelNumber(attributeValue: value[...], accepting: STUNChannelNumber.rfc5766Range).number
            == number)
        #expect(throws: STUNError.self) { try STUNChannelNumber(attributeValue: value[...], transactionID: Self.tid) }
        #expect(throws: STUNError.self) {
            try STUNChannelNumber(attributeValue: [0x80, 0, 0, 0][...], accepting: STUNChannelNumber.rfc5766Range)
        }
    }

    @Test("Decoding an attribute as the wrong type is refused")
    func wrongType() throws {
        let attribute = STUNAttribute(STUNLifetime(seconds: 1), transactionID: Self.tid)
        #expect(throws: STUNError.self) { try attribute.decode(STUNPriority.self, transactionID: Self.tid) }
    }

    @Test("PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS round-trip, parameters padded")
    func passwordAlgorithms() throws {
        let md5 = try STUNPasswordAlgorithm(.md5)
        let custom = try STUNPasswordAlgorithm(STUNPasswordAlgorithm.Kind(rawValue: 0x7777), parameters: [1, 2, 3])
        #expect(try roundTrip(md5).1 == [0, 1, 0, 0])
        #expect(try roundTrip(custom).0 == custom)
        let list = STUNPasswordAlgorithms([try STUNPasswordAlgorithm(.sha256), custom, md5])
        let (decoded, bytes) = try roundTrip(list)
        #expect(decoded == list)
        #expect(bytes.count == 4 + 8 + 4)
        #expect(throws: STUNError.self) {
            try STUNPasswordAlgorithm(attributeValue: [0, 1, 0, 4, 1][...], transactionID: Self.tid)
        }
    }

    @Test("USERHASH round-trips its 32 bytes")
    func userHash() throws {
        let hash = try STUNUserHash(username: "u", realm: "r")
        #expect(try roundTrip(hash).0 == hash)
    }

    @Test("Errors in a typed attribute are reported at its offset within the message")
    func errorOffset() throws {
        let message = try STUNMessage(type: .bindingRequest, transactionID: Self.tid, attributes: [
            STUNAttribute(try STUNSoftware("x"), transactionID: Self.tid),
            try STUNAttribute(type: .errorCode, value: [0, 0, 9, 0]),
        ])
        let error = #expect(throws: STUNError.self) { try message.attribute(STUNErrorCode.self) }
        #expect(error?.offset == 20 + 8 + 4 + 2)
    }
}

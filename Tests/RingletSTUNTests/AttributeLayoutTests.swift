import Testing
import RingletCore
@testable import RingletSTUN

/// The codecs the attribute protocols share (text, fixed-size integer, flag, address): what each layout promises
/// every attribute that takes it.
@Suite("Attribute layouts")
struct AttributeLayoutTests {
    static let tid = AttributeTests.tid

    /// One of each typed attribute, and the value bytes the RFCs give it.
    static func samples() throws -> [(any STUNAttributeValue, Int)] {
        let v6 = try #require(STUNAddress(addressBytes: [UInt8](repeating: 0x20, count: 16), port: 1))
        return [
            (STUNMappedAddress(address: STUNAddress(ipv4: 0x7F00_0001, port: 3478)), 8),
            (STUNXORRelayedAddress(address: v6), 20),
            (try STUNUsername("alice:bob"), 9),
            (try STUNRealm("é"), 2),
            (STUNPriority(1), 4),
            (STUNICEControlling(tieBreaker: 1), 8),
            (STUNLifetime(seconds: 1), 4),
            (STUNRequestedAddressFamily(.ipv4), 4),
            (STUNEvenPort(reserveNext: false), 1),
            (STUNRequestedTransport(protocolNumber: STUNRequestedTransport.udp), 4),
            (STUNReservationToken(token: 1), 8),
            (STUNFingerprintValue(1), 4),
            (STUNUseCandidate(), 0),
            (STUNDontFragment(), 0),
            (try STUNChannelNumber(0x4000), 4),
            (try STUNUserHash(username: "u", realm: "r"), 32),
            (try STUNMessageIntegrity(hmac: [UInt8](repeating: 1, count: 20)), 20),
            (try STUNErrorCode(code: 401, reason: "Unauthorized"), 16),
            (try STUNData([1, 2, 3][...]), 3),
        ]
    }

    @Test("Every typed attribute encodes as many bytes as the RFC lays out, and says so before encoding")
    func sizes() throws {
        for (value, expected) in try Self.samples() {
            let encoded = STUNAttribute(value, transactionID: Self.tid).value.count
            #expect(encoded == expected, "\(type(of: value))")
            #expect(value.encodedValueSize == encoded, "\(type(of: value))")
        }
    }

    @Test("Integer attributes ignore reserved bits and bytes on receipt and send them as zero", arguments: [
        (STUNAttributeType.requestedTransport, "11aabbcc", "11000000"),
        (.requestedAddressFamily, "02010101", "02000000"),
        (.evenPort, "ff", "80"),
        (.evenPort, "7f", "00"),
    ])
    func reservedBytes(type: STUNAttributeType, received: String, sent: String) throws {
        let value = try #require([UInt8](hex: received))[...]
        let reencoded: [UInt8]
        switch type {
        case .requestedTransport:
            let decoded = try STUNRequestedTransport(attributeValue: value, transactionID: Self.tid)
            #expect(decoded.protocolNumber == 0x11)
            reencoded = Array(STUNAttribute(decoded, transactionID: Self.tid).value)
        case .requestedAddressFamily:
            let decoded = try STUNRequestedAddressFamily(attributeValue: value, transactionID: Self.tid)
            #expect(decoded.family == .ipv6)
            reencoded = Array(STUNAttribute(decoded, transactionID: Self.tid).value)
        default:
            let decoded = try STUNEvenPort(attributeValue: value, transactionID: Self.tid)
            #expect(decoded.reserveNext == (value.first == 0xFF))
            reencoded = Array(STUNAttribute(decoded, transactionID: Self.tid).value)
        }
        #expect(reencoded == [UInt8](hex: sent))
    }

    @Test("USERNAME is limited in bytes only; REALM, NONCE and SOFTWARE also to 127 characters")
    func textLimits() throws {
        // 200 two-byte characters: 400 bytes, within USERNAME's 512, over the others' 127 characters.
        let many = String(repeating: "é", count: 200)
        #expect(try STUNUsername(many).value == many)
        #expect(try STUNUsername(attributeValue: Array(many.utf8)[...], transactionID: Self.tid).value == many)
        #expect(throws: STUNError.self) { try STUNRealm(many) }
        #expect(throws: STUNError.self) { try STUNNonce(many) }
        #expect(throws: STUNError.self) { try STUNSoftware(attributeValue: Array(many.utf8)[...], transactionID: Self.tid) }
        // 127 three-byte characters (381 bytes) are within the phrase limits; a 128th is not.
        let euros = String(repeating: "€", count: 127)
        #expect(try STUNRealm(euros).value == euros)
        #expect(try STUNNonce(attributeValue: Array(euros.utf8)[...], transactionID: Self.tid).value == euros)
        #expect(throws: STUNError.self) { try STUNSoftware(euros + "€") }
        // Past the byte limit is refused before the characters are counted.
        let bytes = [UInt8](repeating: 0x61, count: 764)
        let error = #expect(throws: STUNError.self) { try STUNNonce(attributeValue: bytes[...], transactionID: Self.tid) }
        #expect(error?.message.contains("764 bytes") == true)
    }
}

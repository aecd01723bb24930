import Testing
import RingletCore
@testable import RingletSTUN

@Suite("RFC 5769 test vectors")
struct RFC5769Tests {
    @Test("Every vector parses and is recognised as STUN", arguments: Vectors.all)
    func parses(name: String) throws {
        let bytes = try Vectors.bytes(name)
        let message = try STUNMessage(parsing: bytes)
        #expect(STUNMessage.looksLikeSTUN(bytes))
        #expect(message.encodedSize == bytes.count)
        #expect(message.attributeCount > 3)
    }

    @Test("Re-encoding a vector equals the original except that pad bytes become zero", arguments: Vectors.all)
    func reencode(name: String) throws {
        let bytes = try Vectors.bytes(name)
        let message = try STUNMessage(parsing: bytes)
        let encoded = message.encoded()
        #expect(encoded == Vectors.zeroPadded(bytes))
        let again = try STUNMessage(parsing: encoded)
        #expect(again == message)
        #expect(again.encoded() == encoded, "decode → encode → decode → encode is byte-equal")
    }

    @Test("The short-term vectors verify MESSAGE-INTEGRITY and FINGERPRINT",
          arguments: [Vectors.request, Vectors.ipv4Response, Vectors.ipv6Response])
    func shortTermIntegrity(name: String) throws {
        let message = try STUNMessage(parsing: try Vectors.bytes(name))
        let key = try STUNIntegrityKey.shortTerm(password: Vectors.shortTermPassword)
        #expect(message.verifyMessageIntegrity(key))
        #expect(message.verifyFingerprint())
        let wrong = try STUNIntegrityKey.shortTerm(password: "VOkJxbRl1RmTxUk/WvJxBT")
        #expect(!message.verifyMessageIntegrity(wrong))
    }

    @Test("The 2.1 request carries the attributes the RFC lists")
    func requestAttributes() throws {
        let message = try STUNMessage(parsing: try Vectors.bytes(Vectors.request))
        #expect(message.type == .bindingRequest)
        #expect(message.transactionID == Vectors.rfcTransactionID)
        #expect(try message.attribute(STUNSoftware.self)?.value == "STUN test client")
        #expect(try message.attribute(STUNUsername.self)?.value == "evtj:h6vY")
        #expect(try message.attribute(STUNPriority.self)?.value == 0x6E00_01FF)
        #expect(try message.attribute(STUNICEControlled.self)?.tieBreaker == 0x932F_F9B1_5126_3B36)
        #expect(message.attributes.map(\.type) == [.software, .priority, .iceControlled, .username,
                                                     .messageIntegrity, .fingerprint])
    }

    @Test("The 2.2 response maps to 192.0.2.1:32853")
    func ipv4Response() throws {
        let message = try STUNMessage(parsing: try Vectors.bytes(Vectors.ipv4Response))
        #expect(message.type == .bindingSuccess)
        let mapped = try #require(try message.attribute(STUNXORMappedAddress.self))
        #expect(mapped.address == STUNAddress(ipv4: 0xC000_0201, port: 32853))
        #expect(mapped.address.description == "192.0.2.1:32853")
        #expect(try message.attribute(STUNSoftware.self)?.value == "test vector")
    }

    @Test("The 2.3 response maps to [2001:db8:1234:5678:11:2233:4455:6677]:32853")
    func ipv6Response() throws {
        let message = try STUNMessage(parsing: try Vectors.bytes(Vectors.ipv6Response))
        let mapped = try #require(try message.attribute(STUNXORMappedAddress.self))
        let expected = try #require(STUNAddress(
            addressBytes: [UInt8](hex: "20010db8123456780011223344556677") ?? [], port: 32853))
        #expect(mapped.address == expected)
        #expect(mapped.address.description == "[2001:db8:1234:5678:11:2233:4455:6677]:32853")
    }

    @Test("Encoding the XOR-MAPPED-ADDRESS values reproduces the vectors' attribute bytes",
          arguments: [Vectors.ipv4Response, Vectors.ipv6Response])
    func xorEncode(name: String) throws {
        let message = try STUNMessage(parsing: try Vectors.bytes(name))
        let raw = try #require(message.firstAttribute(.xorMappedAddress))
        let typed = try raw.decode(STUNXORMappedAddress.self, transactionID: message.transactionID)
        let rebuilt = STUNAttribute(typed, transactionID: message.transactionID)
        #expect(Array(rebuilt.value) == Array(raw.value))
    }

    @Test("The 2.4 request verifies with MD5(username:realm:password) over the SASLprep'd forms")
    func longTerm() throws {
        let message = try STUNMessage(parsing: try Vectors.bytes(Vectors.longTermRequest))
        let username = try #require(try message.attribute(STUNUsername.self)).value
        let realm = try #require(try message.attribute(STUNRealm.self)).value
        #expect(username == "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}")
        #expect(realm == "example.org")
        #expect(try message.attribute(STUNNonce.self)?.value == "f//499k954d6OL34oL9FSTvy64sA")
        #expect(!message.hasFingerprint)
        let key = try STUNIntegrityKey.longTerm(username: username, realm: realm, password: "TheMatrIX")
        #expect(message.verifyMessageIntegrity(key))
        let unprepared = try STUNIntegrityKey.longTerm(username: username, realm: realm, password: "TheM\u{AA}tr\u{2168}")
        #expect(!message.verifyMessageIntegrity(unprepared), "the key is over the SASLprep'd password")
    }

    @Test("Rebuilding the 2.4 request from its attributes and signing it reproduces the RFC bytes")
    func longTermRebuild() throws {
        let original = try Vectors.bytes(Vectors.longTermRequest)
        let parsed = try STUNMessage(parsing: original)
        let unsigned = try STUNMessage(type: parsed.type, transactionID: parsed.transactionID,
                                       attributes: parsed.attributes.filter { $0.type != .messageIntegrity })
        let key = try STUNIntegrityKey.longTerm(username: "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}",
                                                realm: "example.org", password: "TheMatrIX")
        #expect(try unsigned.encoded(messageIntegrity: key) == original)
    }
}

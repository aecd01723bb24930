import Testing
import RingletCore
@testable import RingletSTUN

@Suite("MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT")
struct IntegrityTests {
    static let tid = STUNTransactionID(high: 0xCAFE_F00D, low: 0x1122_3344_5566_7788)

    static func request() throws -> STUNMessage {
        try STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .request), transactionID: tid,
                        attributes: [
                            STUNAttribute(STUNRequestedTransport(protocolNumber: STUNRequestedTransport.udp),
                                          transactionID: tid),
                            STUNAttribute(try STUNUsername("1735689600:device-42"), transactionID: tid),
                            STUNAttribute(try STUNSoftware("ringlet test"), transactionID: tid),
                        ])
    }

    @Test("CRC-32 gives the standard check value for \"123456789\"")
    func crcCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test("A message signed with HMAC-SHA1 and fingerprinted verifies both")
    func signAndVerify() throws {
        let key = try STUNIntegrityKey.shortTerm(password: "secret-password")
        let bytes = try Self.request().encoded(messageIntegrity: key, fingerprint: true)
        let parsed = try STUNMessage(parsing: bytes)
        #expect(parsed.hasMessageIntegrity && parsed.hasFingerprint)
        #expect(parsed.verifyMessageIntegrity(key))
        #expect(parsed.verifyFingerprint())
        #expect(Array(parsed.attributes.map(\.type).suffix(2)) == [.messageIntegrity, .fingerprint])
    }

    @Test("Flipping any bit before MESSAGE-INTEGRITY makes the check fail")
    func bitFlip() throws {
        let key = try STUNIntegrityKey.shortTerm(password: "secret-password")
        let bytes = try Self.request().encoded(messageIntegrity: key)
        let parsed = try STUNMessage(parsing: bytes)
        let miOffset = bytes.count - 24
        for byte in 0..<miOffset + 24 where byte != 2 && byte != 3 && !(4..<8).contains(byte) {
            var flipped = bytes
            flipped[byte] ^= 0x01
            guard let m = try? STUNMessage(parsing: flipped) else { continue }
            #expect(!m.verifyMessageIntegrity(key), "flip at \(byte)")
        }
        #expect(parsed.verifyMessageIntegrity(key))
    }

    @Test("Flipping a bit fails the FINGERPRINT check")
    func fingerprintFlip() throws {
        var bytes = try Self.request().encoded(fingerprint: true)
        bytes[21] ^= 0x80
        #expect(try !STUNMessage(parsing: bytes).verifyFingerprint())
    }

    @Test("A message without MESSAGE-INTEGRITY does not verify")
    func absent() throws {
        let key = try STUNIntegrityKey.shortTerm(password: "x")
        let m = try STUNMessage(parsing: try Self.request().encoded())
        #expect(!m.verifyMessageIntegrity(key))
        #expect(!m.verifyFingerprint())
    }

    @Test("HMAC-SHA256 integrity verifies at every allowed truncation", arguments: [16, 20, 24, 28, 32])
    func sha256(length: Int) throws {
        let key = try STUNIntegrityKey(key: Array("k".utf8), algorithm: .hmacSHA256)
        let bytes = try Self.request().encoded(messageIntegritySHA256: key, sha256Length: length, fingerprint: true)
        let m = try STUNMessage(parsing: bytes)
        #expect(m.firstAttribute(.messageIntegritySHA256)?.value.count == length)
        #expect(m.verifyMessageIntegrity(key))
        #expect(m.verifyFingerprint())
        let other = try STUNIntegrityKey(key: Array("K".utf8), algorithm: .hmacSHA256)
        #expect(!m.verifyMessageIntegrity(other))
    }

    @Test("Both integrity attributes together verify, SHA-256 covering MESSAGE-INTEGRITY")
    func both() throws {
        let sha1 = try STUNIntegrityKey(key: Array("k".utf8))
        let sha256 = try STUNIntegrityKey(key: Array("k".utf8), algorithm: .hmacSHA256)
        let m = try STUNMessage(parsing: try Self.request().encoded(messageIntegrity: sha1,
                                                                     messageIntegritySHA256: sha256, fingerprint: true))
        #expect(m.verifyMessageIntegrity(sha1))
        #expect(m.verifyMessageIntegrity(sha256))
        #expect(m.verifyFingerprint())
    }

    @Test("Signing refuses a key of the wrong algorithm, a bad truncation or an already signed message")
    func signingArguments() throws {
        let sha1 = try STUNIntegrityKey(key: [1])
        let request = try Self.request()
        #expect(throws: STUNError.self) { try request.encoded(messageIntegritySHA256: sha1) }
        let sha256 = try STUNIntegrityKey(key: [1], algorithm: .hmacSHA256)
        #expect(throws: STUNError.self) { try request.encoded(messageIntegritySHA256: sha256, sha256Length: 18) }
        let signed = try STUNMessage(parsing: try request.encoded(messageIntegrity: sha1))
        #expect(throws: STUNError.self) { try signed.encoded(messageIntegrity: sha1) }
    }

    @Test("Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored and do not break the check")
    func afterIntegrity() throws {
        let key = try STUNIntegrityKey(key: Array("k".utf8))
        var bytes = try Self.request().encoded(messageIntegrity: key)
        bytes += [0x00, 0x0D, 0x00, 0x04, 0, 0, 0, 9] // LIFETIME appended after MESSAGE-INTEGRITY
        let length = bytes.count - 20
        bytes[2] = UInt8(length >> 8); bytes[3] = UInt8(length & 0xFF)
        let m = try STUNMessage(parsing: bytes)
        #expect(m.verifyMessageIntegrity(key))
        #expect(try m.attribute(STUNLifetime.self) == nil)
        #expect(m.attributes.contains { $0.type == .lifetime }, "kept for the round trip")
        #expect(m.encoded() == bytes)
    }

    @Test("Nothing after FINGERPRINT is used")
    func afterFingerprint() throws {
        var bytes = try Self.request().encoded(fingerprint: true)
        bytes += [0x80, 0x22, 0x00, 0x01, 0x41, 0, 0, 0] // SOFTWARE after FINGERPRINT
        let length = bytes.count - 20
        bytes[3] = UInt8(length & 0xFF)
        let m = try STUNMessage(parsing: bytes)
        #expect(m.verifyFingerprint())
        #expect(try m.attribute(STUNSoftware.self)?.value == "ringlet test", "the first SOFTWARE, before it")
        #expect(m.attributeCount == 5)
    }

    @Test("Long-term keys: MD5 and SHA-256 of username:realm:password")
    func longTermKeys() throws {
        // Reference digests computed with `printf 'user:realm:pass' | openssl dgst -md5 / -sha256`.
        let md5 = try STUNIntegrityKey.longTermKeyBytes(username: "user", realm: "realm", password: "pass")
        #expect(md5.hexString == "8493fbc53ba582fb4c044c456bdc40eb")
        let sha = try STUNIntegrityKey.longTermKeyBytes(username: "user", realm: "realm", password: "pass",
                                                        passwordAlgorithm: .sha256)
        #expect(sha.hexString == "07e934117abd40836e7c6329b54731b2b2d2a5f9a71f544922d75e0730d8251b")
    }

    @Test("USERHASH is SHA-256 of username:realm")
    func userHash() throws {
        // `printf 'user:realm' | openssl dgst -sha256`.
        let hash = try STUNUserHash(username: "user", realm: "realm")
        #expect(hash.hash.hexString == "6a3029116b47aa98bcaa325399733dc1a23cd57e26b81bef3ff6531ce624e2da")
    }

    @Test("A copied key computes the same HMAC as the original")
    func copy() throws {
        let key = try STUNIntegrityKey(key: Array("abc".utf8))
        let dup = try key.copy()
        #expect(key.authenticationCode([1, 2, 3]) == dup.authenticationCode([1, 2, 3]))
        #expect(key.authenticationCode([1, 2, 3]).count == 20)
    }

    @Test("An empty key works and differs from the same data under a non-empty key")
    func emptyKey() throws {
        let empty = try STUNIntegrityKey(key: [])
        // `printf '1:a' | openssl dgst -sha1 -hmac '' -binary | base64` gives kFK7z8ZlzXK80GS+3mm1BBi8WFQ=.
        #expect(empty.authenticationCode(Array("1:a".utf8)).hexString == "9052bbcfc665cd72bcd064bede69b50418bc5854")
    }
}

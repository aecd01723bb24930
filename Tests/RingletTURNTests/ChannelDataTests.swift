import Testing
import RingletCore
@_spi(Fuzzing) @testable import RingletTURN

@Suite("TURN ChannelData")
struct ChannelDataTests {
    @Test("A message round-trips over UDP without padding")
    func udpRoundTrip() throws {
        let message = try ChannelData(channelNumber: 0x4001, data: Array("hello".utf8))
        var w = ByteWriter()
        message.encode(into: &w)
        #expect(w.bytes == [0x40, 0x01, 0x00, 0x05] + Array("hello".utf8))
        #expect(w.count == message.encodedSize)
        let parsed = try ChannelData(parsing: w.bytes)
        #expect(parsed == message)
        var again = ByteWriter()
        parsed.encode(into: &again)
        #expect(again.bytes == w.bytes)
    }

    @Test("Over TCP the data is zero-padded to 4 bytes and Length excludes the padding")
    func tcpPadding() throws {
        let message = try ChannelData(channelNumber: 0x4FFF, data: Array("hello".utf8))
        var w = ByteWriter()
        message.encode(into: &w, padded: true)
        #expect(w.count == 12)
        #expect(w.count == message.encodedSize(padded: true))
        #expect(Array(w.bytes[2..<4]) == [0, 5])
        #expect(Array(w.bytes.suffix(3)) == [0, 0, 0])
        let (parsed, consumed) = try #require(try ChannelData.parse(stream: w.bytes[...]))
        #expect(parsed == message)
        #expect(consumed == 12)
    }

    @Test("A UDP datagram with trailing padding parses to the declared length")
    func udpWithPadding() throws {
        let parsed = try ChannelData(parsing: [0x40, 0x00, 0x00, 0x01, 0xAB, 0x00, 0x00, 0x00])
        #expect(Array(parsed.data) == [0xAB])
    }

    @Test("A stream buffer without the whole padded message asks for more")
    func streamNeedsMore() throws {
        #expect(try ChannelData.parse(stream: [0x40, 0x00][...]) == nil)
        #expect(try ChannelData.parse(stream: [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5][...]) == nil,
                "padding is required over TCP")
        let full: [UInt8] = [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0, 0x40]
        let (m, consumed) = try #require(try ChannelData.parse(stream: full[...]))
        #expect(consumed == 12)
        #expect(Array(m.data) == [1, 2, 3, 4, 5])
    }

    @Test("Channel numbers outside 0x4000–0x4FFF are refused", arguments: [UInt16(0x0000), 0x3FFF, 0x5000, 0xFFFF])
    func badChannel(number: UInt16) throws {
        #expect(throws: TURNError.self) { try ChannelData(channelNumber: number, data: [UInt8]()) }
        let datagram = [UInt8(number >> 8), UInt8(number & 0xFF), 0, 0]
        let error = #expect(throws: TURNError.self) { try ChannelData(parsing: datagram) }
        #expect(error?.code == .invalidChannelNumber)
    }

    @Test("Datagrams shorter than the header or the declared length are refused", arguments: [
        [UInt8](), [0x40], [0x40, 0x00, 0x00], [0x40, 0x00, 0x00, 0x02, 0x01],
    ])
    func truncated(datagram: [UInt8]) {
        let error = #expect(throws: TURNError.self) { try ChannelData(parsing: datagram) }
        #expect(error?.code == .truncated)
    }

    @Test("Data longer than 65535 bytes cannot be built")
    func oversized() {
        #expect(throws: TURNError.self) {
            try ChannelData(channelNumber: 0x4000, data: [UInt8](repeating: 0, count: 0x10000))
        }
    }

    @Test("looksLikeChannelData accepts 0x40–0x4F with a fitting length and nothing else")
    func looksLike() {
        #expect(ChannelData.looksLikeChannelData([0x40, 0x00, 0x00, 0x00]))
        #expect(ChannelData.looksLikeChannelData([0x4F, 0xFF, 0x00, 0x01, 0x01]))
        #expect(!ChannelData.looksLikeChannelData([0x50, 0x00, 0x00, 0x00]))
        #expect(!ChannelData.looksLikeChannelData([0x00, 0x01, 0x00, 0x00]))
        #expect(!ChannelData.looksLikeChannelData([0x40, 0x00, 0x00, 0x02, 0x01]))
        #expect(!ChannelData.looksLikeChannelData([0x40]))
    }

    @Test("Stream framing tells STUN from ChannelData and gives each frame's length")
    func framing() throws {
        #expect(try TURNStreamFraming.frameLength([0x00, 0x01]) == nil)
        let stun = try #require(try TURNStreamFraming.frameLength([0x00, 0x01, 0x00, 0x08, 0x21]))
        #expect(stun.kind == .stun && stun.length == 28)
        let cd = try #require(try TURNStreamFraming.frameLength([0x40, 0x01, 0x00, 0x05]))
        #expect(cd.kind == .channelData && cd.length == 12)
        #expect(throws: TURNError.self) { try TURNStreamFraming.frameLength([0x80, 0x00, 0x00, 0x00]) }
        #expect(throws: TURNError.self) { try TURNStreamFraming.frameLength([0x50, 0x00, 0x00, 0x00]) }
    }

    @Test("RFC 5766's channel numbers 0x4000–0x7FFF parse and frame when asked for")
    func rfc5766Numbers() throws {
        let range = ChannelData.rfc5766ChannelNumberRange
        let parsed = try ChannelData(parsing: [0x7F, 0xFF, 0x00, 0x01, 9][...], accepting: range)
        #expect(parsed.channelNumber == 0x7FFF && parsed.data.elementsEqual([9]))
        #expect(throws: TURNError.self) { try ChannelData(parsing: [0x7F, 0xFF, 0x00, 0x01, 9]) }
        let frame = try #require(try TURNStreamFraming.frameLength([0x50, 0x00, 0x00, 0x05][...], accepting: range))
        #expect(frame.kind == .channelData && frame.length == 12)
        #expect(throws: TURNError.self) {
            try TURNStreamFraming.frameLength([0x50, 0x00, 0x00, 0x00][...], accepting: ChannelData.channelNumberRange)
        }
    }

    @Test("Twenty thousand seeded random datagrams and mutations never trap")
    func garbage() throws {
        var rng = SeededRandom(seed: 0x4000)
        var parsed = 0
        for i in 0..<20_000 {
            var bytes = rng.bytes(Int(rng.next() % 80))
            if i % 2 == 0, bytes.count >= 4 {
                bytes[0] = 0x40 | (bytes[0] & 0x0F)
                bytes[2] = 0
                bytes[3] = UInt8(truncatingIfNeeded: (bytes.count - 4) &- Int(rng.next() % 4))
            }
            if (try? ChannelData(parsing: bytes)) != nil { parsed += 1 }
            TURNFuzz.channelData(bytes)
        }
        #expect(parsed > 0)
    }
}

@Suite("TURN REST credentials")
struct TURNRESTCredentialTests {
    @Test("The password matches openssl's HMAC-SHA1 in base64")
    func password() throws {
        // printf '%s' '1735689600:device-42' | openssl dgst -sha1 -hmac 'north-wind-secret' -binary | base64
        let credential = try TURNRESTCredential(id: "device-42", expiry: 1_735_689_600,
                                                secret: Array("north-wind-secret".utf8))
        #expect(credential.username == "1735689600:device-42")
        #expect(credential.password == "asLa5o2AGpwd5gFNvE6u5vwMJbo=")
    }

    @Test("The expiry is read back from a REST username")
    func expiry() {
        #expect(TURNRESTCredential.expiry(ofUsername: "1735689600:device-42") == 1_735_689_600)
        #expect(TURNRESTCredential.expiry(ofUsername: "device-42") == nil)
        #expect(TURNRESTCredential.expiry(ofUsername: "abc:device") == nil)
    }

    @Test("Base64 pads as RFC 4648 §10 shows", arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func base64(input: String, expected: String) {
        #expect(Base64.encode(Array(input.utf8)) == expected)
    }

    @Test("Base64 uses + and / for the top of the alphabet")
    func base64Alphabet() {
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
    }
}

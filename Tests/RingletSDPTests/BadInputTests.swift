import RingletCore
import Testing

@_spi(Fuzzing) @testable import RingletSDP

@Suite("Bad input")
struct BadInputTests {
    static let minimal = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    static func parseError(_ text: String) throws -> SDPError {
        try #require(throws: SDPError.self) { try SessionDescription(parsing: text) }
    }

    @Test(
        "malformed descriptions throw the typed error for what is wrong, at the right line",
        arguments: [
            ("", SDPError.Code.missingLine, nil as Int?),
            ("o=- 1 2 IN IP4 127.0.0.1\r\n", .missingLine, 1),
            ("v=1\r\n", .invalidNumber, 1),
            ("v=0\r\ns=-\r\nt=0 0\r\n", .missingLine, 3),
            ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n", .missingLine, 3),
            ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nt=0 0\r\ns=-\r\n", .lineOutOfOrder, 4),
            ("v=0\r\no=- 1 2 IN IP4\r\n", .invalidField, 2),
            ("v=0\r\no=- x 2 IN IP4 127.0.0.1\r\n", .invalidNumber, 2),
            (minimal + "\r\n", .malformedLine, 5),
            (minimal + "a\r\n", .malformedLine, 5),
            (minimal + "a:x\r\n", .malformedLine, 5),
            (minimal + "x=1\r\n", .unknownLineType, 5),
            (minimal + "A=1\r\n", .malformedLine, 5),
            (minimal + "a=\r\n", .invalidField, 5),
            (minimal + "a=x\ry\r\n", .invalidText, 5),
            (minimal + "a=x\u{0}\r\n", .invalidText, 5),
            (minimal + "m=audio 9 RTP/AVP\r\n", .invalidField, 5),
            (minimal + "m=audio 65536 RTP/AVP 0\r\n", .invalidNumber, 5),
            (minimal + "m=audio -1 RTP/AVP 0\r\n", .invalidNumber, 5),
            (minimal + "m=audio 09 RTP/AVP 0\r\n", .invalidNumber, 5),
            (minimal + "m=audio 9/0 RTP/AVP 0\r\n", .invalidNumber, 5),
            (minimal + "m=audio  9 RTP/AVP 0\r\n", .invalidField, 5),
            (minimal + "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", .lineOutOfOrder, 6),
            (minimal + "m=audio 9 RTP/AVP 0\r\na=x\r\nc=IN IP4 0.0.0.0\r\n", .lineOutOfOrder, 7),
            (minimal + "m=audio 9 RTP/AVP 0\r\ni=a\r\ni=b\r\n", .lineOutOfOrder, 7),
            (minimal + "b=AS:x\r\n", .lineOutOfOrder, 5),
            ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nb=AS:99999999999999999999\r\n", .invalidNumber, 4),
            ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 18446744073709551616\r\n", .invalidNumber, 4),
            ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nr=1 2 3\r\n", .lineOutOfOrder, 4),
            ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=\r\nt=0 0\r\n", .invalidField, 3),
        ])
    func malformed(text: String, code: SDPError.Code, line: Int?) throws {
        let error = try Self.parseError(text)
        #expect(error.code == code)
        if let line { #expect(error.line == line) }
    }

    @Test("a description larger than 64 KiB is refused before parsing")
    func tooLarge() throws {
        let text = Self.minimal + String(repeating: "a=x\r\n", count: 14_000)
        let error = try Self.parseError(text)
        #expect(error.code == .tooLarge)
        #expect(error.line == nil)
    }

    @Test("more than 4096 lines are refused")
    func tooManyLines() throws {
        let text = Self.minimal + String(repeating: "a=\n", count: 0) + String(repeating: "a=x\n", count: 5_000)
        let error = try Self.parseError(text)
        #expect(error.code == .tooManyLines)
        #expect(error.line == SessionDescription.maximumLineCount + 1)
    }

    @Test("more than 64 m-sections are refused")
    func tooManyMedia() throws {
        let text = Self.minimal + String(repeating: "m=audio 9 RTP/AVP 0\r\n", count: 65)
        #expect(try Self.parseError(text).code == .tooManyLines)
    }

    @Test("invalid UTF-8 is refused with the line number")
    func invalidUTF8() throws {
        let bytes = Array(Self.minimal.utf8) + [0x61, 0x3D, 0xC3, 0x28, 0x0D, 0x0A]
        let error = try #require(throws: SDPError.self) { try SessionDescription(parsing: bytes) }
        #expect(error.code == .invalidText)
        #expect(error.line == 5)
        #expect(error.offset == Self.minimal.utf8.count)
    }

    @Test("truncations of Chromium's offer (every 5th length) parse or throw a typed error")
    func truncations() throws {
        let bytes = try Fixtures.vector("chromium-offer")
        var parsed = 0
        for n in stride(from: 0, to: bytes.count, by: 5) {
            if let sdp = try? SessionDescription(parsing: Array(bytes[..<n])) {
                parsed += 1
                #expect(try SessionDescription(parsing: sdp.bytes) == sdp)
            }
        }
        // Cuts inside the session section fail; most cuts after the first m-line parse.
        #expect(parsed > 0 && parsed < bytes.count / 5)
    }

    @Test(
        "malformed WebRTC attributes throw invalidAttribute naming the m-section",
        arguments: [
            ("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus"),
            ("a=rtpmap:111 opus/48000/2", "a=rtpmap:128 opus/48000/2"),
            ("a=fingerprint:sha-256 57:B7", "a=fingerprint:sha-256 57B7"),
            ("a=extmap:1 urn", "a=extmap:0 urn"),
            ("a=extmap:1 urn", "a=extmap:1/sideways urn"),
            ("a=ssrc:357608992 cname", "a=ssrc:-1 cname"),
            ("a=ice-ufrag:bF8k", "a=ice-ufrag:bF8"),
            ("a=candidate:595327611 1 udp", "a=candidate:595327611 1 udp x"),
            ("a=rtcp-fb:111 transport-cc", "a=rtcp-fb:x transport-cc"),
            ("a=setup:actpass", "a=setup"),
        ])
    func badAttributes(original: String, replacement: String) throws {
        let text = String(decoding: try Fixtures.vector("chromium-offer"), as: UTF8.self)
        let index = try #require(text.range(of: original))
        let changed = text.replacingCharacters(in: index, with: replacement)
        let sdp = try SessionDescription(parsing: changed)
        let error = try #require(throws: SDPError.self) { try WebRTCSessionView(sdp) }
        #expect(error.code == .invalidAttribute)
        #expect(error.mediaIndex == 0)
    }

    @Test("a repeated mid in one m-section is a duplicateAttribute error")
    func duplicateMid() throws {
        let text = String(decoding: try Fixtures.vector("chromium-offer"), as: UTF8.self)
            .replacingOccurrences(of: "a=mid:1\r\n", with: "a=mid:1\r\na=mid:2\r\n")
        let error = try #require(throws: SDPError.self) { try WebRTCSessionView(try SessionDescription(parsing: text)) }
        #expect(error.code == .duplicateAttribute)
        #expect(error.mediaIndex == 1)
    }

    @Test("20 000 seeded random inputs never trap: each parses or throws SDPError")
    func seededGarbage() {
        var rng = SeededRandom(seed: 0x5D9)
        let alphabet = Array("vosiuepcbtrzkam= \r\n0123456789:/.-abcdefIP4IN".utf8)
        var parsed = 0
        for i in 0..<20_000 {
            let length = Int(rng.next() % 300)
            let bytes: [UInt8] = i % 2 == 0
                ? rng.bytes(length)
                : (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if (try? SessionDescription(parsing: Self.minimal.utf8 + bytes)) != nil { parsed += 1 }
            SDPFuzz.sessionDescription(bytes)
            _ = try? ICECandidateLine(parsing: String(decoding: bytes, as: UTF8.self))
        }
        #expect(parsed < 20_000)
    }

    @Test("3 000 seeded mutations of Chromium's offer keep every invariant of the fuzz entry")
    func mutations() throws {
        let base = try Fixtures.vector("chromium-offer")
        var rng = SeededRandom(seed: 7)
        var parsed = 0, viewed = 0
        for _ in 0..<3_000 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(Array(" :=/\r\n0a".utf8)[Int(rng.next() % 8)], at: at)
                default: bytes[at] = UInt8(ascii: "9")
                }
            }
            SDPFuzz.sessionDescription(bytes)
            if let sdp = try? SessionDescription(parsing: bytes) {
                parsed += 1
                if (try? WebRTCSessionView(sdp)) != nil { viewed += 1 }
            }
        }
        // Mutations hit both outcomes: some survive, some are caught.
        #expect(parsed > 0 && parsed < 3_000)
        #expect(viewed > 0 && viewed < parsed)
    }

    @Test("the fuzz entry accepts every vector")
    func fuzzVectors() throws {
        for name in ["chromium-offer", "chromium-answer", "ringlet-offer", "ringlet-answer", "chromium-accepted-answer"] {
            let bytes = try Fixtures.vector(name)
            #expect(SDPFuzz.usesCRLF(bytes))
            SDPFuzz.sessionDescription(bytes)
        }
    }

    @Test("ICE passwords never appear in descriptions")
    func redactedPassword() throws {
        let ice = try ICEParameters(usernameFragment: "abcd", password: "secretsecretsecretsecret")
        #expect(!String(describing: ice).contains("secretsecret"))
        #expect(!"\(ice.password)".contains("secret"))
    }
}

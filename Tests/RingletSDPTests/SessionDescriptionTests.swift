import RingletCore
import Testing

@testable import RingletSDP

@Suite("SessionDescription line model")
struct SessionDescriptionTests {
    @Test("Chromium's offer parses and prints back byte for byte")
    func chromiumRoundTrip() throws {
        let bytes = try Fixtures.vector("chromium-offer")
        let sdp = try SessionDescription(parsing: bytes)
        #expect(sdp.bytes == bytes)
        #expect(sdp.encodedSize == bytes.count)
        #expect(try SessionDescription(parsing: sdp.bytes) == sdp)
    }

    @Test("Chromium's answer parses and prints back byte for byte")
    func chromiumAnswerRoundTrip() throws {
        let bytes = try Fixtures.vector("chromium-answer")
        let sdp = try SessionDescription(parsing: bytes)
        #expect(sdp.bytes == bytes)
    }

    @Test("the session-level lines of Chromium's offer are read into their fields")
    func chromiumSessionFields() throws {
        let sdp = try Fixtures.chromiumOffer()
        #expect(sdp.version == 0)
        #expect(sdp.origin.username == "-")
        #expect(sdp.origin.sessionID == "86159709908534289")
        #expect(sdp.origin.sessionVersion == "2")
        #expect(sdp.origin.unicastAddress == "127.0.0.1")
        #expect(sdp.sessionName == "-")
        #expect(sdp.timings == [SDPTiming(start: 0, stop: 0)])
        #expect(sdp.attributes.map(\.name) == ["group", "extmap-allow-mixed", "msid-semantic"])
        #expect(sdp.attributes[1].value == nil)
        #expect(sdp.attributeValue("msid-semantic") == " WMS 69c7f51f-5486-4c5c-a197-d24532007ca7")
    }

    @Test("the m-lines of Chromium's offer are read into media, port, proto and formats")
    func chromiumMediaLines() throws {
        let sdp = try Fixtures.chromiumOffer()
        #expect(sdp.media.count == 2)
        let audio = sdp.media[0], video = sdp.media[1]
        #expect(audio.media == .audio)
        #expect(audio.port == 60167)
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.formats == ["111", "63", "9", "0", "8", "13", "110", "126"])
        #expect(audio.connections.map(\.value) == ["IN IP4 127.0.0.1"])
        #expect(video.media == .video)
        #expect(video.port == 58974)
        #expect(video.formats.count == 23)
        #expect(video.formats.first == "96")
        #expect(video.formats.last == "120")
        #expect(audio.attributes.first == (try SDPAttribute("rtcp", "9 IN IP4 0.0.0.0")))
    }

    @Test("LF line endings are accepted and printed as CRLF")
    func lfAccepted() throws {
        let crlf = try Fixtures.vector("chromium-offer")
        let lf = crlf.filter { $0 != 0x0D }
        let sdp = try SessionDescription(parsing: lf)
        #expect(sdp.bytes == crlf)
    }

    @Test("a last line without a line ending is accepted")
    func missingFinalNewline() throws {
        let sdp = try SessionDescription(parsing: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=x:y")
        #expect(sdp.attributes == [try SDPAttribute("x", "y")])
        #expect(sdp.text == "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=x:y\r\n")
    }

    @Test("every optional line type of RFC 8866 round-trips in grammar order")
    func allLineTypes() throws {
        let text = [
            "v=0", "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1", "s=Call to John Smith",
            "i=SDP Offer #1", "u=http://www.jdoe.example.com/home.html", "e=Jane Doe <jane@jdoe.example.com>",
            "p=+1 617 555-6011", "c=IN IP4 198.51.100.1", "b=AS:64", "t=0 0", "r=604800 3600 0 90000",
            "t=3724394400 3724398000", "z=2882844526 -1h", "k=clear:secret", "a=recvonly", "a=empty:",
            "m=audio 49170/2 RTP/AVP 0", "i=voice", "c=IN IP4 198.51.100.2", "c=IN IP4 198.51.100.3",
            "b=TIAS:64000", "k=prompt", "a=rtpmap:0 PCMU/8000",
            "m=video 51372 RTP/AVP 99", "a=rtpmap:99 h263-1998/90000", "",
        ].joined(separator: "\r\n")
        let sdp = try SessionDescription(parsing: text)
        #expect(sdp.text == text)
        #expect(sdp.timings.count == 2)
        #expect(sdp.timings[0].repeats == ["604800 3600 0 90000"])
        #expect(sdp.media[0].portCount == 2)
        #expect(sdp.media[0].connections.count == 2)
        #expect(sdp.media[0].bandwidths == [try SDPBandwidth(type: "TIAS", bandwidth: 64000)])
        #expect(sdp.attributes[1].value == "")
    }
}

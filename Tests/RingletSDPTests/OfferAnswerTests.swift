import RingletCore
import Testing

@testable import RingletSDP

@Suite("Offer and answer writers")
struct OfferAnswerTests {
    @Test("our offer reproduces the vector Chromium answered")
    func offerGolden() throws {
        let offer = try SessionDescription.offer(local: try Fixtures.local(candidates: [try Fixtures.hostCandidate()]))
        #expect(offer.bytes == (try Fixtures.vector("ringlet-offer")))
    }

    @Test("our offer re-parses to the typed values it was written from")
    func offerTyped() throws {
        let local = try Fixtures.local(candidates: [try Fixtures.hostCandidate()])
        let view = try WebRTCSessionView(try SessionDescription(parsing: try SessionDescription.offer(local: local).bytes))
        #expect(view.bundle?.mids == ["0", "1"])
        #expect(view.media.map(\.kind) == [.audio, .video])
        for m in view.media {
            #expect(m.ice == local.ice)
            #expect(m.fingerprints == [local.fingerprint])
            #expect(m.setup == .actpass)
            #expect(m.rtcpMux)
            #expect(m.direction == .sendrecv)
            #expect(m.headerExtensions == local.headerExtensions)
        }
        let audio = view.media[0], video = view.media[1]
        #expect(audio.codecs.map(\.name) == ["opus", "PCMU", "PCMA"])
        #expect(audio.codecs[0].parameters == [FormatParameter("minptime", "10"), FormatParameter("useinbandfec", "1")])
        #expect(audio.candidates == local.candidates)
        #expect(audio.endOfCandidates)
        #expect(video.candidates.isEmpty)
        let h264 = try #require(video.codecs.first)
        #expect(h264.name == "H264")
        #expect(h264.parameter("profile-level-id") == "42e01f")
        #expect(h264.parameter("packetization-mode") == "1")
        #expect(h264.parameter("level-asymmetry-allowed") == "1")
        #expect(h264.feedback == [.googREMB, .transportCC, .ccmFIR, .nack, .nackPLI])
        #expect(video.ssrcs.first == SSRCAttribute(ssrc: 2222, name: "cname", value: "ringletcname"))
    }

    @Test("Chromium's answer to our offer keeps our payload types and takes the DTLS client role")
    func chromiumAnsweredOurOffer() throws {
        let view = try WebRTCSessionView(try SessionDescription(parsing: try Fixtures.vector("chromium-answer")))
        #expect(view.bundle?.mids == ["0", "1"])
        #expect(view.media[0].codecs.map(\.payloadType) == [111, 0, 8])
        #expect(view.media[1].codecs.map(\.payloadType) == [96])
        #expect(view.media[1].codecs.first?.parameter("profile-level-id") == "42e01f")
        #expect(view.media.allSatisfy { $0.setup == .active && $0.rtcpMux })
    }

    @Test("a sendonly or recvonly offer is written with that direction")
    func offerDirections() throws {
        let local = try Fixtures.local(
            audio: SDPLocalMedia(direction: .recvonly, codecs: [.pcmu]), video: SDPLocalMedia(direction: .sendonly, codecs: [.h264]))
        let view = try WebRTCSessionView(try SessionDescription.offer(local: local))
        #expect(view.media.map(\.direction) == [.recvonly, .sendonly])
        #expect(view.media[0].codecs.map(\.payloadType) == [0])
    }

    @Test("an offer with neither audio nor video is refused")
    func emptyOffer() throws {
        let local = try Fixtures.local(audio: nil, video: nil)
        #expect(throws: SDPError.self) { try SessionDescription.offer(local: local) }
    }

    @Test("our answer to Chromium's offer reproduces the vector Chromium accepted")
    func answerGolden() throws {
        let answer = try SessionDescription.answer(to: try Fixtures.chromiumOffer(), local: try Fixtures.local())
        #expect(answer.bytes == (try Fixtures.vector("ringlet-answer")))
        let accepted = try Fixtures.vector("chromium-accepted-answer")
        let withoutMsidSemantic = Fixtures.removingLines(String(decoding: accepted, as: UTF8.self), prefix: "a=msid-semantic")
        #expect(answer.text == withoutMsidSemantic)
    }

    @Test("our answer to Chromium's offer picks Opus 111 and H.264 102, mirrors mids and BUNDLE, and is active")
    func answerTyped() throws {
        let answer = try SessionDescription.answer(to: try Fixtures.chromiumOffer(), local: try Fixtures.local())
        let view = try WebRTCSessionView(try SessionDescription(parsing: answer.bytes))
        #expect(view.bundle?.mids == ["0", "1"])
        #expect(view.media.map(\.mid) == ["0", "1"])
        #expect(view.media.map { $0.codecs.map(\.payloadType) } == [[111], [102]])
        #expect(view.media[1].codecs[0].parameter("profile-level-id") == "42001f")
        #expect(view.media.allSatisfy { $0.setup == .active && $0.rtcpMux && $0.direction == .sendrecv })
        #expect(view.media[1].headerExtensions.map(\.id) == [2, 3, 4])
    }

    @Test("the answer follows the answerer's codec preference: G.711 first picks PCMU 0 from Chromium's Opus-first offer",
          arguments: [([RingletCodec.pcmu, .pcma, .opus], 0), ([.pcma, .opus], 8), ([.opus, .pcmu], 111)])
    func answererPreference(local: [RingletCodec], payloadType: Int) throws {
        let answer = try SessionDescription.answer(to: try Fixtures.chromiumOffer(),
                                                   local: try Fixtures.local(audio: SDPLocalMedia(codecs: local, ssrc: 1111)))
        let view = try WebRTCSessionView(try SessionDescription(parsing: answer.bytes))
        #expect(view.media[0].codecs.map { Int($0.payloadType) } == [payloadType])
    }

    static let dataChannel = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=sctp-port:5000\r\n"

    @Test("a data channel m-section is rejected with port 0 and left out of BUNDLE")
    func rejectsDataChannel() throws {
        var text = String(decoding: try Fixtures.vector("chromium-offer"), as: UTF8.self)
        text = text.replacingOccurrences(of: "a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2") + Self.dataChannel
        let answer = try SessionDescription.answer(to: try SessionDescription(parsing: text), local: try Fixtures.local())
        #expect(answer.media.count == 3)
        #expect(answer.media[2].port == 0)
        #expect(answer.media[2].formats == ["webrtc-datachannel"])
        #expect(answer.media[2].attributeValue("mid") == "2")
        #expect(try WebRTCSessionView(answer).bundle?.mids == ["0", "1"])
    }

    @Test(
        "the answered direction is the offered one reversed, limited by ours",
        arguments: [
            (MediaDirection.sendrecv, MediaDirection.sendrecv, MediaDirection.sendrecv),
            (.sendonly, .sendrecv, .recvonly), (.recvonly, .sendrecv, .sendonly), (.inactive, .sendrecv, .inactive),
            (.sendrecv, .sendonly, .sendonly), (.sendonly, .sendonly, .inactive), (.recvonly, .recvonly, .inactive),
        ])
    func directions(offered: MediaDirection, local: MediaDirection, answered: MediaDirection) throws {
        let text = String(decoding: try Fixtures.vector("chromium-offer"), as: UTF8.self)
            .replacingOccurrences(of: "a=sendrecv", with: "a=" + offered.rawValue)
        let caps = try Fixtures.local(audio: SDPLocalMedia(direction: local, codecs: [.opus]),
                                      video: SDPLocalMedia(direction: local, codecs: [.h264]))
        let answer = try SessionDescription.answer(to: try SessionDescription(parsing: text), local: caps)
        #expect(try WebRTCSessionView(answer).media.map(\.direction) == [answered, answered])
    }

    @Test("setup is answered by RFC 8842: actpass and passive get active, active gets passive",
          arguments: [("actpass", "active"), ("passive", "active"), ("active", "passive")])
    func setupRoles(offered: String, answered: String) throws {
        let text = String(decoding: try Fixtures.vector("chromium-offer"), as: UTF8.self)
            .replacingOccurrences(of: "a=setup:actpass", with: "a=setup:" + offered)
        let answer = try SessionDescription.answer(to: try SessionDescription(parsing: text), local: try Fixtures.local())
        #expect(try WebRTCSessionView(answer).media.map { $0.setup?.rawValue } == [answered, answered])
    }

    @Test(
        "unanswerable offers are refused with a typed error",
        arguments: [
            ("a=ice-", SDPError.Code.missingICECredentials),
            ("a=ice-pwd:", .invalidAttribute),
            ("a=fingerprint:", .missingFingerprint),
            ("a=rtpmap:111 ", .noCommonCodec),
        ])
    func refused(prefix: String, code: SDPError.Code) throws {
        var text = Fixtures.removingLines(String(decoding: try Fixtures.vector("chromium-offer"), as: UTF8.self), prefix: prefix)
        if prefix.hasPrefix("a=rtpmap") {
            // Leave no codec Ringlet supports: drop Opus, PCMU, PCMA and every H.264.
            for p in ["a=rtpmap:0 ", "a=rtpmap:8 ", "a=rtpmap:102 ", "a=rtpmap:108 "] {
                text = Fixtures.removingLines(text, prefix: p)
            }
            text = text.replacingOccurrences(of: " 0 8 13", with: " 13")
        }
        let offer = try SessionDescription(parsing: text)
        let error = try #require(throws: SDPError.self) {
            try SessionDescription.answer(to: offer, local: try Fixtures.local())
        }
        #expect(error.code == code)
    }

    @Test("setup:holdconn cannot be answered")
    func holdconn() throws {
        let text = String(decoding: try Fixtures.vector("chromium-offer"), as: UTF8.self)
            .replacingOccurrences(of: "a=setup:actpass", with: "a=setup:holdconn")
        let error = try #require(throws: SDPError.self) {
            try SessionDescription.answer(to: try SessionDescription(parsing: text), local: try Fixtures.local())
        }
        #expect(error.code == .unsupportedSetup)
        #expect(error.mediaIndex == 0)
    }

    @Test(
        "the H.264 profile rule accepts baseline and constrained baseline only",
        arguments: [
            ("42e01f", true), ("42001f", true), ("42c01f", true), ("4d801f", true), ("58c01f", true),
            ("4d001f", false), ("640c1f", false), ("f4001f", false), ("42e01", false), ("zzzzzz", false),
        ])
    func h264Rule(profileLevelID: String, accepted: Bool) throws {
        let codec = try RTPCodec(
            payloadType: 100, name: "h264", clockRate: 90000,
            parameters: [FormatParameter("packetization-mode", "1"), FormatParameter("profile-level-id", profileLevelID)])
        #expect(RingletCodec.h264.matches(codec) == accepted)
    }

    @Test("H.264 with packetization-mode 0 is not supported")
    func h264Mode0() throws {
        let codec = try RTPCodec(payloadType: 100, name: "H264", clockRate: 90000,
                                 parameters: [FormatParameter("profile-level-id", "42e01f")])
        #expect(!RingletCodec.h264.matches(codec))
    }
}

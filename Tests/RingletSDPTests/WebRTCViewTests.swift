import RingletCore
import Testing

@testable import RingletSDP

@Suite("WebRTC view of Chromium's offer")
struct WebRTCViewTests {
    let view: WebRTCSessionView

    init() throws {
        view = try WebRTCSessionView(try Fixtures.chromiumOffer())
    }

    @Test("the BUNDLE group lists both mids and each m-section has its mid")
    func bundleAndMids() {
        #expect(view.bundle == SDPGroup(semantics: "BUNDLE", mids: ["0", "1"]))
        #expect(view.media.map(\.mid) == ["0", "1"])
        #expect(view.media.map(\.kind) == [.audio, .video])
        #expect(view.extmapAllowMixed)
        #expect(!view.iceLite)
    }

    @Test("ICE credentials and trickle come from the m-section lines")
    func ice() throws {
        for m in view.media {
            let ice = try #require(m.ice)
            #expect(ice.usernameFragment == "bF8k")
            #expect(ice.password.value == "DEQGf1NjFahiVQ/eQ07rC43B")
            #expect(ice.trickle)
        }
        #expect(view.ice == nil)
    }

    @Test("the fingerprint is sha-256 with the 32 bytes of the file, and setup is actpass")
    func fingerprint() throws {
        let expected = try #require([UInt8](hex:
            "57B7371C8022FB2BECFA5D1082B6BD7647BC40A2DA15E03364268AE8CF26914A"))
        for m in view.media {
            #expect(m.fingerprints.count == 1)
            #expect(m.fingerprints.first?.algorithm == "sha-256")
            #expect(m.fingerprints.first?.bytes == expected)
            #expect(m.setup == .actpass)
        }
    }

    @Test("direction, rtcp-mux, rtcp-rsize and msid are read per m-section")
    func flags() {
        for m in view.media {
            #expect(m.direction == .sendrecv)
            #expect(m.rtcpMux)
            #expect(m.rtcpReducedSize)
            #expect(!m.bundleOnly)
            #expect(!m.isRejected)
            #expect(m.msids.first?.streamID == "69c7f51f-5486-4c5c-a197-d24532007ca7")
        }
        #expect(view.media[0].msids.first?.trackID == "82d423a9-33e5-4f50-9d80-0367fed95057")
    }

    @Test("Opus has its clock, channels, fmtp in order and transport-cc feedback")
    func opus() throws {
        let audio = view.media[0]
        #expect(audio.codecs.map(\.payloadType) == [111, 63, 9, 0, 8, 13, 110, 126])
        let opus = try #require(audio.codec(payloadType: 111))
        #expect(opus.name == "opus")
        #expect(opus.clockRate == 48000)
        #expect(opus.channels == 2)
        #expect(opus.parameters == [FormatParameter("minptime", "10"), FormatParameter("useinbandfec", "1")])
        #expect(opus.feedback == [.transportCC])
        #expect(audio.codec(payloadType: 0)?.name == "PCMU")
        #expect(audio.codec(payloadType: 126)?.name == "telephone-event")
    }

    @Test("H.264 payload types carry their profile-level-id, packetization-mode and five feedback entries")
    func h264() throws {
        let video = view.media[1]
        let h264 = video.codecs.filter { $0.isNamed("H264") }
        #expect(h264.map(\.payloadType) == [102, 104, 108, 114, 116, 39])
        #expect(h264.map { $0.parameter("profile-level-id") ?? "" }
            == ["42001f", "42001f", "42e01f", "42e01f", "4d001f", "4d001f"])
        #expect(h264.map { $0.parameter("packetization-mode") ?? "" } == ["1", "0", "1", "0", "1", "0"])
        #expect(h264[0].feedback == [.googREMB, .transportCC, .ccmFIR, .nack, .nackPLI])
        #expect(video.codec(payloadType: 97)?.parameters == [FormatParameter("apt", "96")])
    }

    @Test("extmap ids and URIs are read in order")
    func extmaps() {
        let audio = view.media[0], video = view.media[1]
        #expect(audio.headerExtensions.map(\.id) == [1, 2, 3, 4])
        #expect(audio.headerExtensionID(uri: RTPHeaderExtensionMap.midURI) == 4)
        #expect(video.headerExtensions.count == 11)
        #expect(video.headerExtensionID(uri: RTPHeaderExtensionMap.transportWideCCURI) == 3)
        #expect(video.headerExtensions.first?.uri == "urn:ietf:params:rtp-hdrext:toffset")
    }

    @Test("ssrc and ssrc-group lines are read")
    func ssrcs() {
        let audio = view.media[0], video = view.media[1]
        #expect(audio.ssrcs.first == SSRCAttribute(ssrc: 357_608_992, name: "cname", value: "7q8qzDfETH86Hyug"))
        #expect(video.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [970_234_420, 3_515_778_978])])
        #expect(video.ssrcs.count == 4)
    }

    @Test("host candidates on 127.0.0.1 are read with their extensions")
    func candidates() throws {
        let audio = view.media[0]
        #expect(audio.candidates.count == 2)
        let udp = audio.candidates[0], tcp = audio.candidates[1]
        #expect(udp.foundation == "595327611")
        #expect(udp.component == 1)
        #expect(udp.isUDP)
        #expect(udp.priority == 2_122_260_223)
        #expect(udp.address == "127.0.0.1")
        #expect(udp.port == 60167)
        #expect(udp.type == .host)
        #expect(udp.generation == 0)
        #expect(udp.extensionValue("network-cost") == "50")
        #expect(tcp.transport == "tcp")
        #expect(tcp.tcpType == "active")
        #expect(tcp.port == 9)
        #expect(!audio.endOfCandidates)
    }
}

@Suite("ICE candidate lines")
struct ICECandidateLineTests {
    @Test(
        "a trickled candidate parses and prints back",
        arguments: [
            "candidate:595327611 1 udp 2122260223 127.0.0.1 60167 typ host generation 0 network-id 1 network-cost 50",
            "candidate:1 1 UDP 1694498815 203.0.113.7 40000 typ srflx raddr 10.0.0.2 rport 5000",
            "candidate:2 1 udp 16777215 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 40000 generation 0 ufrag abcd",
            "candidate:3 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0",
            "candidate:4 2 udp 2122260222 2001:db8::1 5000 typ host",
            "candidate:5 1 udp 2122260223 3c9a7d1f-2b04-4a3e-9b1f-0c8f7f0d5e6a.local 53421 typ host generation 0",
            "candidate:6 1 udp 1 192.0.2.1 1 typ prflx",
        ])
    func trickle(text: String) throws {
        let c = try ICECandidateLine(parsing: text)
        #expect(c.trickleText == text)
        #expect(try ICECandidateLine(parsing: c.value) == c)
        #expect(try ICECandidateLine(parsing: "a=" + text) == c)
    }

    @Test("related address and port of a server-reflexive candidate are read")
    func related() throws {
        let c = try ICECandidateLine(parsing: "candidate:1 1 UDP 1694498815 203.0.113.7 40000 typ srflx raddr 10.0.0.2 rport 5000 ufrag abcd")
        #expect(c.type == .srflx)
        #expect(c.relatedAddress == "10.0.0.2")
        #expect(c.relatedPort == 5000)
        #expect(c.usernameFragment == "abcd")
    }

    @Test(
        "malformed candidates throw a typed error",
        arguments: [
            "", "candidate:", "candidate:1 1 udp 1 1.2.3.4 5 typ", "candidate:1 1 udp 1 1.2.3.4 5 type host",
            "candidate:1 x udp 1 1.2.3.4 5 typ host", "candidate:1 1 udp 4294967296 1.2.3.4 5 typ host",
            "candidate:1 1 udp 1 1.2.3.4 65536 typ host", "candidate:1 0 udp 1 1.2.3.4 5 typ host",
            "candidate:1 1 udp 1 1.2.3.4 5 typ host generation", "candidate:1  1 udp 1 1.2.3.4 5 typ host",
            "candidate:f_o 1 udp 1 1.2.3.4 5 typ host", "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.1.1.1 rport x",
        ])
    func malformed(text: String) {
        #expect(throws: SDPError.self) { try ICECandidateLine(parsing: text) }
    }
}

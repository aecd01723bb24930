import RingletCore
@_spi(Fuzzing) import RingletICE
import RingletSDP
import Testing

@Suite("ICE candidates")
struct CandidateTests {
    /// Real Chromium candidate lines, copied from Tests/RingletSDPTests/Vectors/chromium-offer.sdp and
    /// chromium-answer.sdp (captured from headless Chromium; see that folder's PROVENANCE.md), plus a srflx line
    /// in Chromium's format with raddr/rport and ufrag.
    static let chromiumLines = [
        "candidate:595327611 1 udp 2122260223 127.0.0.1 60167 typ host generation 0 network-id 1 network-cost 50",
        "candidate:1572083939 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50",
        "candidate:842163049 1 udp 1686052607 203.0.113.7 47326 typ srflx raddr 192.168.1.20 rport 47326 generation 0 ufrag Ab3x network-id 1",
    ]

    @Test("Chromium candidate lines round-trip byte for byte", arguments: chromiumLines)
    func roundTrip(line: String) throws {
        let c = try ICECandidate(sdp: line)
        #expect(try c.sdpText() == line)
        #expect(try ICECandidate(sdp: c.sdpText()) == c)
    }

    @Test("a Chromium host candidate's fields are read")
    func fields() throws {
        let c = try ICECandidate(sdp: Self.chromiumLines[0])
        #expect(c.foundation == "595327611")
        #expect(c.component == 1)
        #expect(c.transport == .udp)
        #expect(c.kind == .host)
        #expect(c.address == .t("127.0.0.1:60167"))
        #expect(c.extensionValue("network-cost") == "50")
        // Chromium's host priority is exactly the RFC formula with local preference 65535 - 255 + 1... recompute:
        #expect(c.priority == ICECandidate.priority(kind: .host, localPreference: UInt16((2122260223 >> 8) & 0xFFFF)))
    }

    @Test("srflx related address and ufrag are read")
    func srflx() throws {
        let c = try ICECandidate(sdp: Self.chromiumLines[2])
        #expect(c.kind == .serverReflexive)
        #expect(c.relatedAddress == .t("192.168.1.20:47326"))
        #expect(c.usernameFragment == "Ab3x")
    }

    @Test("the agent ignores TCP candidates and other components")
    func ignoresTCP() throws {
        var rng = SeededRandom(seed: 1)
        var agent = try ICEAgent(role: .controlled, using: &rng)
        let tcp = agent.addRemoteCandidate(try ICECandidate(sdp: Self.chromiumLines[1]), now: .zero)
        #expect(!tcp)
        let rtcp = try ICECandidate(foundation: "1", component: 2, priority: 1, address: .t("10.0.0.1:9"), kind: .host)
        let tookRTCP = agent.addRemoteCandidate(rtcp, now: .zero)
        #expect(!tookRTCP)
        let udp = agent.addRemoteCandidate(try ICECandidate(sdp: Self.chromiumLines[0]), now: .zero)
        #expect(udp)
    }

    @Test("unusable or malformed candidate text throws a typed error", arguments: [
        ("candidate:1 1 udp 2122260223 8a1f2c3d-1111-2222-3333-444455556666.local 5000 typ host", "unsupportedCandidate"),
        ("candidate:1 1 udp 2122260223 10.0.0.1 5000 typ weird", "unsupportedCandidate"),
        ("candidate:1 1 sctp 2122260223 10.0.0.1 5000 typ host", "unsupportedCandidate"),
        ("candidate:1 1 udp 2122260223 10.0.0.1 5000 host", "invalidCandidate"),
        ("candidate:1 1 udp", "invalidCandidate"),
        ("candidate:1 1 udp 99999999999 10.0.0.1 5000 typ host", "invalidCandidate"),
        ("", "invalidCandidate"),
    ])
    func bad(text: String, code: String) {
        #expect {
            _ = try ICECandidate(sdp: text)
        } throws: { ($0 as? ICEError)?.code.rawValue == code }
    }

    @Test("priority follows RFC 8445 §5.1.2.1 with type preferences 126/110/100/0", arguments: [
        (ICECandidate.Kind.host, UInt32(126)), (.peerReflexive, 110), (.serverReflexive, 100), (.relayed, 0),
    ])
    func priority(kind: ICECandidate.Kind, pref: UInt32) {
        #expect(ICECandidate.priority(kind: kind, localPreference: 65535) == pref << 24 + 65535 << 8 + 255)
        #expect(ICECandidate.priority(kind: kind, localPreference: 10, component: 2) == pref << 24 + 10 << 8 + 254)
    }

    @Test("pair priority follows RFC 8445 §6.1.2.3")
    func pairPriority() {
        let g: UInt32 = 2_130_706_431, d: UInt32 = 1_694_498_815
        let expected = UInt64(d) << 32 + 2 * UInt64(g) + 1
        #expect(ICECandidatePair.priority(controlling: g, controlled: d) == expected)
        #expect(ICECandidatePair.priority(controlling: d, controlled: g) == UInt64(d) << 32 + 2 * UInt64(g))
    }

    @Test("foundations are equal for the same type, base IP and server, different otherwise")
    func foundation() throws {
        let ip = try #require(IPAddress("10.0.0.1")), other = try #require(IPAddress("10.0.0.2"))
        let server = try #require(IPAddress("198.51.100.1"))
        let f = ICECandidate.foundation(kind: .host, baseIP: ip)
        #expect(f == ICECandidate.foundation(kind: .host, baseIP: ip))
        #expect(f != ICECandidate.foundation(kind: .host, baseIP: other))
        #expect(f != ICECandidate.foundation(kind: .serverReflexive, baseIP: ip, server: server))
        #expect(f != ICECandidate.foundation(kind: .host, baseIP: ip, transport: .tcp))
        #expect((try? ICECandidate(foundation: f, priority: 1, address: .t("10.0.0.1:1"), kind: .host)) != nil)
    }

    @Test("credentials are checked and random ones meet the minimum lengths")
    func credentials() throws {
        #expect(throws: ICEError.self) { try ICEAgent.Credentials(usernameFragment: "abc", password: String(repeating: "a", count: 22)) }
        #expect(throws: ICEError.self) { try ICEAgent.Credentials(usernameFragment: "abcd", password: String(repeating: "a", count: 21)) }
        #expect(throws: ICEError.self) { try ICEAgent.Credentials(usernameFragment: "ab:d", password: String(repeating: "a", count: 22)) }
        var rng = SeededRandom(seed: 5)
        let a = try ICEAgent(role: .controlling, using: &rng)
        let b = try ICEAgent(role: .controlling, using: &rng)
        #expect(a.localCredentials.usernameFragment.utf8.count >= 4)
        #expect(a.localCredentials.password.value.utf8.count >= 22)
        #expect(a.localCredentials != b.localCredentials)
        #expect("\(a.localCredentials.password)" == "<redacted>")
    }

    @Test("a bad configuration is refused")
    func configuration() {
        var c = ICEAgent.Configuration()
        c.checkInterval = .zero
        var rng = SeededRandom(seed: 1)
        #expect(throws: ICEError.self) { try ICEAgent(configuration: c, role: .controlled, using: &rng) }
        c = ICEAgent.Configuration()
        c.consentLossTimeout = .seconds(40)
        #expect(throws: ICEError.self) { try ICEAgent(configuration: c, role: .controlled, using: &rng) }
    }
}

@Suite("ICE fuzz entry points")
struct ICEFuzzTests {
    @Test("the fuzz entry points run on seeded inputs and Chromium lines without trapping")
    func fuzzEntries() {
        var rng = SeededRandom(seed: 31)
        for line in CandidateTests.chromiumLines { ICEFuzz.candidateText(Array(line.utf8)) }
        for _ in 0..<2000 {
            var bytes = Array(CandidateTests.chromiumLines[Int(rng.next() % 3)].utf8)
            bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            ICEFuzz.candidateText(bytes)
            ICEFuzz.agentDatagram(rng.bytes(Int(rng.next() % 64)))
        }
    }
}

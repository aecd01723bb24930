import RingletCore
import RingletEngine
import RingletSimulation
import Testing

@Suite("TURN-only path: both peers behind symmetric NATs")
struct RelayPathTests {
    static let turnAddress = TransportAddress(IPAddress(203, 0, 113, 1), 3478)

    /// An address where no host answers: datagrams sent there vanish, as to a TURN server behind a firewall
    /// that drops them.
    static let silentAddress = TransportAddress(IPAddress(203, 0, 113, 99), 3478)

    /// `silentTURN`: A's and B's TURN servers are the live one and, first, a silent one (`silentOnly`: just the
    /// silent one).
    static func scenario(policy: PeerConnection.ICETransportPolicy, seed: UInt64, silentTURN: Bool = false,
                         silentOnly: Bool = false) throws -> Scenario {
        func configure(_ id: String) -> (inout PeerConnection.Configuration) -> Void {
            { c in
                // Sound in a test: the REST credential is an HMAC of fixed inputs.
                let cred = try! TURNServerNode.credential(id: id)
                let live = PeerConnection.TURNServerConfiguration(address: turnAddress, username: cred.username,
                                                                  password: cred.password)
                let silent = PeerConnection.TURNServerConfiguration(address: silentAddress, username: cred.username,
                                                                    password: cred.password)
                c.turnServers = silentOnly ? [silent] : (silentTURN ? [silent, live] : [live])
                c.stunServers = silentOnly ? [silentAddress] : (silentTURN ? [silentAddress, turnAddress] : [turnAddress])
                c.iceTransportPolicy = policy
            }
        }
        var s = try Scenario(seed: seed, build: { net in
            let link = LinkConfiguration(LinkConditions(delay: .milliseconds(10)))
            let natA = try net.addNAT(publicIP: IPAddress(198, 51, 100, 1), configuration: .symmetric)
            let natB = try net.addNAT(publicIP: IPAddress(198, 51, 100, 2), configuration: .symmetric)
            let ip = IPAddress(192, 168, 1, 10)
            let ha = try net.addHost("a", address: ip, behind: natA, link: link)
            let hb = try net.addHost("b", address: ip, behind: natB, link: link)
            return (ha, ip, hb, ip)
        }, configureA: configure("a"), configureB: configure("b"), extra: { sim in
            let h = try sim.network.addHost("turn", address: turnAddress.ip,
                                            link: LinkConfiguration(LinkConditions(delay: .milliseconds(5))))
            try sim.add(TURNServerNode(address: turnAddress, seed: seed), on: h)
        })
        s.a.video = SyntheticMedia.video(count: 40, seed: 5)
        s.b.video = SyntheticMedia.video(count: 40, seed: 6)
        s.a.audio = SyntheticMedia.opus(count: 40, seed: 7)
        return s
    }

    @Test("media flows through the relay and the selected path says relayed", arguments: [
        PeerConnection.ICETransportPolicy.relay, .all,
    ])
    func relayed(policy: PeerConnection.ICETransportPolicy) throws {
        var s = try Self.scenario(policy: policy, seed: 21)
        try s.negotiate()
        let connected = s.runUntilConnected(limit: .seconds(15))
        #expect(connected)
        s.run(for: .seconds(3))
        #expect(sameFrames(s.b.receivedVideo.map(\.data), s.a.video.map(\.bytes)))
        #expect(sameFrames(s.a.receivedVideo.map(\.data), s.b.video.map(\.bytes)))
        #expect(sameFrames(s.b.receivedAudio.map(\.data), s.a.audio))
        let paths = s.a.events { if case .selectedPath = $0 { true } else { false } }
        guard case .selectedPath(let p)? = paths.last else {
            Issue.record("no selected path")
            return
        }
        #expect(p.relayed)
        #expect(p.localType == .relayed || p.remoteType == .relayed)
        let relayCandidates = s.a.events {
            if case .localCandidate(let text) = $0 { text.contains(" typ relay") } else { false }
        }
        #expect(relayCandidates.count == 1)
    }

    @Test("relay policy signals no host candidate")
    func relayPolicyHidesHost() throws {
        var s = try Self.scenario(policy: .relay, seed: 22)
        let offer = try s.a.pc.createOffer(now: s.sim.now)
        #expect(!offer.contains("typ host"))
        s.run(for: .seconds(1))
        let hosts = s.a.events { if case .localCandidate(let t) = $0 { t.contains("typ host") } else { false } }
        #expect(hosts.isEmpty)
    }

    @Test("a TURN server that never answers does not hold end-of-candidates: it goes out the grace (1 s) after the first relayed candidate, the silent server is given up, and the call connects through the live one",
          arguments: [PeerConnection.ICETransportPolicy.relay, .all])
    func silentServerDoesNotHoldGathering(policy: PeerConnection.ICETransportPolicy) throws {
        var s = try Self.scenario(policy: policy, seed: 23, silentTURN: true)
        try s.negotiate()
        let connected = s.runUntilConnected(limit: .seconds(15))
        #expect(connected)
        s.run(for: .seconds(2))
        let relayed = try #require(s.a.firstTime { if case .localCandidate(let t) = $0 { t.contains(" typ relay") } else { false } })
        let complete = try #require(s.a.firstTime { if case .gatheringComplete = $0 { true } else { false } })
        let grace = PeerConnection.Configuration(certificate: s.a.pc.configuration.certificate, hostAddresses: []).gatheringGrace
        #expect(complete >= relayed + grace && complete < relayed + grace + .milliseconds(100),
                "end-of-candidates at \(complete), first relayed candidate at \(relayed)")
        #expect(s.a.pc.counters.turnServersGivenUp == 1)
        #expect(policy == .relay || s.a.pc.counters.gathersGivenUp >= 1, "the silent STUN server's request")
        #expect(sameFrames(s.b.receivedVideo.map(\.data), s.a.video.map(\.bytes)))
    }

    @Test("with no TURN server answering, end-of-candidates goes out at the gathering timeout (10 s), not after the 39.5 s of a STUN transaction")
    func noServerAnswers() throws {
        var s = try Self.scenario(policy: .all, seed: 24, silentOnly: true)
        try s.negotiate()
        s.run(for: .seconds(12))
        let complete = try #require(s.a.firstTime { if case .gatheringComplete = $0 { true } else { false } })
        let start = try #require(s.a.firstTime { _ in true })
        #expect(complete - start >= .seconds(9) && complete - start <= .seconds(10) + .milliseconds(100),
                "end-of-candidates \(complete - start) after the first event")
        #expect(s.a.pc.counters.turnServersGivenUp == 1)
    }
}

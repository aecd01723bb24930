import RingletCore
import RingletEngine
import RingletSimulation
import Testing

@Suite("TURN-only path: both peers behind symmetric NATs")
struct RelayPathTests {
    static let turnAddress = TransportAddress(IPAddress(203, 0, 113, 1), 3478)

    static func scenario(policy: PeerConnection.ICETransportPolicy, seed: UInt64) throws -> Scenario {
        func configure(_ id: String) -> (inout PeerConnection.Configuration) -> Void {
            { c in
                // Sound in a test: the REST credential is an HMAC of fixed inputs.
                let cred = try! TURNServerNode.credential(id: id)
                c.turnServers = [.init(address: turnAddress, username: cred.username, password: cred.password)]
                c.stunServers = [turnAddress]
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
}

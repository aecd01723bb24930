import RingletCore
import RingletICE
import RingletSTUN
import Testing

@Suite("ICE agent scenarios on a fake wire")
struct AgentScenarioTests {
    @Test("two agents with host candidates connect and carry data both ways")
    func hostToHost() throws {
        var w = try makePair()
        try w.exchangeCredentials()
        w.exchangeCandidates()
        w.run(for: .seconds(2))
        #expect(w.agents[0].connectionState == .completed)
        #expect([.connected, .completed].contains(w.agents[1].connectionState))
        #expect(w.states(0).first == .checking)
        let pa = try #require(w.agents[0].selectedPair), pb = try #require(w.agents[1].selectedPair)
        #expect(pa.localBase == pb.remote.address)
        #expect(pb.localBase == pa.remote.address)
        let t = try #require(w.agents[0].transmit(applicationData: [0x16, 0xFE, 0xFD]))
        #expect(t.datagram.source == .t("10.0.0.1:5000"))
        #expect(t.datagram.destination == .t("10.0.0.2:6000"))
        #expect(w.agents[1].handleDatagram(t.datagram.payload, from: t.datagram.source, to: t.datagram.destination,
                                           now: w.now) == .applicationData(pb.id))
        let back = try #require(w.agents[1].transmit(applicationData: [0x80, 0x60]))
        #expect(w.agents[0].handleDatagram(back.datagram.payload, from: back.datagram.source,
                                           to: back.datagram.destination, now: w.now) == .applicationData(pa.id))
    }

    @Test("the same seed gives the same run")
    func deterministic() throws {
        func run() throws -> [[UInt8]] {
            var w = try makePair(seed: 42)
            try w.exchangeCredentials()
            w.exchangeCandidates()
            w.run(for: .seconds(3))
            return w.sent[0].map(\.1.datagram.payload)
        }
        let a = try run(), b = try run()
        #expect(!a.isEmpty)
        #expect(a == b)
    }

    @Test("a role conflict between two controlling agents is resolved and they connect",
          arguments: [(ICEAgent.Role.controlling, ICEAgent.Role.controlling), (.controlled, .controlled)])
    func roleConflict(roles: (ICEAgent.Role, ICEAgent.Role)) throws {
        var w = try makePair(seed: 7, roles: roles)
        try w.exchangeCredentials()
        w.exchangeCandidates()
        w.run(for: .seconds(3))
        #expect(w.agents[0].role != w.agents[1].role)
        let changed = w.events[0] + w.events[1]
        #expect(changed.contains { if case .roleChanged = $0 { true } else { false } })
        #expect(w.agents[0].selectedPair != nil)
        #expect(w.agents[1].selectedPair != nil)
        // The agent with the larger tie-breaker ends up controlling (RFC 8445 §7.3.1.1).
        let winner = w.agents[0].tieBreaker >= w.agents[1].tieBreaker ? 0 : 1
        #expect(w.agents[winner].role == .controlling)
    }

    @Test("a peer-reflexive candidate is learned from a check when the peer's address was never signalled")
    func peerReflexive() throws {
        var w = try makePair(seed: 3)
        w.nat[.t("10.0.0.2:6000")] = .t("203.0.113.9:40000")
        try w.exchangeCredentials()
        // Only B learns A's candidate; A hears of B only through B's checks.
        for c in w.agents[0].localCandidates { w.agents[1].addRemoteCandidate(c, now: w.now) }
        w.run(for: .seconds(3))
        let remoteOfA = w.agents[0].remoteCandidates
        #expect(remoteOfA.contains { $0.kind == .peerReflexive && $0.address == .t("203.0.113.9:40000") })
        #expect(w.agents[1].localCandidates.contains { $0.kind == .peerReflexive && $0.address == .t("203.0.113.9:40000") })
        #expect(w.agents[0].selectedPair?.remote.address == .t("203.0.113.9:40000"))
        #expect(w.agents[1].selectedPair != nil)
    }

    @Test("a peer-reflexive remote that is selected and then signalled (a relay whose check came first) is announced again with its signalled kind")
    func peerReflexiveThenSignalled() throws {
        var w = try makePair(seed: 3)
        try w.exchangeCredentials()
        // A hears of B only through B's checks, and selects a pair whose remote is peer-reflexive.
        for c in w.agents[0].localCandidates { w.agents[1].addRemoteCandidate(c, now: w.now) }
        w.run(for: .seconds(3))
        let first = try #require(w.selected(0).last)
        #expect(first.remote.kind == .peerReflexive)
        let before = w.selected(0).count
        // B's candidate arrives late, signalled as what it is (here: relayed, as a TURN relay's would be).
        let late = try ICECandidate(foundation: "relay1", priority: ICECandidate.priority(kind: .relayed),
                                    address: first.remote.address, kind: .relayed)
        let taken = w.agents[0].addRemoteCandidate(late, now: w.now)
        #expect(taken)
        w.drain()
        #expect(w.selected(0).count == before + 1)
        let last = try #require(w.selected(0).last)
        #expect(last.remote.kind == .relayed && last.remote.address == first.remote.address)
        #expect(w.agents[0].selectedPair?.remote.kind == .relayed)
    }

    @Test("remote candidates trickled late still connect")
    func trickleLate() throws {
        var w = try makePair(seed: 5)
        try w.exchangeCredentials()
        w.run(for: .seconds(2))
        #expect(w.agents[0].connectionState == .new)
        #expect(w.agents[0].selectedPair == nil)
        w.exchangeCandidates()
        w.agents[0].endOfRemoteCandidates(now: w.now)
        w.run(for: .seconds(2))
        #expect(w.agents[0].selectedPair != nil)
        #expect(w.agents[1].selectedPair != nil)
    }

    @Test("server-reflexive candidates are gathered from a STUN server and gathering completes")
    func srflxGathering() throws {
        var config = ICEAgent.Configuration()
        config.stunServers = [.t("198.51.100.1:3478")]
        var w = try makePair(seed: 9, config: config)
        w.stunServer = .t("198.51.100.1:3478")
        w.nat[.t("10.0.0.1:5000")] = .t("203.0.113.1:50000")
        w.agents[0].endOfLocalCandidates(now: w.now)
        w.run(for: .seconds(1))
        let srflx = w.events[0].compactMap { if case .localCandidate(let c) = $0 { c } else { nil } }
        #expect(srflx.count == 1)
        #expect(srflx.first?.kind == .serverReflexive)
        #expect(srflx.first?.address == .t("203.0.113.1:50000"))
        #expect(srflx.first?.relatedAddress == .t("10.0.0.1:5000"))
        #expect(srflx.first?.priority == ICECandidate.priority(kind: .serverReflexive))
        #expect(w.events[0].last == .gatheringComplete)
    }

    @Test("gathering completes even when the STUN server never answers")
    func srflxTimeout() throws {
        var config = ICEAgent.Configuration()
        config.stunServers = [.t("198.51.100.1:3478")]
        config.maxRequestCount = 2
        var w = try makePair(seed: 9, config: config)
        w.agents[0].endOfLocalCandidates(now: w.now)
        w.run(for: .seconds(5))
        #expect(!w.events[0].contains(.gatheringComplete))
        w.run(for: .seconds(10))
        #expect(!w.events[0].contains { if case .localCandidate = $0 { true } else { false } })
        #expect(w.events[0].contains(.gatheringComplete))
    }

    @Test("new checks are paced by Ta", arguments: [50, 20])
    func pacing(ms: Int) throws {
        var config = ICEAgent.Configuration()
        config.checkInterval = .milliseconds(Int64(ms))
        var w = try makePair(seed: 11, config: config)
        try w.exchangeCredentials()
        w.cut = true
        for port in 7000..<7006 {
            let c = try ICECandidate(foundation: "f\(port)", priority: UInt32(port), address: .t("10.0.0.9:\(port)"), kind: .host)
            w.agents[0].addRemoteCandidate(c, now: w.now)
        }
        w.run(for: .milliseconds(400))
        // First transmissions: one per distinct destination.
        var firstSend: [TransportAddress: Instant] = [:]
        for (t, x) in w.sent[0] where firstSend[x.datagram.destination] == nil { firstSend[x.datagram.destination] = t }
        let times = firstSend.values.sorted()
        #expect(times.count == 6)
        for (a, b) in zip(times, times.dropFirst()) { #expect(b - a >= .milliseconds(Int64(ms))) }
    }

    @Test("a silent peer makes checks retransmit with doubling timeouts, then ICE fails")
    func silentPeerFails() throws {
        var w = try makePair(seed: 13)
        try w.exchangeCredentials()
        w.cut = true
        w.exchangeCandidates()
        w.agents[0].endOfLocalCandidates(now: w.now)
        w.agents[0].endOfRemoteCandidates(now: w.now)
        let start = w.now
        w.run(for: .seconds(60))
        let sends = w.sent[0].map(\.0)
        #expect(sends.count == 7)
        let gaps = zip(sends, sends.dropFirst()).map { $1 - $0 }
        #expect(gaps.map { $0.nanosecondsClamped / 1_000_000 } == [500, 1000, 2000, 4000, 8000, 16000])
        #expect(w.agents[0].connectionState == .failed)
        let failedAt = try #require(w.stateTimes[0].first { $0.1 == .failed }?.0)
        #expect(failedAt - start >= .seconds(39) && failedAt - start <= .seconds(40))
    }

    @Test("consent loss is reported within 5 s after the path is cut, and consent expires later")
    func consentLoss() throws {
        var w = try makePair(seed: 17)
        try w.exchangeCredentials()
        w.exchangeCandidates()
        w.run(for: .seconds(10))
        #expect(w.agents[0].connectionState == .completed)
        // The last consent response A received came at most ~1.2 s before the cut.
        let cutAt = w.now
        w.cut = true
        w.run(for: .seconds(40))
        let lost = try #require(w.stateTimes[0].first { $0.1 == .disconnected && $0.0 > cutAt }?.0)
        #expect(lost - cutAt <= .seconds(5))
        #expect(lost - cutAt >= .seconds(3))
        let failed = try #require(w.stateTimes[0].first { $0.1 == .failed }?.0)
        #expect(failed - cutAt <= .seconds(30) && failed - cutAt >= .seconds(28))
        #expect(w.agents[0].transmit(applicationData: [1]) == nil)
        #expect(w.agents[1].transmit(applicationData: [1]) == nil)
    }

    @Test("media from the peer keeps a path whose consent answers are lost from counting as lost; consent still expires at 30 s, and without the media the loss is reported within 5 s")
    func mediaIsALifeSign() throws {
        /// Connects two agents, then loses A's consent answers and has B send A data every 200 ms for `media`.
        func run(media: Duration, total: Duration) throws -> (lostAt: Instant, states: [(Instant, ICEAgent.ConnectionState)]) {
            var w = try makePair(seed: 29)
            try w.exchangeCredentials()
            w.exchangeCandidates()
            w.run(for: .seconds(5))
            #expect(w.agents[0].connectionState == .completed)
            let lostAt = w.now
            w.responsesLostTo = [0]
            while w.now < lostAt + total {
                if w.now < lostAt + media, let t = w.agents[1].transmit(applicationData: [0x80, 0x60, 0, 1]) { w.send(t) }
                w.run(for: .milliseconds(200))
            }
            return (lostAt, w.stateTimes[0].filter { $0.0 > lostAt })
        }
        // Media all along: connected until consent expires (the last answer came at most ~1.2 s before the loss).
        let flowing = try run(media: .seconds(40), total: .seconds(35))
        let failed = try #require(flowing.states.first { $0.1 == .failed }?.0)
        #expect(failed - flowing.lostAt >= .seconds(28) && failed - flowing.lostAt <= .seconds(30))
        #expect(!flowing.states.contains { $0.1 == .disconnected }, "\(flowing.states)")
        // Media for 10 s, then none: disconnected within 5 s of the last datagram.
        let stopped = try run(media: .seconds(10), total: .seconds(20))
        let lost = try #require(stopped.states.first { $0.1 == .disconnected }?.0)
        #expect(lost - stopped.lostAt >= .seconds(10) && lost - stopped.lostAt <= .seconds(15))
    }

    @Test("a path that comes back before consent expires returns to connected")
    func consentRecovers() throws {
        var w = try makePair(seed: 19)
        try w.exchangeCredentials()
        w.exchangeCandidates()
        w.run(for: .seconds(3))
        w.cut = true
        w.run(for: .seconds(8))
        #expect(w.agents[0].connectionState == .disconnected)
        w.cut = false
        w.run(for: .seconds(3))
        #expect([.connected, .completed].contains(w.agents[0].connectionState))
    }

    @Test("an ICE restart moves to a new pair while the old one carries data until then")
    func restart() throws {
        var w = try makePair(seed: 23)
        try w.exchangeCredentials()
        w.exchangeCandidates()
        w.run(for: .seconds(2))
        let old = try #require(w.agents[0].selectedPair)
        let oldUfrag = w.agents[0].localCredentials.usernameFragment
        var rng = SeededRandom(seed: 99)
        try w.agents[0].restart(using: &rng, now: w.now)
        #expect(w.agents[0].localCredentials.usernameFragment != oldUfrag)
        // Until the new generation nominates, the old pair still carries data.
        #expect(w.agents[0].transmit(applicationData: [1])?.datagram.destination == old.remote.address)
        try w.agents[1].restart(using: &rng, now: w.now)
        // B moves to a new socket (as after a network change).
        let newB = TransportAddress.t("10.0.0.2:6001")
        w.agents[1].addHostCandidate(newB, now: w.now)
        w.own(newB, by: 1)
        try w.exchangeCredentials()
        for c in w.agents[1].localCandidates where c.address == newB { w.agents[0].addRemoteCandidate(c, now: w.now) }
        for c in w.agents[0].localCandidates { w.agents[1].addRemoteCandidate(c, now: w.now) }
        w.run(for: .seconds(3))
        let now = try #require(w.agents[0].selectedPair)
        #expect(now.id != old.id)
        #expect(now.remote.address == newB)
        #expect(w.agents[0].transmit(applicationData: [1])?.datagram.destination == newB)
        #expect([.connected, .completed].contains(w.agents[0].connectionState))
    }

    @Test("a relayed candidate sends through its TURN server and takes data the relay delivers")
    func relayed() throws {
        var w = try makePair(seed: 29)
        let relayedA = TransportAddress.t("198.51.100.7:49152")
        let turn = TransportAddress.t("198.51.100.7:3478")
        let added = w.agents[0].addRelayedCandidate(relayed: relayedA, mapped: .t("203.0.113.1:50000"),
                                                    server: turn, now: w.now)
        let c = try #require(added)
        #expect(c.kind == .relayed)
        #expect(c.priority == ICECandidate.priority(kind: .relayed))
        w.own(relayedA, by: 0)
        try w.exchangeCredentials()
        // A's host is unreachable: only the relayed path works.
        w.owners[.t("10.0.0.1:5000")] = nil
        w.exchangeCandidates()
        w.run(for: .seconds(3))
        let p = try #require(w.agents[0].selectedPair)
        #expect(p.relayServer == turn)
        #expect(p.localBase == relayedA)
        let t = try #require(w.agents[0].transmit(applicationData: [0x17]))
        #expect(t.relayServer == turn)
        #expect(t.datagram.source == relayedA)
        #expect(w.sent[0].contains { $0.1.relayServer == turn })
    }
}

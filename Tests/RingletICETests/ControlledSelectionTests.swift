import RingletCore
@testable import RingletICE
import RingletSTUN
import Testing

/// How a controlled agent picks among the pairs a controlling peer nominated (RFC 8445 §8.1.1).
@Suite("Controlled agent: which nominated pair carries media")
struct ControlledSelectionTests {
    static let relayed = TransportAddress.t("10.0.0.50:40001")
    static let server = TransportAddress.t("10.0.0.50:3478")

    /// A controlled agent with a host candidate (the peer's `local`) and a relayed one, paired with the peer.
    func agent(_ peer: ManualPeer) throws -> ICEAgent {
        var agent = try controlledAgent(peer)
        _ = agent.addRelayedCandidate(relayed: Self.relayed, mapped: nil, server: Self.server, now: .zero)
        return agent
    }

    /// The peer checks pair (`local`, peer) with USE-CANDIDATE at `now`; the agent's triggered check on that pair
    /// is answered, so the pair is valid and nominated.
    func nominate(_ agent: inout ICEAgent, _ peer: inout ManualPeer, on local: TransportAddress, now: Instant) throws {
        _ = agent.handleDatagram(try peer.check(to: agent, useCandidate: true), from: peer.address, to: local, now: now)
        agent.handleTimeout(now: now)
        for t in drainTransmits(&agent) {
            guard let m = try? STUNMessage(parsing: t.datagram.payload), m.type == .bindingRequest,
                  t.datagram.source == local else { continue }
            _ = agent.handleDatagram(try peer.answer(t.datagram.payload, from: local), from: peer.address, to: local,
                                     now: now + .milliseconds(2))
        }
    }

    /// Answers every consent check the agent sent on `local` (or none when `answer` is false) from `now` in 100 ms
    /// steps until `end`, while the peer checks `keepAlive` every 500 ms.
    func run(_ agent: inout ICEAgent, _ peer: inout ManualPeer, from now: Instant, to end: Instant,
             answerOn local: TransportAddress?, checksOn keepAlive: TransportAddress?) throws {
        var t = now
        var nextPeerCheck = now
        while t < end {
            t = t + .milliseconds(100)
            if let keepAlive, t >= nextPeerCheck {
                _ = agent.handleDatagram(try peer.check(to: agent, useCandidate: false), from: peer.address,
                                         to: keepAlive, now: t)
                nextPeerCheck = t + .milliseconds(500)
            }
            agent.handleTimeout(now: t)
            for x in drainTransmits(&agent) {
                guard let m = try? STUNMessage(parsing: x.datagram.payload), m.type == .bindingRequest else { continue }
                if x.datagram.source == local || (keepAlive != nil && x.datagram.source == keepAlive) {
                    _ = agent.handleDatagram(try peer.answer(x.datagram.payload, from: x.datagram.source),
                                             from: peer.address, to: x.datagram.source, now: t + .milliseconds(1))
                }
            }
        }
    }

    @Test("a later nomination of a lower-priority pair (host → our relay) leaves media on the host pair")
    func keepsBetterPair() throws {
        var peer = try ManualPeer()
        var agent = try agent(peer)
        try nominate(&agent, &peer, on: peer.local, now: .milliseconds(10))
        #expect(agent.selectedPair?.localBase == peer.local)
        try nominate(&agent, &peer, on: Self.relayed, now: .milliseconds(200))
        #expect(agent.selectedPair?.localBase == peer.local, "stayed on host → host")
        try run(&agent, &peer, from: .milliseconds(200), to: .milliseconds(6_000), answerOn: peer.local, checksOn: nil)
        #expect(agent.selectedPair?.localBase == peer.local)
        #expect(agent.connectionState == .connected || agent.connectionState == .completed)
    }

    @Test("a nomination of a higher-priority pair moves media there")
    func movesToBetterPair() throws {
        var peer = try ManualPeer()
        var agent = try agent(peer)
        try nominate(&agent, &peer, on: Self.relayed, now: .milliseconds(10))
        #expect(agent.selectedPair?.localBase == Self.relayed)
        try nominate(&agent, &peer, on: peer.local, now: .milliseconds(200))
        #expect(agent.selectedPair?.localBase == peer.local)
    }

    @Test("when the selected pair goes silent and the peer keeps checking another nominated pair, media moves there before loss")
    func leavesSilentPair() throws {
        var peer = try ManualPeer()
        var agent = try agent(peer)
        try nominate(&agent, &peer, on: peer.local, now: .milliseconds(10))
        try nominate(&agent, &peer, on: Self.relayed, now: .milliseconds(200))
        #expect(agent.selectedPair?.localBase == peer.local)
        // The host path dies (no consent answers there); the peer's checks keep arriving on the relayed pair.
        var states: [ICEAgent.ConnectionState] = []
        var t = Instant.milliseconds(200)
        while t < .milliseconds(4_500) {
            try run(&agent, &peer, from: t, to: t + .milliseconds(100), answerOn: Self.relayed, checksOn: Self.relayed)
            t = t + .milliseconds(100)
            states.append(agent.connectionState)
        }
        #expect(agent.selectedPair?.localBase == Self.relayed)
        #expect(!states.contains(.disconnected) && !states.contains(.failed), "\(Set(states))")
    }
}

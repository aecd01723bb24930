import RingletCore
import RingletICE
import RingletSTUN
import Testing

/// The driving contract every sans-IO machine keeps: after ``ICEAgent/handleTimeout(now:)`` the next deadline is
/// later than `now` (or there is none). A deadline that stays due makes a shell spin on it forever without reading
/// its sockets — which is how `ringlet device` once stopped hearing a browser 0.3 s into every call.
@Suite("ICE agent timer contract")
struct TimerContractTests {
    /// Drives `agent` from its deadlines alone (nobody answers) until `end`, checking the contract after every
    /// timeout; returns the instants at which the contract broke and the number of checks sent.
    func drive(_ agent: inout ICEAgent, until end: Instant) -> (broken: [Instant], checks: Int) {
        var now = Instant.zero
        var broken: [Instant] = []
        var checks = 0
        var steps = 0
        while let due = agent.pollTimeout(), due <= end, steps < 10_000 {
            steps += 1
            now = max(now, due)
            agent.handleTimeout(now: now)
            checks += drainTransmits(&agent).count
            if let next = agent.pollTimeout(), next <= now {
                broken.append(now)
                // Step past it, as a clamping shell would, to see whether it ever recovers.
                now = now + .milliseconds(1)
            }
        }
        return (broken, checks)
    }

    @Test("pacing stays quiet, not due, while the only sendable checks wait on an in-progress check of their foundation")
    func frozenBehindInProgress() throws {
        var rng = SeededRandom(seed: 3)
        var agent = try ICEAgent(role: .controlled, using: &rng)
        let server = TransportAddress.t("10.0.0.50:3478")
        agent.addHostCandidate(.t("10.0.0.2:6000"), now: .zero)
        // Two relayed candidates of one foundation (two UDP allocations on the same server): their pairs with one
        // remote candidate share a foundation, so the second stays Frozen while the first is In-Progress.
        _ = agent.addRelayedCandidate(relayed: .t("10.0.0.50:40001"), mapped: nil, server: server, now: .zero)
        _ = agent.addRelayedCandidate(relayed: .t("10.0.0.50:40002"), mapped: nil, server: server, now: .zero)
        try agent.setRemoteCredentials(try ICEAgent.Credentials(usernameFragment: "peer", password: "peerpasswordpeerpassword"),
                                       now: .zero)
        let remote = try ICECandidate(foundation: "1", priority: 2_130_706_431, address: .t("10.0.0.9:9000"), kind: .host)
        let added = agent.addRemoteCandidate(remote, now: .zero)
        #expect(added)
        let (broken, checks) = drive(&agent, until: .milliseconds(120_000))
        #expect(broken.count == 0, "the deadline stayed due after handleTimeout \(broken.count) times, first at \(String(describing: broken.first))")
        // The frozen pair is checked once its sibling's check fails (RFC 8445 §6.1.4.2): nothing starves either.
        #expect(checks >= 3 * 7, "every pair's check went out with its retransmissions: \(checks)")
    }
}

@Suite("ICE candidate foundations")
struct RelayedFoundationTests {
    @Test("relayed candidates of one server obtained over UDP and over TCP have different foundations (RFC 8445 §5.1.1.3)")
    func relayedFoundationByTransport() throws {
        var rng = SeededRandom(seed: 4)
        var agent = try ICEAgent(role: .controlled, using: &rng)
        let server = TransportAddress.t("10.0.0.50:3478")
        let udp = agent.addRelayedCandidate(relayed: .t("10.0.0.50:40001"), mapped: nil, server: server,
                                            serverTransport: .udp, now: .zero)
        let tcp = agent.addRelayedCandidate(relayed: .t("10.0.0.50:40002"), mapped: nil, server: server,
                                            serverTransport: .tcp, now: .zero)
        let again = agent.addRelayedCandidate(relayed: .t("10.0.0.50:40003"), mapped: nil, server: server,
                                              serverTransport: .udp, now: .zero)
        #expect(udp != nil && tcp != nil && again != nil)
        #expect(udp?.foundation != tcp?.foundation)
        #expect(udp?.foundation == again?.foundation)
    }
}

@Suite("ICE failure needs both sides done")
struct FailureConditionTests {
    @Test("the peer's end-of-candidates does not fail an agent still gathering; failure comes once its own gathering ends")
    func endOfCandidatesWhileGathering() throws {
        var rng = SeededRandom(seed: 5)
        // Relay only: no host candidate; the relayed one comes when the allocation does.
        var agent = try ICEAgent(role: .controlled, using: &rng)
        try agent.setRemoteCredentials(try ICEAgent.Credentials(usernameFragment: "peer", password: "peerpasswordpeerpassword"),
                                       now: .zero)
        let remote = try ICECandidate(foundation: "1", priority: 2_130_706_431, address: .t("10.0.0.9:9000"), kind: .host)
        _ = agent.addRemoteCandidate(remote, now: .zero)
        agent.endOfRemoteCandidates(now: .zero)
        agent.handleTimeout(now: .milliseconds(10))
        #expect(agent.connectionState != .failed, "no local candidate yet: a relay allocation may still come")
        // The allocation arrives, its check fails (nobody answers), gathering ends: now ICE fails.
        _ = agent.addRelayedCandidate(relayed: .t("10.0.0.50:40001"), mapped: nil, server: .t("10.0.0.50:3478"),
                                      now: .milliseconds(20))
        agent.endOfLocalCandidates(now: .milliseconds(20))
        var now = Instant.milliseconds(20)
        while let due = agent.pollTimeout(), due <= .milliseconds(60_000), agent.connectionState != .failed {
            now = max(now, due)
            agent.handleTimeout(now: now)
            _ = drainTransmits(&agent)
        }
        #expect(agent.connectionState == .failed)
    }
}

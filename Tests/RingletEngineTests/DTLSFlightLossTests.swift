import RingletCore
import RingletEngine
import RingletSimulation
import Testing

/// DTLS handshake flights lost on the simulated network, recovered by the DTLS retransmission timer on the
/// simulation's clock (docs/dtls.md, "Time"; the scenario's engines use a 100 ms initial interval).
@Suite("DTLS handshake flights lost")
struct DTLSFlightLossTests {
    /// What a run did: when each side connected, every DTLS datagram's fate (instant, sender, dropped or
    /// delivered), and the trace's shape.
    struct Outcome: Equatable {
        var connectedA: Instant?
        var connectedB: Instant?
        var dtls: [String]
        var shape: UInt64
        var stalled: Int
    }

    static func run(seed: UInt64, loss: KindLoss) throws -> (Scenario, Outcome) {
        var s = try Scenario(seed: seed, build: Scenario.sameRealm(sendLoss: loss))
        try s.negotiate()
        s.runUntilConnected(limit: .seconds(20))
        let dtls = s.sim.network.trace.filter { DatagramKind.classify($0.datagram.payload) == .dtls }.map { e in
            "\(e.time.nanoseconds) \(e.datagram.source.ip) \(e.event)"
        }
        let connected: (EngineNode) -> Instant? = { node in
            node.firstTime { if case .connectionStateChanged(.connected) = $0 { true } else { false } }
        }
        let outcome = Outcome(connectedA: connected(s.a), connectedB: connected(s.b), dtls: dtls,
                              shape: s.shapeDigest, stalled: s.sim.stalledTimeouts)
        return (s, outcome)
    }

    @Test("the first two DTLS datagrams each way are lost; both retransmit at 100 ms then 200 ms and connect")
    func firstFlightsLost() throws {
        let (s, outcome) = try Self.run(seed: 41, loss: KindLoss(.dtls, dropFirst: 2))
        #expect(s.a.state == .connected && s.b.state == .connected)
        #expect(outcome.stalled == 0)
        #expect(s.sim.network.statistics.dropped(.kindLost) == 4)
        let trace = s.sim.network.trace.filter { DatagramKind.classify($0.datagram.payload) == .dtls }
        for sender in [s.addressA, s.addressB] {
            let mine = trace.filter { $0.datagram.source.ip == sender }
            let dropped = mine.filter { $0.event == .dropped(.kindLost) }.map(\.time)
            try #require(dropped.count == 2, "\(sender): \(mine)")
            #expect(dropped[1] - dropped[0] == .milliseconds(100), "\(sender): the first retransmission")
            let delivered = try #require(mine.first { if case .delivered = $0.event { true } else { false } })
            // Sent 200 ms after the first retransmission, then 10 ms up and 10 ms down.
            #expect(delivered.time - dropped[1] == .milliseconds(220), "\(sender): the second retransmission")
        }
        // b is the DTLS client (a=setup:active): its ClientHello went out three times, 0, 100 and 300 ms.
        #expect(s.b.pc.dtlsRole == .client)
    }

    @Test("random DTLS loss from the seed: the handshake completes, and the same seed gives the same run",
          arguments: [UInt64(3), 4, 5])
    func randomLossIsDeterministic(seed: UInt64) throws {
        let loss = KindLoss(.dtls, dropFirst: 1, probability: 0.3)
        let (s, first) = try Self.run(seed: seed, loss: loss)
        #expect(s.a.state == .connected && s.b.state == .connected)
        #expect(first.stalled == 0)
        #expect(s.sim.network.statistics.dropped(.kindLost) >= 2)
        let (_, second) = try Self.run(seed: seed, loss: loss)
        #expect(second == first)
    }
}

import RingletCore
import Testing
@testable import RingletSimulation

@Suite("Determinism")
struct DeterminismTests {
    /// A lossy, jittery, duplicating path through a symmetric NAT and back; returns the trace and the loss pattern.
    func run(seed: UInt64) throws -> (trace: [NetworkTraceEntry], lostSequence: [Int]) {
        var net = SimulatedNetwork(seed: seed)
        net.isTracing = true
        let impaired = LinkConditions(delay: .milliseconds(20), jitter: .milliseconds(15), lossProbability: 0.1,
                                      reorderProbability: 0.05, duplicateProbability: 0.02,
                                      bandwidthBitsPerSecond: 2_000_000)
        let nat = try net.addNAT(publicIP: natIP, configuration: .symmetric, link: LinkConfiguration(impaired))
        let inside = try net.addHost("inside", address: privateIP, behind: nat, link: LinkConfiguration(impaired))
        let server = try net.addHost("server", address: serverIP, link: LinkConfiguration(impaired))
        var received = Set<Int>()
        var t = Instant.zero
        for i in 0..<2000 {
            for d in net.deliver(upTo: t) where d.host == server {
                received.insert(sequenceNumber(d.datagram.payload))
                net.send(datagram(d.datagram.destination, d.datagram.source, d.datagram.payload), from: server, now: t)
            }
            net.send(datagram(address(privateIP, UInt16(5000 + i % 3)), address(serverIP, 3478), sequencePayload(i)),
                     from: inside, now: t)
            t = t + .microseconds(700)
        }
        _ = drain(&net)
        return (net.trace, (0..<2000).filter { !received.contains($0) })
    }

    @Test("the same seed and inputs give an identical delivery sequence")
    func sameSeed() throws {
        let first = try run(seed: 42), second = try run(seed: 42)
        #expect(first.trace.count > 3000)
        #expect(first.trace.digest == second.trace.digest)
        #expect(first.trace == second.trace)
    }

    @Test("a different seed gives a different loss pattern")
    func differentSeed() throws {
        let first = try run(seed: 42), second = try run(seed: 43)
        #expect(!first.lostSequence.isEmpty && !second.lostSequence.isEmpty)
        #expect(first.lostSequence != second.lostSequence)
        #expect(first.trace.digest != second.trace.digest)
    }

    @Test("the trace digest changes when one payload byte changes")
    func digestSensitive() {
        let d = datagram(address(serverIP, 1), address(natIP, 2), [1, 2, 3])
        var e = d
        e.payload[1] = 9
        let a = [NetworkTraceEntry(time: .zero, event: .dropped(.lost), datagram: d)]
        let b = [NetworkTraceEntry(time: .zero, event: .dropped(.lost), datagram: e)]
        #expect(a.digest != b.digest)
    }
}

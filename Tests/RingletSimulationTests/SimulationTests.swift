import RingletCore
import Testing
@testable import RingletSimulation

/// Sends every datagram back to where it came from.
struct Echo: SimulationParticipant {
    var outbox: [Datagram] = []
    var echoed = 0
    mutating func handle(_ datagram: Datagram, now: Instant) {
        outbox.append(Datagram(source: datagram.destination, destination: datagram.source, payload: datagram.payload))
        echoed += 1
    }
    mutating func pollTransmit() -> Datagram? { outbox.isEmpty ? nil : outbox.removeFirst() }
    func nextDeadline() -> Instant? { nil }
    mutating func handleTimeout(now: Instant) {}
}

/// Sends a numbered ping every `interval` until `count`, records when each echo came back.
struct Pinger: SimulationParticipant {
    let local: TransportAddress
    let remote: TransportAddress
    let interval: Duration
    let count: Int
    var next = Instant.zero
    var sent = 0
    var outbox: [Datagram] = []
    var replies: [(sequence: Int, at: Instant)] = []

    mutating func handle(_ datagram: Datagram, now: Instant) {
        replies.append((sequenceNumber(datagram.payload), now))
    }
    mutating func pollTransmit() -> Datagram? { outbox.isEmpty ? nil : outbox.removeFirst() }
    func nextDeadline() -> Instant? { sent < count ? next : nil }
    mutating func handleTimeout(now: Instant) {
        outbox.append(Datagram(source: local, destination: remote, payload: sequencePayload(sent)))
        sent += 1
        next = now + interval
    }
}

/// Wants a timeout at the same instant forever.
struct Spinner: SimulationParticipant {
    var timeouts = 0
    mutating func handle(_ datagram: Datagram, now: Instant) {}
    mutating func pollTransmit() -> Datagram? { nil }
    func nextDeadline() -> Instant? { .milliseconds(5) }
    mutating func handleTimeout(now: Instant) { timeouts += 1 }
}

@Suite("Simulation driver")
struct SimulationTests {
    func pingThroughNAT(seed: UInt64 = 1) throws -> (Simulation, ParticipantID, ParticipantID) {
        var net = SimulatedNetwork(seed: seed)
        net.isTracing = true
        let nat = try net.addNAT(publicIP: natIP, configuration: .portRestrictedCone)
        let client = try net.addHost("client", address: privateIP, behind: nat,
                                     link: LinkConfiguration(LinkConditions(delay: .milliseconds(10))))
        let server = try net.addHost("server", address: serverIP,
                                     link: LinkConfiguration(LinkConditions(delay: .milliseconds(15))))
        var sim = Simulation(network: net)
        let pinger = try sim.add(Pinger(local: address(privateIP, 5000), remote: address(serverIP, 7),
                                        interval: .milliseconds(100), count: 5), on: client)
        let echo = try sim.add(Echo(), on: server)
        return (sim, pinger, echo)
    }

    @Test("an echo server answers pings through a NAT with the round-trip delay of the links")
    func echo() throws {
        var (sim, pinger, echo) = try pingThroughNAT()
        let stop = sim.run(until: .milliseconds(10_000))
        #expect(stop == .idle)
        let p = try #require(sim.participant(pinger, as: Pinger.self))
        #expect(p.replies.map(\.sequence) == [0, 1, 2, 3, 4])
        // Each way: 10 ms (client link) + 15 ms (server link) = 25 ms; round trip 50 ms.
        #expect(p.replies.map(\.at) == (0..<5).map { Instant.milliseconds(Int64($0) * 100 + 50) })
        #expect(sim.participant(echo, as: Echo.self)?.echoed == 5)
        #expect(sim.participant(echo, as: Pinger.self) == nil)
    }

    @Test("a run stops as soon as its condition holds")
    func condition() throws {
        var (sim, pinger, _) = try pingThroughNAT()
        let stop = sim.run(until: { $0.participant(pinger, as: Pinger.self)?.replies.count == 2 },
                           timeLimit: .milliseconds(10_000))
        #expect(stop == .conditionMet)
        #expect(sim.now == .milliseconds(150))
    }

    @Test("a run stops at its time limit with the clock at the limit")
    func timeLimit() throws {
        var (sim, pinger, _) = try pingThroughNAT()
        let stop = sim.run(until: .milliseconds(120))
        #expect(stop == .timeLimit)
        #expect(sim.now == .milliseconds(120))
        #expect(sim.participant(pinger, as: Pinger.self)?.replies.count == 1)
    }

    @Test("a participant that never advances its deadline is stopped by the step limit")
    func stepLimit() throws {
        var net = SimulatedNetwork(seed: 1)
        let h = try net.addHost("h", address: serverIP)
        var sim = Simulation(network: net)
        let id = try sim.add(Spinner(), on: h)
        let stop = sim.run(until: .milliseconds(1_000), maxSteps: 500)
        #expect(stop == .stepLimit)
        #expect(sim.now == .milliseconds(5))
        #expect(sim.steps == 500)
        #expect(sim.participant(id, as: Spinner.self)?.timeouts == 500)
    }

    @Test("two runs of the same scenario and seed give the same trace")
    func deterministicRuns() throws {
        var (first, _, _) = try pingThroughNAT(seed: 9)
        var (second, _, _) = try pingThroughNAT(seed: 9)
        first.run(until: .milliseconds(10_000))
        second.run(until: .milliseconds(10_000))
        #expect(first.network.trace.count == 10)
        #expect(first.network.trace.digest == second.network.trace.digest)
    }

    @Test("a second participant on one host, or one on an unknown host, is refused")
    func oneParticipantPerHost() throws {
        var (sim, _, _) = try pingThroughNAT()
        #expect(throws: SimulationError.self) { try sim.add(Echo(), on: HostID(rawValue: 0)) }
        #expect(throws: SimulationError.self) { try sim.add(Echo(), on: HostID(rawValue: 99)) }
    }

    @Test("cutting the path mid-run stops the replies until it is restored")
    func cutMidRun() throws {
        var (sim, pinger, _) = try pingThroughNAT()
        sim.run(until: .milliseconds(60))
        sim.network.cutPath(between: serverIP, and: natIP)
        sim.run(until: .milliseconds(260))
        #expect(sim.participant(pinger, as: Pinger.self)?.replies.count == 1)
        sim.network.restorePath(between: serverIP, and: natIP)
        sim.run(until: .milliseconds(10_000))
        #expect(sim.participant(pinger, as: Pinger.self)?.replies.map(\.sequence) == [0, 3, 4])
    }
}

import RingletCore
import RingletICE
import RingletSTUN

/// A tiny deterministic network for two agents (not RingletSimulation: that module is written elsewhere).
///
/// Datagrams take `delay` to arrive; `cut` drops everything; a NAT can rewrite one agent's host address to a
/// public one; a fake STUN server answers Binding requests with the source it sees. Time only moves when
/// `run(until:)` jumps to the next delivery or deadline.
struct FakeWire {
    struct Pending {
        var at: Instant
        var datagram: Datagram
        var seq: Int
    }

    var now = Instant.milliseconds(1000)
    var agents: [ICEAgent]
    var events: [[ICEAgent.Event]] = [[], []]
    /// Every transmit an agent produced, with the time.
    var sent: [[(Instant, ICEAgent.Transmit)]] = [[], []]
    /// Application data each agent received: (pair, payload).
    var appData: [[(ICECandidatePair.ID, [UInt8])]] = [[], []]
    /// State changes with the time they happened.
    var stateTimes: [[(Instant, ICEAgent.ConnectionState)]] = [[], []]
    var delay: Duration = .milliseconds(10)
    var cut = false
    /// Agents whose incoming STUN success responses are lost (their consent answers), everything else arriving.
    var responsesLostTo: Set<Int> = []
    /// Host address → public address for an agent behind a NAT.
    var nat: [TransportAddress: TransportAddress] = [:]
    var stunServer: TransportAddress?
    var queue: [Pending] = []
    var seq = 0
    /// Which agent owns which local address.
    var owners: [TransportAddress: Int] = [:]

    init(_ a: ICEAgent, _ b: ICEAgent) { agents = [a, b] }

    mutating func own(_ address: TransportAddress, by agent: Int) { owners[address] = agent }

    mutating func drain() {
        for k in 0..<2 {
            while let o = agents[k].pollOutput() {
                switch o {
                case .event(let e):
                    events[k].append(e)
                    if case .connectionStateChanged(let st) = e { stateTimes[k].append((now, st)) }
                case .transmit(let t):
                    sent[k].append((now, t))
                    guard !cut else { continue }
                    var d = t.datagram
                    if let pub = nat[d.source] { d.source = pub }
                    seq += 1
                    queue.append(Pending(at: now + delay, datagram: d, seq: seq))
                }
            }
        }
    }

    mutating func deliver(_ d: Datagram) {
        if let s = stunServer, d.destination == s {
            guard let m = try? STUNMessage(parsing: d.payload), m.type == .bindingRequest,
                  let r = try? STUNMessage(type: .bindingSuccess, transactionID: m.transactionID, attributes: [
                      STUNAttribute(STUNXORMappedAddress(address: STUNAddress(d.source)), transactionID: m.transactionID),
                  ])
            else { return }
            seq += 1
            queue.append(Pending(at: now + delay, datagram: Datagram(source: s, destination: d.source, payload: r.encoded()), seq: seq))
            return
        }
        var dest = d.destination
        if let host = nat.first(where: { $0.value == dest })?.key { dest = host }
        guard !cut, let k = owners[dest] else { return }
        if responsesLostTo.contains(k), STUNMessage.looksLikeSTUN(d.payload[...]),
           let m = try? STUNMessage(parsing: d.payload), m.type.messageClass == .successResponse
        {
            return
        }
        let r = agents[k].handleDatagram(d.payload, from: d.source, to: dest, now: now)
        if case .applicationData(let id) = r { appData[k].append((id, d.payload)) }
    }

    /// Runs until `end`, delivering datagrams and firing timeouts in time order.
    mutating func run(until end: Instant) {
        var steps = 0
        while steps < 200_000 {
            steps += 1
            drain()
            var next: Instant?
            if let q = queue.min(by: { ($0.at, $0.seq) < ($1.at, $1.seq) }) { next = q.at }
            for k in 0..<2 {
                if let t = agents[k].pollTimeout() { next = min(next ?? max(t, now), max(t, now)) }
            }
            guard let n = next, n <= end else { break }
            now = max(now, n)
            if let i = queue.indices.filter({ queue[$0].at <= now }).min(by: { queue[$0].seq < queue[$1].seq }) {
                let p = queue.remove(at: i)
                deliver(p.datagram)
            } else {
                for k in 0..<2 {
                    if let t = agents[k].pollTimeout(), t <= now { agents[k].handleTimeout(now: now) }
                }
            }
        }
        drain()
        now = max(now, end)
    }

    mutating func run(for d: Duration) { run(until: now + d) }

    /// Puts a transmit an agent made outside its outputs (application data) on the wire.
    mutating func send(_ t: ICEAgent.Transmit) {
        seq += 1
        queue.append(Pending(at: now + delay, datagram: t.datagram, seq: seq))
    }

    /// Exchanges credentials both ways.
    mutating func exchangeCredentials() throws {
        let a = agents[0].localCredentials, b = agents[1].localCredentials
        try agents[0].setRemoteCredentials(b, now: now)
        try agents[1].setRemoteCredentials(a, now: now)
    }

    func states(_ k: Int) -> [ICEAgent.ConnectionState] {
        events[k].compactMap { if case .connectionStateChanged(let s) = $0 { s } else { nil } }
    }

    func selected(_ k: Int) -> [ICECandidatePair] {
        events[k].compactMap { if case .selectedPairChanged(let p) = $0 { p } else { nil } }
    }

}

extension TransportAddress {
    /// Test shorthand: `"10.0.0.1:5000"` (fails the test's expectations if malformed by giving 0.0.0.0:0).
    static func t(_ s: String) -> TransportAddress { TransportAddress(s) ?? TransportAddress(.anyV4, 0) }
}

/// Two host agents, A controlling at 10.0.0.1:5000 and B controlled at 10.0.0.2:6000 (by default).
func makePair(
    seed: UInt64 = 1, roles: (ICEAgent.Role, ICEAgent.Role) = (.controlling, .controlled),
    config: ICEAgent.Configuration = ICEAgent.Configuration(),
    hostA: TransportAddress = .t("10.0.0.1:5000"), hostB: TransportAddress = .t("10.0.0.2:6000")
) throws -> FakeWire {
    var rng = SeededRandom(seed: seed)
    var a = try ICEAgent(configuration: config, role: roles.0, using: &rng)
    var b = try ICEAgent(configuration: config, role: roles.1, using: &rng)
    a.addHostCandidate(hostA, now: .zero)
    b.addHostCandidate(hostB, now: .zero)
    var w = FakeWire(a, b)
    w.own(hostA, by: 0)
    w.own(hostB, by: 1)
    return w
}

extension FakeWire {
    /// Signals each agent's host/relay candidates to the other.
    mutating func exchangeCandidates() {
        let ca = agents[0].localCandidates, cb = agents[1].localCandidates
        for c in cb { agents[0].addRemoteCandidate(c, now: now) }
        for c in ca { agents[1].addRemoteCandidate(c, now: now) }
    }
}

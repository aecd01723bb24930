import Testing
import RingletCore
import RingletDTLS
import RingletEngine
import RingletSimulation

/// Two engines on a seeded simulated network, with in-test signaling.
struct Scenario {
    /// One certificate for every connection of the test run (made once, reused, as the SDK does).
    nonisolated(unsafe) static let certificate: DTLSCertificate = {
        var rng = SeededRandom(seed: 99)
        // Sound: a fresh certificate from fixed inputs cannot fail except for OpenSSL out of memory.
        return try! DTLSCertificate(unixTime: 1_700_000_000, using: &rng)
    }()

    var sim: Simulation
    let a: EngineNode
    let b: EngineNode
    let hostA: HostID
    let hostB: HostID
    let addressA: IPAddress
    let addressB: IPAddress

    /// Engine configuration for a host address with port 5000, fast DTLS retransmission (tests).
    static func configuration(_ ip: IPAddress, port: UInt16 = 5000) -> PeerConnection.Configuration {
        var c = PeerConnection.Configuration(certificate: certificate, hostAddresses: [TransportAddress(ip, port)])
        c.dtls.initialRetransmitInterval = .milliseconds(100)
        return c
    }

    /// Builds the network with `build` (which returns the two hosts and their addresses), then the engines.
    init(seed: UInt64,
         build: (inout SimulatedNetwork) throws -> (HostID, IPAddress, HostID, IPAddress),
         configureA: (inout PeerConnection.Configuration) -> Void = { _ in },
         configureB: (inout PeerConnection.Configuration) -> Void = { _ in },
         extra: (inout Simulation) throws -> Void = { _ in }) throws {
        var net = SimulatedNetwork(seed: seed)
        net.isTracing = true
        let (ha, ia, hb, ib) = try build(&net)
        var ca = Self.configuration(ia)
        var cb = Self.configuration(ib)
        configureA(&ca)
        configureB(&cb)
        var rng = SeededRandom(seed: seed &+ 1)
        a = EngineNode(name: "a", pc: try PeerConnection(configuration: ca, using: &rng))
        b = EngineNode(name: "b", pc: try PeerConnection(configuration: cb, using: &rng))
        a.peer = b
        b.peer = a
        sim = Simulation(network: net)
        try extra(&sim)
        try sim.add(a, on: ha)
        try sim.add(b, on: hb)
        hostA = ha
        hostB = hb
        addressA = ia
        addressB = ib
    }

    /// Two hosts in the internet realm, 10 ms each way on each access link; `sendLoss` (if any) on what each host
    /// sends.
    static func sameRealm(delay: Duration = .milliseconds(10), sendLoss: KindLoss? = nil)
        -> (inout SimulatedNetwork) throws -> (HostID, IPAddress, HostID, IPAddress)
    {
        { net in
            let link = LinkConfiguration(upstream: LinkConditions(delay: delay, kindLoss: sendLoss),
                                         downstream: LinkConditions(delay: delay))
            let ia = IPAddress(198, 51, 100, 10), ib = IPAddress(198, 51, 100, 20)
            let ha = try net.addHost("a", address: ia, link: link)
            let hb = try net.addHost("b", address: ib, link: link)
            return (ha, ia, hb, ib)
        }
    }

    /// a offers, b answers; the answer goes back. Candidates trickle through the nodes.
    mutating func negotiate() throws {
        let now = sim.now
        let offer = try a.pc.createOffer(now: now)
        try b.pc.setRemoteDescription(offer, now: now)
        let answer = try b.pc.createAnswer(now: now)
        try a.pc.setRemoteDescription(answer, now: now)
        a.drainEvents()
        b.drainEvents()
    }

    /// Runs until both sides are connected (or `limit` of simulated time passes).
    @discardableResult
    mutating func runUntilConnected(limit: Duration = .seconds(10)) -> Bool {
        let a = self.a, b = self.b
        let end = sim.now + limit
        sim.run(until: { _ in a.state == .connected && b.state == .connected }, timeLimit: end)
        return a.state == .connected && b.state == .connected
    }

    mutating func run(for d: Duration) { sim.run(until: sim.now + d) }

    mutating func run(until condition: @escaping () -> Bool, limit: Duration) -> Bool {
        sim.run(until: { _ in condition() }, timeLimit: sim.now + limit)
        #expect(sim.stalledTimeouts == 0, "a participant's deadline stayed due after its timeout")
        return condition()
    }
}

extension Scenario {
    /// A digest of the network trace's shape: time, event, addresses, RFC 7983 kind, and the bytes of STUN and
    /// ChannelData-free datagrams except DTLS, SRTP and SRTCP, whose bytes (and DTLS's exact sizes, since ECDSA
    /// signatures vary by a byte or two) come from OpenSSL's own randomness, not from the seed. SRTP sizes are
    /// included.
    var shapeDigest: UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        func mix64(_ v: UInt64) { for i in 0..<8 { mix(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
        for e in sim.network.trace {
            mix64(UInt64(bitPattern: e.time.nanoseconds))
            if case .dropped = e.event { mix(1) } else { mix(0) }
            for b in e.datagram.source.ip.bytes + e.datagram.destination.ip.bytes { mix(b) }
            mix64(UInt64(e.datagram.source.port) << 16 | UInt64(e.datagram.destination.port))
            let kind = DatagramKind.classify(e.datagram.payload)
            switch kind {
            case .dtls: mix(20)
            case .rtp, .rtcp: mix(128); mix64(UInt64(e.datagram.payload.count))
            case .stun: for b in e.datagram.payload { mix(b) }
            default: mix(255); mix64(UInt64(e.datagram.payload.count))
            }
        }
        return h
    }
}

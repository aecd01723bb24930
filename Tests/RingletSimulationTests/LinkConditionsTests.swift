import RingletCore
import Testing
@testable import RingletSimulation

@Suite("Link conditions")
struct LinkConditionsTests {
    @Test("a datagram arrives exactly after the configured delay when there is no jitter")
    func exactDelay() throws {
        var (net, a, b) = try twoHosts(link: LinkConfiguration(LinkConditions(delay: .milliseconds(40))))
        net.send(datagram(address(IPAddress(198, 18, 0, 1), 1), address(IPAddress(198, 18, 0, 2), 2)), from: a,
                 now: .milliseconds(5))
        #expect(net.nextDeliveryTime() == .milliseconds(45))
        #expect(net.deliver(upTo: .milliseconds(44)).isEmpty)
        let got = net.deliver(upTo: .milliseconds(45))
        #expect(got.map(\.host) == [b])
        #expect(got.first?.time == .milliseconds(45))
    }

    @Test("delays on both hosts' links add up")
    func delaysAdd() throws {
        var net = SimulatedNetwork(seed: 1)
        let a = try net.addHost("a", address: IPAddress(198, 18, 0, 1),
                                link: LinkConfiguration(LinkConditions(delay: .milliseconds(10))))
        _ = try net.addHost("b", address: IPAddress(198, 18, 0, 2),
                            link: LinkConfiguration(LinkConditions(delay: .milliseconds(15))))
        net.send(datagram(address(IPAddress(198, 18, 0, 1), 1), address(IPAddress(198, 18, 0, 2), 2)), from: a,
                 now: .zero)
        #expect(drain(&net).map(\.time) == [.milliseconds(25)])
    }

    @Test("jittered delays stay within delay ± jitter and vary", arguments: [JitterDistribution.uniform, .normal])
    func jitterBounds(distribution: JitterDistribution) throws {
        let conditions = LinkConditions(delay: .milliseconds(50), jitter: .milliseconds(10),
                                        jitterDistribution: distribution)
        var (net, a, _) = try twoHosts(link: LinkConfiguration(conditions))
        let spacing = Duration.milliseconds(100)  // wider than the jitter: no reordering to confuse the pairing
        let got = sendNumbered(&net, from: a, count: 500, spacing: spacing)
        #expect(got.count == 500)
        var delays = Set<Int64>()
        for d in got {
            let sent = Int64(sequenceNumber(d.datagram.payload)) * 100_000_000
            let delay = d.time.nanoseconds - sent
            #expect(delay >= 40_000_000 && delay <= 60_000_000)
            delays.insert(delay)
        }
        #expect(delays.count > 100)
    }

    @Test("loss over 10 000 datagrams is within 5 % ± 1 %", arguments: [UInt64(1), 2, 3, 99])
    func lossRate(seed: UInt64) throws {
        var (net, a, _) = try twoHosts(seed: seed, link: LinkConfiguration(LinkConditions(lossProbability: 0.05)))
        let got = sendNumbered(&net, from: a, count: 10_000, spacing: .microseconds(10))
        let lost = 10_000 - got.count
        #expect(lost >= 400 && lost <= 600, "lost \(lost)")
        #expect(net.statistics.dropped(.lost) == lost)
    }

    @Test("jitter reorders datagrams sent closer together than its spread")
    func jitterReorders() throws {
        var (net, a, _) = try twoHosts(link: LinkConfiguration(LinkConditions(delay: .milliseconds(30),
                                                                              jitter: .milliseconds(10))))
        let order = sendNumbered(&net, from: a, count: 200).map { sequenceNumber($0.datagram.payload) }
        #expect(order.count == 200)
        #expect(order != order.sorted())
    }

    @Test("without jitter or reorder probability the order is kept even with delay and loss")
    func noJitterNoReorder() throws {
        var (net, a, _) = try twoHosts(link: LinkConfiguration(LinkConditions(delay: .milliseconds(30),
                                                                              lossProbability: 0.1)))
        let order = sendNumbered(&net, from: a, count: 1000, spacing: .microseconds(100))
            .map { sequenceNumber($0.datagram.payload) }
        #expect(order.count < 1000)
        #expect(order == order.sorted())
    }

    @Test("the explicit reorder probability holds datagrams back so later ones overtake them")
    func explicitReorder() throws {
        var (net, a, _) = try twoHosts(link: LinkConfiguration(LinkConditions(
            delay: .milliseconds(10), reorderProbability: 0.1, reorderDelay: .milliseconds(5))))
        let order = sendNumbered(&net, from: a, count: 1000).map { sequenceNumber($0.datagram.payload) }
        #expect(order.count == 1000)
        let inversions = zip(order, order.dropFirst()).filter { $0 > $1 }.count
        #expect(inversions > 50 && inversions < 150, "inversions \(inversions)")
    }

    @Test("duplication delivers some datagrams twice")
    func duplication() throws {
        var (net, a, _) = try twoHosts(link: LinkConfiguration(LinkConditions(duplicateProbability: 0.1)))
        let got = sendNumbered(&net, from: a, count: 1000)
        let extra = got.count - 1000
        #expect(extra > 60 && extra < 140, "extra \(extra)")
        #expect(net.statistics.duplicated == extra)
        #expect(Set(got.map { sequenceNumber($0.datagram.payload) }).count == 1000)
    }

    @Test("a bandwidth cap serialises datagrams at the link rate")
    func bandwidthSpacing() throws {
        // 1 Mbit/s, 97-byte payload + 28 bytes of headers = 125 bytes = 1 ms per datagram.
        var (net, a, _) = try twoHosts(link: LinkConfiguration(LinkConditions(bandwidthBitsPerSecond: 1_000_000)))
        let from = address(IPAddress(198, 18, 0, 1), 1), to = address(IPAddress(198, 18, 0, 2), 2)
        for _ in 0..<5 { net.send(datagram(from, to, [UInt8](repeating: 0, count: 97)), from: a, now: .zero) }
        #expect(drain(&net).map(\.time) == (1...5).map { Instant.milliseconds(Int64($0)) })
    }

    @Test("a full queue drops the excess (drop-tail)")
    func queueOverflow() throws {
        var (net, a, _) = try twoHosts(link: LinkConfiguration(LinkConditions(bandwidthBitsPerSecond: 1_000_000,
                                                                              queueCapacityBytes: 1000)))
        let from = address(IPAddress(198, 18, 0, 1), 1), to = address(IPAddress(198, 18, 0, 2), 2)
        for _ in 0..<20 { net.send(datagram(from, to, [UInt8](repeating: 0, count: 97)), from: a, now: .zero) }
        let got = drain(&net)
        #expect(got.count == 8)  // 8 × 125 bytes fit in 1000
        #expect(net.statistics.dropped(.queueOverflow) == 12)
    }

    @Test("invalid link settings are refused", arguments: [
        LinkConditions(lossProbability: 1.5),
        LinkConditions(lossProbability: -0.1),
        LinkConditions(delay: .milliseconds(-1)),
        LinkConditions(bandwidthBitsPerSecond: 0),
        LinkConditions(duplicateProbability: 2),
        LinkConditions(kindLoss: KindLoss(.dtls, dropFirst: -1)),
        LinkConditions(kindLoss: KindLoss(.dtls, probability: 1.5)),
    ])
    func invalidSettings(conditions: LinkConditions) {
        var net = SimulatedNetwork(seed: 1)
        #expect(throws: SimulationError.self) {
            try net.addHost("a", address: serverIP, link: LinkConfiguration(conditions))
        }
        #expect(net.host(named: "a") == nil)
    }

    @Test("a datagram from an address the host does not own is dropped as not local")
    func notLocal() throws {
        var (net, a, _) = try twoHosts(link: .perfect)
        net.send(datagram(address(serverIP, 1), address(IPAddress(198, 18, 0, 2), 2)), from: a, now: .zero)
        #expect(drain(&net).isEmpty)
        #expect(net.statistics.dropped(.notLocal) == 1)
    }

    @Test("a destination nobody owns is dropped as no route")
    func noRoute() throws {
        var (net, a, _) = try twoHosts(link: .perfect)
        net.send(datagram(address(IPAddress(198, 18, 0, 1), 1), address(serverIP, 2)), from: a, now: .zero)
        #expect(drain(&net).isEmpty)
        #expect(net.statistics.dropped(.noRoute) == 1)
    }
}

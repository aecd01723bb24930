import RingletCore
import Testing
@testable import RingletSimulation

@Suite("Topology")
struct TopologyTests {
    @Test("IPv6 hosts exchange datagrams, and a multi-homed host sends from each of its addresses")
    func ipv6AndMultiHoming() throws {
        var net = SimulatedNetwork(seed: 1)
        let v6a = try #require(IPAddress("2001:db8::1")), v6b = try #require(IPAddress("2001:db8::2"))
        let a = try net.addHost("a", address: IPAddress(198, 18, 0, 1))
        try net.addInterface(to: a, address: v6a)
        let b = try net.addHost("b", address: v6b)
        try net.addInterface(to: b, address: IPAddress(198, 18, 0, 2))
        #expect(net.addresses(of: a) == [IPAddress(198, 18, 0, 1), v6a])
        net.send(datagram(address(v6a, 1), address(v6b, 2)), from: a, now: .zero)
        net.send(datagram(address(IPAddress(198, 18, 0, 1), 1), address(IPAddress(198, 18, 0, 2), 2)), from: a,
                 now: .zero)
        let got = drain(&net)
        #expect(got.map(\.host) == [b, b])
        #expect(got.map(\.datagram.destination.ip) == [v6b, IPAddress(198, 18, 0, 2)])
    }

    @Test("changing a link mid-run applies to datagrams sent afterwards")
    func setLink() throws {
        var (net, a, _) = try twoHosts(link: .perfect)
        let from = address(IPAddress(198, 18, 0, 1), 1), to = address(IPAddress(198, 18, 0, 2), 2)
        net.send(datagram(from, to), from: a, now: .zero)
        try net.setLink(LinkConfiguration(LinkConditions(delay: .milliseconds(30))), for: a)
        net.send(datagram(from, to), from: a, now: .milliseconds(1))
        try net.setLink(LinkConfiguration(LinkConditions(lossProbability: 1)), for: a)
        net.send(datagram(from, to), from: a, now: .milliseconds(2))
        #expect(drain(&net).map(\.time) == [.zero, .milliseconds(31)])
        #expect(net.statistics.dropped(.lost) == 1)
    }

    @Test("hosts are found by name and names are unique")
    func names() throws {
        var (net, a, b) = try twoHosts(link: .perfect)
        #expect(net.host(named: "a") == a)
        #expect(net.name(of: b) == "b")
        #expect(throws: SimulationError.self) { try net.addHost("a", address: serverIP) }
    }
}

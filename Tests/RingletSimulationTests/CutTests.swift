import RingletCore
import Testing
@testable import RingletSimulation

@Suite("Cut paths and hosts")
struct CutTests {
    @Test("a cut path drops everything between the two addresses until restored")
    func cutPath() throws {
        var (net, a, b) = try twoHosts(link: .perfect)
        let aAddr = address(IPAddress(198, 18, 0, 1), 1), bAddr = address(IPAddress(198, 18, 0, 2), 2)
        net.cutPath(between: aAddr.ip, and: bAddr.ip)
        for i in 0..<10 {
            net.send(datagram(aAddr, bAddr), from: a, now: .milliseconds(Int64(i)))
            net.send(datagram(bAddr, aAddr), from: b, now: .milliseconds(Int64(i)))
        }
        #expect(drain(&net).isEmpty)
        #expect(net.statistics.dropped(.cut) == 20)
        net.restorePath(between: bAddr.ip, and: aAddr.ip)
        net.send(datagram(aAddr, bAddr), from: a, now: .milliseconds(20))
        #expect(drain(&net).map(\.host) == [b])
    }

    @Test("a cut path leaves other paths alone")
    func otherPathsUntouched() throws {
        var (net, a, _) = try twoHosts(link: .perfect)
        let c = try net.addHost("c", address: serverIP)
        net.cutPath(between: IPAddress(198, 18, 0, 1), and: IPAddress(198, 18, 0, 2))
        net.send(datagram(address(IPAddress(198, 18, 0, 1), 1), address(serverIP, 2)), from: a, now: .zero)
        #expect(drain(&net).map(\.host) == [c])
    }

    @Test("datagrams already in flight are dropped when the path is cut")
    func inFlight() throws {
        var (net, a, _) = try twoHosts(link: LinkConfiguration(LinkConditions(delay: .milliseconds(50))))
        net.send(datagram(address(IPAddress(198, 18, 0, 1), 1), address(IPAddress(198, 18, 0, 2), 2)), from: a,
                 now: .zero)
        net.cutPath(between: IPAddress(198, 18, 0, 1), and: IPAddress(198, 18, 0, 2))
        #expect(drain(&net).isEmpty)
        #expect(net.statistics.dropped(.cut) == 1)
    }

    @Test("cutting a host behind a NAT by its public path blocks replies through the NAT")
    func cutThroughNAT() throws {
        var world = try NATWorld(.fullCone)
        let mappedResult = world.outbound(to: address(serverIP, 3478))
        let mapped = try #require(mappedResult)
        world.net.cutPath(between: serverIP, and: natIP)
        let blocked = world.inbound(from: address(serverIP, 3478), to: mapped)
        #expect(!blocked)
        world.net.restorePath(between: serverIP, and: natIP)
        let open = world.inbound(from: address(serverIP, 3478), to: mapped)
        #expect(open)
    }

    @Test("a cut host neither sends nor receives until restored")
    func cutHost() throws {
        var (net, a, b) = try twoHosts(link: .perfect)
        let aAddr = address(IPAddress(198, 18, 0, 1), 1), bAddr = address(IPAddress(198, 18, 0, 2), 2)
        net.cut(host: b)
        net.send(datagram(aAddr, bAddr), from: a, now: .zero)
        net.send(datagram(bAddr, aAddr), from: b, now: .zero)
        #expect(drain(&net).isEmpty)
        net.restore(host: b)
        net.send(datagram(aAddr, bAddr), from: a, now: .milliseconds(1))
        net.send(datagram(bAddr, aAddr), from: b, now: .milliseconds(1))
        #expect(Set(drain(&net).map(\.host)) == [a, b])
    }
}

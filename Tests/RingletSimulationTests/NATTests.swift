import RingletCore
import Testing
@testable import RingletSimulation

/// One host behind a NAT, two servers on the internet.
struct NATWorld {
    var net: SimulatedNetwork
    let nat: NATID
    let inside: HostID
    let server: HostID
    let otherServer: HostID

    init(_ configuration: NATConfiguration, seed: UInt64 = 1) throws {
        net = SimulatedNetwork(seed: seed)
        nat = try net.addNAT(publicIP: natIP, configuration: configuration)
        inside = try net.addHost("inside", address: privateIP, behind: nat)
        server = try net.addHost("server", address: serverIP)
        otherServer = try net.addHost("other", address: otherServerIP)
    }

    /// Sends from the inside host's port 5000 to `to` at `now`; returns the source address the receiver saw.
    mutating func outbound(to: TransportAddress, now: Instant = .zero) -> TransportAddress? {
        net.send(datagram(address(privateIP, 5000), to), from: inside, now: now)
        return drain(&net).first?.datagram.source
    }

    /// Sends from `from` (a server address) to `to` at `now`; true if the inside host received it.
    mutating func inbound(from: TransportAddress, to: TransportAddress, now: Instant = .zero) -> Bool {
        let host = from.ip == serverIP ? server : otherServer
        net.send(datagram(from, to), from: host, now: now)
        return drain(&net).contains { $0.host == inside && $0.datagram.destination == address(privateIP, 5000) }
    }
}

@Suite("NAT behaviour (RFC 4787)")
struct NATTests {
    @Test("mapping behaviour decides when a new external address is used (RFC 4787 §4.1)", arguments: [
        (NATMappingBehavior.endpointIndependent, true, true),
        (.addressDependent, true, false),
        (.addressAndPortDependent, false, false),
    ])
    func mapping(behavior: NATMappingBehavior, samePortReused: Bool, otherAddressReused: Bool) throws {
        var world = try NATWorld(NATConfiguration(mapping: behavior, filtering: .endpointIndependent))
        let firstResult = world.outbound(to: address(serverIP, 3478))
        let first = try #require(firstResult)
        let otherPortResult = world.outbound(to: address(serverIP, 3479))
        let otherPort = try #require(otherPortResult)
        let otherAddressResult = world.outbound(to: address(otherServerIP, 3478))
        let otherAddress = try #require(otherAddressResult)
        #expect(first.ip == natIP)
        #expect((first == otherPort) == samePortReused)
        #expect((first == otherAddress) == otherAddressReused)
        let r9 = world.outbound(to: address(serverIP, 3478))
        #expect(r9 == first)
    }

    @Test("filtering behaviour decides which unsolicited datagrams get in (RFC 4787 §5)", arguments: [
        (NATFilteringBehavior.endpointIndependent, true, true),
        (.addressDependent, true, false),
        (.addressAndPortDependent, false, false),
    ])
    func filtering(behavior: NATFilteringBehavior, fromOtherPort: Bool, fromOtherAddress: Bool) throws {
        var world = try NATWorld(NATConfiguration(mapping: .endpointIndependent, filtering: behavior))
        let mappedResult = world.outbound(to: address(serverIP, 3478))
        let mapped = try #require(mappedResult)
        let r10 = world.inbound(from: address(serverIP, 3478), to: mapped)
        #expect(r10)
        let r11 = world.inbound(from: address(serverIP, 9999), to: mapped)
        #expect(r11 == fromOtherPort)
        let r12 = world.inbound(from: address(otherServerIP, 3478), to: mapped)
        #expect(r12 == fromOtherAddress)
        let refused = (fromOtherPort ? 0 : 1) + (fromOtherAddress ? 0 : 1)
        #expect(world.net.statistics.dropped(.filtered) == refused)
    }

    @Test("presets use the RFC 4787 behaviours their names stand for", arguments: [
        (NATConfiguration.fullCone, NATMappingBehavior.endpointIndependent, NATFilteringBehavior.endpointIndependent),
        (.restrictedCone, .endpointIndependent, .addressDependent),
        (.portRestrictedCone, .endpointIndependent, .addressAndPortDependent),
        (.symmetric, .addressAndPortDependent, .addressAndPortDependent),
    ])
    func presets(preset: NATConfiguration, mapping: NATMappingBehavior, filtering: NATFilteringBehavior) {
        #expect(preset.mapping == mapping)
        #expect(preset.filtering == filtering)
    }

    @Test("a datagram to the NAT on a port with no mapping is dropped")
    func noMapping() throws {
        var world = try NATWorld(.fullCone)
        let r13 = world.inbound(from: address(serverIP, 3478), to: address(natIP, 5000))
        #expect(!r13)
        #expect(world.net.statistics.dropped(.noMapping) == 1)
    }

    @Test("port-preserving assignment keeps the internal port")
    func portPreserving() throws {
        var world = try NATWorld(.fullCone)
        let r14 = world.outbound(to: address(serverIP, 3478))
        #expect(r14 == address(natIP, 5000))
    }

    @Test("port preservation falls back to another port when two hosts use the same internal port")
    func portPreservingConflict() throws {
        var world = try NATWorld(.fullCone)
        let second = try world.net.addHost("second", address: IPAddress(192, 168, 1, 3), behind: world.nat)
        let first = world.outbound(to: address(serverIP, 3478))
        world.net.send(datagram(address(IPAddress(192, 168, 1, 3), 5000), address(serverIP, 3478)), from: second,
                       now: .zero)
        let other = drain(&world.net).first?.datagram.source
        #expect(first == address(natIP, 5000))
        #expect(other != nil && other != first && other?.ip == natIP)
    }

    @Test("random port assignment draws ports from the seed, in range")
    func randomPorts() throws {
        var config = NATConfiguration.symmetric
        config.portRange = 40000...49999
        var ports: [UInt16] = []
        for seed in [UInt64(1), 2] {
            var world = try NATWorld(config, seed: seed)
            let mappedResult = world.outbound(to: address(serverIP, 3478))
            let mapped = try #require(mappedResult)
            #expect(config.portRange.contains(mapped.port))
            ports.append(mapped.port)
        }
        #expect(ports[0] != ports[1])
        var again = try NATWorld(config, seed: 1)
        let r15 = again.outbound(to: address(serverIP, 3478))?.port
        #expect(r15 == ports[0])
    }

    @Test("a mapping expires after its lifetime without outbound traffic (RFC 4787 §4.3)")
    func expiry() throws {
        var config = NATConfiguration.portRestrictedCone
        config.mappingLifetime = .seconds(30)
        var world = try NATWorld(config)
        let mappedResult = world.outbound(to: address(serverIP, 3478))
        let mapped = try #require(mappedResult)
        let r16 = world.inbound(from: address(serverIP, 3478), to: mapped, now: .milliseconds(29_999))
        #expect(r16)
        #expect(world.net.mappingCount(of: world.nat, at: .milliseconds(29_999)) == 1)
        let r17 = world.inbound(from: address(serverIP, 3478), to: mapped, now: .milliseconds(30_000))
        #expect(!r17)
        #expect(world.net.statistics.dropped(.noMapping) == 1)
        #expect(world.net.mappingCount(of: world.nat, at: .milliseconds(30_000)) == 0)
    }

    @Test("outbound traffic refreshes the mapping; inbound traffic does not (RFC 4787 REQ-6)")
    func refresh() throws {
        var config = NATConfiguration.portRestrictedCone
        config.mappingLifetime = .seconds(30)
        var world = try NATWorld(config)
        let mappedResult = world.outbound(to: address(serverIP, 3478))
        let mapped = try #require(mappedResult)
        let r18 = world.inbound(from: address(serverIP, 3478), to: mapped, now: .milliseconds(25_000))
        #expect(r18)
        let r19 = world.outbound(to: address(serverIP, 3478), now: .milliseconds(20_000))
        #expect(r19 == mapped)
        let r20 = world.inbound(from: address(serverIP, 3478), to: mapped, now: .milliseconds(49_000))
        #expect(r20)
        let r21 = world.inbound(from: address(serverIP, 3478), to: mapped, now: .milliseconds(51_000))
        #expect(!r21)
    }

    @Test("hairpinning lets two hosts behind one NAT reach each other's public address (RFC 4787 §6)",
          arguments: [true, false])
    func hairpinning(enabled: Bool) throws {
        var config = NATConfiguration.fullCone
        config.hairpinning = enabled
        var world = try NATWorld(config)
        let peerIP = IPAddress(192, 168, 1, 3)
        let peer = try world.net.addHost("peer", address: peerIP, behind: world.nat)
        world.net.send(datagram(address(peerIP, 6000), address(serverIP, 3478)), from: peer, now: .zero)
        let peerMappedResult = drain(&world.net).first?.datagram.source
        let peerMapped = try #require(peerMappedResult)
        world.net.send(datagram(address(privateIP, 5000), peerMapped), from: world.inside, now: .zero)
        let got = drain(&world.net)
        if enabled {
            #expect(got.map(\.host) == [peer])
            #expect(got.first?.datagram.source == address(natIP, 5000))  // the external source (REQ-9)
            #expect(got.first?.datagram.destination == address(peerIP, 6000))
        } else {
            #expect(got.isEmpty)
            #expect(world.net.statistics.dropped(.hairpinRefused) == 1)
        }
    }

    @Test("two homes may use the same private address; replies go back to the right one")
    func overlappingPrivateRealms() throws {
        var net = SimulatedNetwork(seed: 1)
        let nat1 = try net.addNAT(publicIP: natIP, configuration: .fullCone)
        let nat2 = try net.addNAT(publicIP: IPAddress(192, 0, 2, 2), configuration: .symmetric)
        let h1 = try net.addHost("h1", address: privateIP, behind: nat1)
        let h2 = try net.addHost("h2", address: privateIP, behind: nat2)
        let server = try net.addHost("server", address: serverIP)
        net.send(datagram(address(privateIP, 5000), address(serverIP, 3478), [1]), from: h1, now: .zero)
        net.send(datagram(address(privateIP, 5000), address(serverIP, 3478), [2]), from: h2, now: .zero)
        let seen = drain(&net)
        #expect(seen.count == 2)
        #expect(Set(seen.map(\.datagram.source.ip)) == [natIP, IPAddress(192, 0, 2, 2)])
        for s in seen {
            net.send(datagram(address(serverIP, 3478), s.datagram.source, s.datagram.payload), from: server,
                     now: .milliseconds(1))
        }
        let replies = drain(&net)
        #expect(replies.count == 2)
        for r in replies { #expect(r.host == (r.datagram.payload == [1] ? h1 : h2)) }
    }

    @Test("a host behind two levels of NAT appears with the outer NAT's address")
    func nestedNAT() throws {
        var net = SimulatedNetwork(seed: 1)
        let cgn = try net.addNAT(publicIP: natIP, configuration: .portRestrictedCone)
        let home = try net.addNAT(publicIP: IPAddress(100, 64, 0, 5), configuration: .fullCone, behind: cgn)
        let h = try net.addHost("h", address: privateIP, behind: home)
        _ = try net.addHost("server", address: serverIP)
        net.send(datagram(address(privateIP, 5000), address(serverIP, 3478)), from: h, now: .zero)
        let r22 = drain(&net).first?.datagram.source.ip
        #expect(r22 == natIP)
    }

    @Test("two things with one address in one realm are refused")
    func duplicateAddress() throws {
        var net = SimulatedNetwork(seed: 1)
        _ = try net.addNAT(publicIP: natIP, configuration: .fullCone)
        #expect(throws: SimulationError.self) { try net.addHost("x", address: natIP) }
        #expect(throws: SimulationError.self) { try net.addNAT(publicIP: natIP, configuration: .symmetric) }
    }
}

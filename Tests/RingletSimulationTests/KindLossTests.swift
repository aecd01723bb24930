import RingletCore
import Testing
@testable import RingletSimulation

@Suite("Loss aimed at one kind of datagram")
struct KindLossTests {
    static let from = address(IPAddress(198, 18, 0, 1), 5000)
    static let to = address(IPAddress(198, 18, 0, 2), 6000)

    /// Sends `count` datagrams, alternately DTLS-looking (first byte 22) and STUN-looking (first byte 0), numbered
    /// in their second to fifth bytes; returns the numbers delivered.
    static func alternate(_ net: inout SimulatedNetwork, from a: HostID, count: Int) -> [Int] {
        for i in 0..<count {
            let first: UInt8 = i % 2 == 0 ? 22 : 0
            net.send(datagram(from, to, [first] + sequencePayload(i)), from: a, now: .milliseconds(Int64(i)))
        }
        return drain(&net).map { sequenceNumber(Array($0.datagram.payload.dropFirst())) }
    }

    @Test("the first N datagrams of the kind are dropped and every other datagram passes")
    func dropFirst() throws {
        let aimed = LinkConditions(kindLoss: KindLoss(.dtls, dropFirst: 3))
        var (net, a, _) = try twoHosts(link: LinkConfiguration(upstream: aimed, downstream: .perfect))
        let delivered = Self.alternate(&net, from: a, count: 20)
        #expect(delivered == [1, 3, 5] + Array(6..<20), "DTLS 0, 2 and 4 dropped")
        #expect(net.statistics.dropped(.kindLost) == 3)
        #expect(net.statistics.dropped(.lost) == 0)
    }

    @Test("later datagrams of the kind are lost with the probability, the same ones for the same seed")
    func probabilityFromTheSeed() throws {
        func run(seed: UInt64) throws -> [Int] {
            let aimed = LinkConditions(kindLoss: KindLoss(.dtls, dropFirst: 1, probability: 0.5))
            var (net, a, _) = try twoHosts(seed: seed, link: LinkConfiguration(upstream: aimed, downstream: .perfect))
            return Self.alternate(&net, from: a, count: 400)
        }
        let first = try run(seed: 7)
        #expect(try run(seed: 7) == first)
        #expect(try run(seed: 8) != first)
        let odd = first.filter { $0 % 2 == 1 }
        #expect(odd.count == 200, "STUN datagrams all pass")
        let dtls = first.filter { $0 % 2 == 0 }
        #expect(!dtls.contains(0))
        #expect((70...130).contains(dtls.count), "about half of the 199 later DTLS datagrams: \(dtls.count)")
    }

    @Test("a link without kind loss draws nothing more from the seed")
    func noExtraDraws() throws {
        let lossy = LinkConditions(lossProbability: 0.2)
        var withRule = lossy
        withRule.kindLoss = KindLoss(.rtp, dropFirst: 0, probability: 0)
        var (plain, a1, _) = try twoHosts(seed: 3, link: LinkConfiguration(lossy))
        var (ruled, a2, _) = try twoHosts(seed: 3, link: LinkConfiguration(withRule))
        #expect(Self.alternate(&plain, from: a1, count: 200) == Self.alternate(&ruled, from: a2, count: 200))
    }
}

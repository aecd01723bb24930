import RingletCore
@testable import RingletSimulation

let serverIP = IPAddress(203, 0, 113, 10)
let otherServerIP = IPAddress(198, 51, 100, 20)
let natIP = IPAddress(192, 0, 2, 1)
let privateIP = IPAddress(192, 168, 1, 2)

func address(_ ip: IPAddress, _ port: UInt16) -> TransportAddress { TransportAddress(ip, port) }

func datagram(_ from: TransportAddress, _ to: TransportAddress, _ payload: [UInt8] = [1, 2, 3]) -> Datagram {
    Datagram(source: from, destination: to, payload: payload)
}

/// Delivers everything pending, event by event, up to `limit`.
func drain(_ net: inout SimulatedNetwork, limit: Instant = .milliseconds(1_000_000)) -> [Delivery] {
    var out: [Delivery] = []
    while let next = net.nextDeliveryTime(), next <= limit {
        out += net.deliver(upTo: next)
    }
    return out
}

/// A sequence number payload: 4 bytes big-endian.
func sequencePayload(_ n: Int) -> [UInt8] {
    [UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16),
     UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
}

func sequenceNumber(_ payload: [UInt8]) -> Int {
    payload.prefix(4).reduce(0) { $0 << 8 | Int($1) }
}

/// Two internet hosts, "a" at 10.0.0.1-ish public space and "b", with `link` on a's side.
func twoHosts(seed: UInt64 = 1, link: LinkConfiguration) throws -> (SimulatedNetwork, HostID, HostID) {
    var net = SimulatedNetwork(seed: seed)
    let a = try net.addHost("a", address: IPAddress(198, 18, 0, 1), link: link)
    let b = try net.addHost("b", address: IPAddress(198, 18, 0, 2))
    return (net, a, b)
}

/// Sends `count` numbered datagrams from a to b, one every `spacing`, and returns b's deliveries.
func sendNumbered(_ net: inout SimulatedNetwork, from a: HostID, count: Int,
                  spacing: Duration = .milliseconds(1)) -> [Delivery] {
    let from = address(IPAddress(198, 18, 0, 1), 5000)
    let to = address(IPAddress(198, 18, 0, 2), 6000)
    var out: [Delivery] = []
    var t = Instant.zero
    for i in 0..<count {
        out += net.deliver(upTo: t)
        net.send(datagram(from, to, sequencePayload(i)), from: a, now: t)
        t = t + spacing
    }
    return out + drain(&net)
}

import RingletCore
import RingletSimulation
import RingletTURN

/// A `TURNServer` as a simulation participant: it listens on `address` and opens relay "sockets" as further
/// ports of its host's address (the simulated network gives a host every port of its addresses).
final class TURNServerNode: DatagramDriven {
    static let secret = Array("ringlet-simulation-secret".utf8)
    static let unixTime: Int64 = 1_700_000_000

    var server: TURNServer
    let address: TransportAddress
    private var nextPort: UInt16 = 49_152
    private var relays: Set<TransportAddress> = []
    private var out: [Datagram] = []
    private var head = 0

    init(address: TransportAddress, seed: UInt64) throws {
        self.address = address
        let c = TURNServer.Configuration(sharedSecret: Self.secret)
        server = try TURNServer(configuration: c, now: .zero, unixTime: Self.unixTime,
                                random: SeededRandom(seed: seed))
    }

    /// REST credentials valid for a day of simulated time.
    static func credential(id: String) throws -> TURNRESTCredential {
        try TURNRESTCredential(id: id, expiry: UInt64(unixTime + 86_400), secret: secret)
    }

    func handle(_ d: Datagram, now: Instant) {
        if d.destination == address {
            server.handleFromClient(d.payload, flow: .init(client: d.source, server: address, transport: .udp),
                                    now: now)
        } else if relays.contains(d.destination) {
            server.handleFromPeer(d.payload, relay: d.destination, peer: d.source, now: now)
        }
        drain(now: now)
    }

    func pollTransmit() -> Datagram? {
        guard head < out.count else {
            out.removeAll(keepingCapacity: true)
            head = 0
            return nil
        }
        head += 1
        return out[head - 1]
    }

    func nextDeadline() -> Instant? { server.pollTimeout() }

    func handleTimeout(now: Instant) {
        server.handleTimeout(now: now)
        drain(now: now)
    }

    private func drain(now: Instant) {
        var opened = true
        while opened {
            opened = false
            var requests: [TURNServer.RelayRequest] = []
            while let o = server.pollOutput() {
                switch o {
                case .toClient(let flow, let payload):
                    out.append(Datagram(source: flow.server, destination: flow.client, payload: payload))
                case .toPeer(let d): out.append(d)
                case .openRelay(let r): requests.append(r)
                case .closeRelay(let a): relays.remove(a)
                case .closeClientConnection, .event: break
                }
            }
            for r in requests {
                let a = TransportAddress(address.ip, nextPort)
                nextPort &+= 1
                relays.insert(a)
                server.handleRelayOpened(r.id, relay: a, now: now)
                opened = true
            }
        }
    }
}

import RingletCore
import RingletSTUN

/// Fuzz entry points for the TURN server (SPI, never reachable from the network).
@_spi(Fuzzing)
public enum TURNServerFuzz {
    static let secret = Array("fuzz-secret".utf8)
    static let client = TransportAddress(IPAddress(192, 0, 2, 1), 40_000)
    static let server = TransportAddress(IPAddress(198, 51, 100, 1), 3478)
    static let relay = TransportAddress(IPAddress(203, 0, 113, 1), 50_000)
    static let peer = TransportAddress(IPAddress(93, 184, 216, 34), 7000)

    /// Drives a server with a fixed configuration that already holds an allocation (with a permission and
    /// channel 0x4000 for one peer) with `data`: as a UDP datagram from that client and from a stranger, as TCP
    /// bytes in two pieces, and as a datagram from the peer. Traps only if the server breaks an invariant: a
    /// valid client cannot allocate, or an output is not well-formed (a UDP answer that is neither STUN, a
    /// classic STUN response nor ChannelData; a relayed datagram over 65 535 bytes).
    public static func fromClient(_ data: [UInt8]) {
        var configuration = TURNServer.Configuration(sharedSecret: secret)
        configuration.allowLoopbackPeers = true
        guard var s = try? TURNServer(configuration: configuration, now: .zero, unixTime: 1_750_000_000,
                                      random: SeededRandom(seed: 1))
        else { fatalError("the fuzz configuration is invalid") }
        let udp = TURNServer.ClientFlow(client: client, server: server, transport: .udp)
        guard setUp(&s, flow: udp) else { fatalError("a valid client could not allocate") }
        let now = Instant(nanoseconds: 1_000_000_000)
        s.handleFromClient(data, flow: udp, now: now)
        check(&s)
        let stranger = TURNServer.ClientFlow(client: TransportAddress(IPAddress(192, 0, 2, 2), 1), server: server,
                                             transport: .udp)
        s.handleFromClient(data, flow: stranger, now: now)
        check(&s)
        let tcp = TURNServer.ClientFlow(client: client, server: server, transport: .tcp)
        let half = data.count / 2
        s.handleFromClient(data[..<half], flow: tcp, now: now)
        s.handleFromClient(data[half...], flow: tcp, now: now)
        check(&s)
        s.handleFromPeer(data, relay: relay, peer: peer, now: now)
        check(&s)
        s.handleTimeout(now: now + .seconds(4000))
        check(&s)
    }

    /// Allocate (401, then signed), then ChannelBind 0x4000 to the peer.
    static func setUp(_ s: inout TURNServer, flow: TURNServer.ClientFlow) -> Bool {
        var random = SeededRandom(seed: 2)
        guard let credential = try? TURNRESTCredential(id: "fuzz", expiry: 1_800_000_000, secret: secret),
              let key = try? STUNIntegrityKey.longTerm(username: credential.username, realm: s.configuration.realm,
                                                       password: credential.password)
        else { return false }
        let transport = STUNAttribute(STUNRequestedTransport(protocolNumber: 17), transactionID: .init(high: 0, low: 0))
        func request(_ method: STUNMethod, _ attributes: [STUNAttribute], nonce: [UInt8]?) -> [UInt8]? {
            let id = STUNTransactionID.random(using: &random)
            var all = attributes
            if let nonce {
                guard let u = try? STUNAttribute(type: .username, value: Array(credential.username.utf8)),
                      let r = try? STUNAttribute(type: .realm, value: Array(s.configuration.realm.utf8)),
                      let n = try? STUNAttribute(type: .nonce, value: nonce)
                else { return nil }
                all += [u, r, n]
            }
            let m = try? STUNMessage(type: STUNMessageType(method: method, messageClass: .request), transactionID: id,
                                     attributes: all)
            return try? m?.encoded(messageIntegrity: nonce == nil ? nil : key)
        }
        guard let first = request(.allocate, [transport], nonce: nil) else { return false }
        s.handleFromClient(first, flow: flow, now: .zero)
        var nonce: [UInt8]?
        while let o = s.pollOutput() {
            if case .toClient(_, let payload) = o, let m = try? STUNMessage(parsing: payload) {
                nonce = m.firstAttribute(.nonce).map { Array($0.value) }
            }
        }
        guard let nonce, let second = request(.allocate, [transport], nonce: nonce) else { return false }
        s.handleFromClient(second, flow: flow, now: .zero)
        while let o = s.pollOutput() {
            if case .openRelay(let r) = o { s.handleRelayOpened(r.id, relay: relay, now: .zero) }
        }
        guard let channel = try? STUNAttribute(type: .channelNumber, value: [0x40, 0x00, 0, 0]) else { return false }
        let bind = [channel,
                    STUNAttribute(STUNXORPeerAddress(address: STUNAddress(peer)), transactionID: .init(high: 0, low: 0))]
        guard let third = request(.channelBind, bind, nonce: nonce) else { return false }
        s.handleFromClient(third, flow: flow, now: .zero)
        var bound = false
        while let o = s.pollOutput() {
            if case .toClient(_, let payload) = o, let m = try? STUNMessage(parsing: payload),
               m.type.messageClass == .successResponse { bound = true }
        }
        return bound && s.relayAddress(for: flow) == relay
    }

    /// Drains the outputs and checks that each is well-formed.
    static func check(_ s: inout TURNServer) {
        while let o = s.pollOutput() {
            switch o {
            case .toClient(let flow, let payload):
                guard flow.transport == .udp else { continue }
                let classic = payload.count >= 20 && payload[0] == 0x01 && payload[1] == 0x01
                guard STUNMessage.looksLikeSTUN(payload) || classic || (try? ChannelData(parsing: payload)) != nil
                else { fatalError("the server sent a malformed datagram to a client") }
                if STUNMessage.looksLikeSTUN(payload), (try? STUNMessage(parsing: payload)) == nil {
                    fatalError("the server sent a STUN message that does not parse")
                }
            case .toPeer(let d):
                guard d.payload.count <= 0xFFFF else { fatalError("relayed datagram over 65535 bytes") }
            default:
                break
            }
        }
    }
}

import RingletCore
import RingletSTUN
import RingletTURN

/// A TURN server with a fake clock and a fake shell that opens relays at once, for scenario tests.
struct ServerHarness {
    static let secret = Array("north-wind-secret".utf8)
    static let serverAddress = TransportAddress(IPAddress(198, 51, 100, 1), 3478)
    static let unixStart: Int64 = 1_750_000_000
    static let relayIP = IPAddress(203, 0, 113, 1)

    var server: TURNServer
    var now = Instant.zero
    var nextRelayPort: UInt16 = 49_152
    /// When false, `openRelay` outputs are left for the test to answer.
    var opensRelays = true
    /// Relay requests seen (answered or not).
    var relayRequests: [TURNServer.RelayRequest] = []

    init(_ configure: (inout TURNServer.Configuration) -> Void = { _ in }) throws {
        var configuration = TURNServer.Configuration(sharedSecret: ServerHarness.secret)
        configure(&configuration)
        server = try TURNServer(configuration: configuration, now: .zero, unixTime: ServerHarness.unixStart,
                                random: SeededRandom(seed: 7))
    }

    static func flow(_ client: String, _ transport: TransportProtocol = .udp) -> TURNServer.ClientFlow {
        TURNServer.ClientFlow(client: TransportAddress(client) ?? TransportAddress(.anyV4, 0),
                              server: serverAddress, transport: transport)
    }

    /// Drains every output, opening relays when asked (if `opensRelays`).
    mutating func drain() -> [TURNServer.Output] {
        var out: [TURNServer.Output] = []
        while let o = server.pollOutput() {
            out.append(o)
            if case .openRelay(let request) = o {
                relayRequests.append(request)
                if opensRelays {
                    let relay = TransportAddress(ServerHarness.relayIP, nextRelayPort)
                    nextRelayPort &+= 2
                    server.handleRelayOpened(request.id, relay: relay, now: now)
                }
            }
        }
        return out
    }

    mutating func fromClient(_ bytes: [UInt8], _ flow: TURNServer.ClientFlow) -> [TURNServer.Output] {
        server.handleFromClient(bytes, flow: flow, now: now)
        return drain()
    }

    mutating func fromPeer(_ bytes: [UInt8], relay: TransportAddress, peer: TransportAddress) -> [TURNServer.Output] {
        server.handleFromPeer(bytes, relay: relay, peer: peer, now: now)
        return drain()
    }

    /// Moves the clock and fires the timer as a shell would (possibly several times).
    mutating func advance(_ d: Duration) -> [TURNServer.Output] {
        let target = now + d
        var out: [TURNServer.Output] = []
        while let deadline = server.pollTimeout(), deadline <= target {
            now = max(now, deadline)
            server.handleTimeout(now: now)
            out += drain()
        }
        now = target
        server.handleTimeout(now: now)
        return out + drain()
    }
}

extension [TURNServer.Output] {
    /// Payloads sent to `flow` (or to any client).
    func toClient(_ flow: TURNServer.ClientFlow? = nil) -> [[UInt8]] {
        compactMap {
            if case .toClient(let f, let payload) = $0, flow == nil || f == flow { return payload }
            return nil
        }
    }

    /// STUN messages sent to clients.
    var messages: [STUNMessage] { toClient().compactMap { try? STUNMessage(parsing: $0) } }

    /// The one STUN response, if exactly one was sent.
    var response: STUNMessage? { messages.count == 1 ? messages.first : nil }

    /// Datagrams sent to peers.
    var toPeer: [Datagram] {
        compactMap {
            if case .toPeer(let d) = $0 { return d }
            return nil
        }
    }

    var events: [TURNServer.Event] {
        compactMap {
            if case .event(let e) = $0 { return e }
            return nil
        }
    }

    var closedRelays: [TransportAddress] {
        compactMap {
            if case .closeRelay(let a) = $0 { return a }
            return nil
        }
    }
}

extension STUNMessage {
    /// The ERROR-CODE value, if any.
    var errorCode: Int? { ((try? attribute(STUNErrorCode.self)) ?? nil)?.code }
    var nonceValue: String? { ((try? attribute(STUNNonce.self)) ?? nil)?.value }
}

/// A TURN client built from RingletSTUN's message builders, holding REST credentials.
struct FakeClient {
    let flow: TURNServer.ClientFlow
    var username: String
    var password: String
    var realm = "ringlet"
    var nonce: String?
    var random: SeededRandom

    init(_ flow: TURNServer.ClientFlow, id: String = "device-42", expiry: Int64 = ServerHarness.unixStart + 86_400,
         secret: [UInt8] = ServerHarness.secret, seed: UInt64 = 1) throws
    {
        self.flow = flow
        let credential = try TURNRESTCredential(id: id, expiry: UInt64(expiry), secret: secret)
        username = credential.username
        password = credential.password
        random = SeededRandom(seed: seed)
    }

    func key() throws -> STUNIntegrityKey {
        try STUNIntegrityKey.longTerm(username: username, realm: realm, password: password)
    }

    /// A request (or indication) of `method` with `attributes`; signed with the long-term key when a nonce is
    /// known and `sign`.
    mutating func message(_ method: STUNMethod, _ cls: STUNClass = .request, _ attributes: [STUNAttribute] = [],
                          sign: Bool = true, fingerprint: Bool = false) throws -> [UInt8]
    {
        let id = STUNTransactionID.random(using: &random)
        var all = attributes
        var key: STUNIntegrityKey?
        if sign, let nonce {
            all += [STUNAttribute(try STUNUsername(username), transactionID: id),
                    STUNAttribute(try STUNRealm(realm), transactionID: id),
                    STUNAttribute(try STUNNonce(nonce), transactionID: id)]
            key = try self.key()
        }
        let m = try STUNMessage(type: STUNMessageType(method: method, messageClass: cls), transactionID: id,
                                attributes: all)
        return try m.encoded(messageIntegrity: key, fingerprint: fingerprint)
    }

    static func udpTransport() -> STUNAttribute {
        STUNAttribute(STUNRequestedTransport(protocolNumber: 17), transactionID: .init(high: 0, low: 0))
    }

    static func peer(_ address: TransportAddress, _ id: STUNTransactionID = .init(high: 0, low: 0)) -> STUNAttribute {
        // XOR-PEER-ADDRESS of IPv4 does not depend on the transaction ID.
        STUNAttribute(STUNXORPeerAddress(address: STUNAddress(address)), transactionID: id)
    }

    static func lifetime(_ seconds: UInt32) -> STUNAttribute {
        STUNAttribute(STUNLifetime(seconds: seconds), transactionID: .init(high: 0, low: 0))
    }

    static func channel(_ number: UInt16) throws -> STUNAttribute {
        STUNAttribute(try STUNChannelNumber(number), transactionID: .init(high: 0, low: 0))
    }

    /// CHANNEL-NUMBER with any 16-bit number (the codec's initializer takes only RFC 8656's 0x4000–0x4FFF).
    static func rawChannel(_ number: UInt16) throws -> STUNAttribute {
        try STUNAttribute(type: .channelNumber, value: [UInt8(number >> 8), UInt8(number & 0xFF), 0, 0])
    }

    /// Allocate: unauthenticated first (401 gives the nonce), then signed. Returns the relayed address.
    mutating func allocate(on h: inout ServerHarness, extra: [STUNAttribute] = []) throws -> TransportAddress? {
        if nonce == nil {
            let first = h.fromClient(try message(.allocate, .request, [FakeClient.udpTransport()] + extra, sign: false),
                                     flow)
            nonce = first.response?.nonceValue
        }
        let out = h.fromClient(try message(.allocate, .request, [FakeClient.udpTransport()] + extra), flow)
        guard let r = out.response, r.type.messageClass == .successResponse else { return nil }
        return ((try? r.attribute(STUNXORRelayedAddress.self)) ?? nil)?.address.transportAddress
    }

    /// A signed request's single response.
    mutating func request(_ method: STUNMethod, _ attributes: [STUNAttribute], on h: inout ServerHarness)
        throws -> STUNMessage?
    {
        h.fromClient(try message(method, .request, attributes), flow).response
    }
}

extension ChannelData {
    /// The message as bytes (unpadded for UDP, padded for TCP).
    func bytes(padded: Bool = false) -> [UInt8] {
        var w = ByteWriter()
        encode(into: &w, padded: padded)
        return w.bytes
    }
}

import Testing
import RingletCore
import RingletSTUN
@testable import RingletTURN

/// A tiny scripted TURN server for the client's state-machine tests: it parses what the client sends and builds
/// the answers a test asks for, signed with the long-term key like a real server.
final class FakeTURNServer {
    let username = "1735689600:device-42"
    let password = "asLa5o2AGpwd5gFNvE6u5vwMJbo="
    let realm = "ringlet.test"
    var nonce = "nonce-1"
    let relayed = TransportAddress("203.0.113.5:50000")!
    let mapped = TransportAddress("198.51.100.7:40000")!
    let server = TransportAddress("192.0.2.1:3478")!
    let key: STUNIntegrityKey

    init() throws {
        key = try STUNIntegrityKey.longTerm(username: username, realm: realm, password: password)
    }

    func configuration(transport: TransportProtocol = .udp, lifetime: UInt32? = nil) -> TURNClient.Configuration {
        TURNClient.Configuration(server: server, transport: transport, username: username, password: password,
                                 requestedLifetime: lifetime)
    }

    func client(transport: TransportProtocol = .udp, seed: UInt64 = 7,
                configure: (inout TURNClient.Configuration) -> Void = { _ in }) throws -> TURNClient {
        var c = configuration(transport: transport)
        configure(&c)
        return try TURNClient(configuration: c, random: SeededRandom(seed: seed))
    }

    /// A success response to `request`, with MESSAGE-INTEGRITY under `key` (or none).
    func success(_ request: STUNMessage, _ attributes: [STUNAttribute] = [], key: STUNIntegrityKey? = nil,
                 signed: Bool = true) throws -> [UInt8] {
        let type = STUNMessageType(method: request.type.method, messageClass: .successResponse)
        let m = try STUNMessage(type: type, transactionID: request.transactionID, attributes: attributes)
        return try m.encoded(messageIntegrity: signed ? (key ?? self.key) : nil)
    }

    /// An error response with `code`, optionally REALM and NONCE, optionally signed.
    func error(_ request: STUNMessage, code: Int, challenge: Bool = false, extra: [STUNAttribute] = [],
               signed: Bool = false) throws -> [UInt8] {
        let type = STUNMessageType(method: request.type.method, messageClass: .errorResponse)
        let id = request.transactionID
        var attributes = [STUNAttribute(try STUNErrorCode(code: code, reason: "test \(code)"), transactionID: id)]
        if challenge {
            attributes.append(STUNAttribute(try STUNRealm(realm), transactionID: id))
            attributes.append(STUNAttribute(try STUNNonce(nonce), transactionID: id))
        }
        attributes += extra
        let m = try STUNMessage(type: type, transactionID: id, attributes: attributes)
        return try m.encoded(messageIntegrity: signed ? key : nil)
    }

    /// The Allocate success: XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS, LIFETIME.
    func allocateSuccess(_ request: STUNMessage, lifetime: UInt32 = 600) throws -> [UInt8] {
        let id = request.transactionID
        return try success(request, [
            STUNAttribute(STUNXORRelayedAddress(address: STUNAddress(relayed)), transactionID: id),
            STUNAttribute(STUNXORMappedAddress(address: STUNAddress(mapped)), transactionID: id),
            STUNAttribute(STUNLifetime(seconds: lifetime), transactionID: id),
        ])
    }

    /// A Refresh success with LIFETIME.
    func refreshSuccess(_ request: STUNMessage, lifetime: UInt32) throws -> [UInt8] {
        try success(request, [STUNAttribute(STUNLifetime(seconds: lifetime), transactionID: request.transactionID)])
    }

    /// A Data indication from `peer`.
    func dataIndication(from peer: TransportAddress, _ data: [UInt8], id: STUNTransactionID = STUNTransactionID(high: 1, low: 2))
        throws -> [UInt8] {
        let m = try STUNMessage(type: STUNMessageType(method: .data, messageClass: .indication), transactionID: id,
                                attributes: [
                                    STUNAttribute(STUNXORPeerAddress(address: STUNAddress(peer)), transactionID: id),
                                    STUNAttribute(try STUNData(data[...]), transactionID: id),
                                ])
        return m.encoded()
    }
}

/// What a client emitted while drained once.
struct Drained {
    var transmits: [[UInt8]] = []
    var events: [TURNClient.Event] = []

    /// The transmitted STUN messages (ChannelData skipped).
    var messages: [STUNMessage] { transmits.compactMap { try? STUNMessage(parsing: $0) } }
    /// The transmitted requests.
    var requests: [STUNMessage] { messages.filter { $0.type.messageClass == .request } }
}

extension TURNClient {
    /// Drains every output.
    mutating func drain() -> Drained {
        var d = Drained()
        // Bounded: a client never queues more than a few hundred outputs in these tests.
        for _ in 0..<100_000 {
            guard let o = pollOutput() else { break }
            switch o {
            case .transmit(let b): d.transmits.append(b)
            case .event(let e): d.events.append(e)
            }
        }
        return d
    }

    /// Starts, answers the 401 challenge and the authenticated Allocate; returns the allocated client's drain.
    @discardableResult
    mutating func allocate(with server: FakeTURNServer, now: Instant = .zero, lifetime: UInt32 = 600) throws -> Drained {
        start(now: now)
        let first = try #require(drain().requests.first)
        handleIncoming(try server.error(first, code: 401, challenge: true), now: now)
        let second = try #require(drain().requests.first)
        handleIncoming(try server.allocateSuccess(second, lifetime: lifetime), now: now)
        return drain()
    }
}

extension STUNMessage {
    /// Whether the message holds an attribute of `type`.
    func has(_ type: STUNAttributeType) -> Bool { firstAttribute(type) != nil }
}

import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RingletCore
import RingletSTUN
import RingletTURN
import RingletWebTestSupport

/// TURN REST credentials and the requests made with them (RingletSTUN's message builders), for the probes.
struct TURNCredentials {
    let username: String
    let password: String
    var nonce: String?
    private var random = SystemRandomNumberGenerator()

    init(id: String, secret: String) throws {
        let credential = try TURNRESTCredential(id: id, expiry: UInt64(Date().timeIntervalSince1970) + 3600,
                                                secret: Array(secret.utf8))
        username = credential.username
        password = credential.password
    }

    func key() throws -> STUNIntegrityKey {
        try STUNIntegrityKey.longTerm(username: username, realm: "ringlet", password: password)
    }

    /// A request or indication of `method`; signed when a nonce is known and `sign`.
    mutating func message(_ method: STUNMethod, _ cls: STUNClass = .request, _ attributes: [STUNAttribute] = [],
                          sign: Bool = true) throws -> (STUNTransactionID, [UInt8]) {
        let id = STUNTransactionID.random(using: &random)
        var all = attributes
        var key: STUNIntegrityKey?
        if sign, let nonce {
            all += [STUNAttribute(try STUNUsername(username), transactionID: id),
                    STUNAttribute(try STUNRealm("ringlet"), transactionID: id),
                    STUNAttribute(try STUNNonce(nonce), transactionID: id)]
            key = try self.key()
        }
        let m = try STUNMessage(type: STUNMessageType(method: method, messageClass: cls), transactionID: id,
                                attributes: all)
        return (id, try m.encoded(messageIntegrity: key, fingerprint: false))
    }
}

/// The STUN messages in a TCP byte stream from a TURN server (each is self-delimiting: 20 bytes plus its length).
func stunMessages(in stream: [UInt8]) -> [STUNMessage] {
    var messages: [STUNMessage] = []
    var at = 0
    while at + 20 <= stream.count {
        let length = Int(stream[at + 2]) << 8 | Int(stream[at + 3])
        guard at + 20 + length <= stream.count else { break }
        if let m = try? STUNMessage(parsing: stream[at..<(at + 20 + length)]) { messages.append(m) }
        at += 20 + length
    }
    return messages
}

/// A TURN client over UDP, for attacks: it sends what it is told from a chosen loopback address and keeps every
/// datagram it gets back.
final class TURNProbe: @unchecked Sendable {
    // @unchecked Sendable: `channel` is set once; the inbox is locked; `credentials` is used by one task.
    let channel: any Channel
    let server: SocketAddress
    var credentials: TURNCredentials
    var nonce: String? {
        get { credentials.nonce }
        set { credentials.nonce = newValue }
    }
    private let inbox: NIOLockedValueBox<[[UInt8]]>

    final class Inbox: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: NIOLockedValueBox<[[UInt8]]>
        init(_ box: NIOLockedValueBox<[[UInt8]]>) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
            box.withLockedValue { $0.append(bytes) }
        }
    }

    /// A UDP socket on `source` (port chosen by the kernel) with REST credentials for `id` made with `secret`.
    init(serverPort: Int, from source: String = "127.0.0.1", id: String, secret: String, group: any EventLoopGroup)
        async throws
    {
        let box = NIOLockedValueBox<[[UInt8]]>([])
        inbox = box
        let bootstrap = DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Inbox(box)) }
            }
        let local = try SocketAddress(ipAddress: source, port: 0)
        // Made on a thread of the lab's namespace (its loops), not on the test's thread.
        channel = try await group.next().flatSubmit { bootstrap.bind(to: local) }.get()
        server = try SocketAddress(ipAddress: "127.0.0.1", port: serverPort)
        credentials = try TURNCredentials(id: id, secret: secret)
    }

    /// Every datagram received so far.
    var received: [[UInt8]] { inbox.withLockedValue { $0 } }

    /// The STUN messages received so far.
    var responses: [STUNMessage] { received.compactMap { try? STUNMessage(parsing: $0[...]) } }

    func send(_ bytes: [UInt8]) {
        let envelope = AddressedEnvelope(remoteAddress: server, data: channel.allocator.buffer(bytes: bytes))
        channel.writeAndFlush(envelope, promise: nil)
    }

    /// A request or indication of `method` with the probe's credentials.
    func message(_ method: STUNMethod, _ cls: STUNClass = .request, _ attributes: [STUNAttribute] = [],
                 sign: Bool = true) throws -> (STUNTransactionID, [UInt8]) {
        try credentials.message(method, cls, attributes, sign: sign)
    }

    /// Sends a request and waits (bounded) for its response.
    func request(_ method: STUNMethod, _ attributes: [STUNAttribute], sign: Bool = true, seconds: Double = 5)
        async throws -> STUNMessage?
    {
        let (id, bytes) = try message(method, .request, attributes, sign: sign)
        send(bytes)
        var answer: STUNMessage?
        _ = await poll(seconds: seconds) {
            answer = self.responses.first { $0.transactionID == id }
            return answer != nil
        }
        return answer
    }

    static var udpTransport: STUNAttribute {
        STUNAttribute(STUNRequestedTransport(protocolNumber: 17), transactionID: .init(high: 0, low: 0))
    }

    static func peer(_ address: TransportAddress) -> STUNAttribute {
        STUNAttribute(STUNXORPeerAddress(address: STUNAddress(address)), transactionID: .init(high: 0, low: 0))
    }

    /// Allocate: unauthenticated first (the 401 carries the nonce), then signed; the relayed address.
    func allocate() async throws -> TransportAddress? {
        guard let first = try await request(.allocate, [Self.udpTransport], sign: false),
              let nonce = ((try? first.attribute(STUNNonce.self)) ?? nil)?.value
        else { return nil }
        self.nonce = nonce
        guard let answer = try await request(.allocate, [Self.udpTransport]),
              answer.type.messageClass == .successResponse
        else { return nil }
        return ((try? answer.attribute(STUNXORRelayedAddress.self)) ?? nil)?.address.transportAddress
    }

    /// The ERROR-CODE of a response, or nil for a success.
    static func errorCode(_ message: STUNMessage?) -> Int? {
        guard let message, let error = (try? message.attribute(STUNErrorCode.self)) ?? nil else { return nil }
        return error.code
    }

    func close() { channel.close(promise: nil) }
}

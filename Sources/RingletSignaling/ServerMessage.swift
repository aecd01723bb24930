/// A message the server sends to a device or user session (docs/protocol.md lists each with an example).
///
/// On the wire: one JSON object per WebSocket text frame, `{"v": 1, "type": "<type>", …payload fields}`.
public enum ServerMessage: Sendable, Hashable, EnvelopeDecodable {
    /// `challenge` (to devices): sign this nonce.
    case challenge(Challenge)
    /// `welcome`: authenticated; the server time and ICE servers.
    case welcome(Welcome)
    /// `call_result`: the answer to `call` / `call_device`.
    case callResult(CallResult)
    /// `ring` (to users): a device is calling.
    case ring(Ring)
    /// `ring_stop` (to users): stop ringing.
    case ringStop(RingStop)
    /// `call_event`: an outcome or progress of a call this session is a party of.
    case callEvent(CallEventMessage)
    /// `join_notify` (to devices): a user is calling.
    case joinNotify(JoinNotify)
    /// `sdp`: relayed from the other party.
    case sdp(SessionDescription)
    /// `candidate`: relayed from the other party.
    case candidate(ICECandidate)
    /// `command`: relayed from the other party.
    case command(CustomCommand)
    /// `av_state`: relayed from the other party.
    case avState(AVState)
    /// `notice` (to users): a device's notice.
    case notice(Notice)
    /// `authorization` (to devices): a user authorized or revoked the device.
    case authorization(AuthorizationUpdate)
    /// `authorized_users` (to devices): the answer to the query.
    case authorizedUsers(AuthorizedUsers)
    /// `ack`: a request without a specific answer succeeded.
    case ack(RequestReference)
    /// `error`: a request failed or a message was refused.
    case error(ErrorMessage)
    /// `ping`: answer with `pong`.
    case ping(RequestReference)
    /// `pong`: the answer to a client `ping`.
    case pong(RequestReference)

    /// The wire `type` of this message.
    public var type: String {
        switch self {
        case .challenge: "challenge"
        case .welcome: "welcome"
        case .callResult: "call_result"
        case .ring: "ring"
        case .ringStop: "ring_stop"
        case .callEvent: "call_event"
        case .joinNotify: "join_notify"
        case .sdp: "sdp"
        case .candidate: "candidate"
        case .command: "command"
        case .avState: "av_state"
        case .notice: "notice"
        case .authorization: "authorization"
        case .authorizedUsers: "authorized_users"
        case .ack: "ack"
        case .error: "error"
        case .ping: "ping"
        case .pong: "pong"
        }
    }

    /// Decodes one message from UTF-8 JSON.
    /// - Throws: `tooLarge` above `SignalingLimits.maximumMessageSize`, `malformed`, `unsupportedVersion`,
    ///   `unknownType`.
    public init(parsing bytes: [UInt8]) throws(SignalingError) {
        self = try MessageCoding.decode(bytes)
    }

    init(type: String, decoder: any Decoder) throws {
        switch type {
        case "challenge": self = .challenge(try .init(from: decoder))
        case "welcome": self = .welcome(try .init(from: decoder))
        case "call_result": self = .callResult(try .init(from: decoder))
        case "ring": self = .ring(try .init(from: decoder))
        case "ring_stop": self = .ringStop(try .init(from: decoder))
        case "call_event": self = .callEvent(try .init(from: decoder))
        case "join_notify": self = .joinNotify(try .init(from: decoder))
        case "sdp": self = .sdp(try .init(from: decoder))
        case "candidate": self = .candidate(try .init(from: decoder))
        case "command": self = .command(try .init(from: decoder))
        case "av_state": self = .avState(try .init(from: decoder))
        case "notice": self = .notice(try .init(from: decoder))
        case "authorization": self = .authorization(try .init(from: decoder))
        case "authorized_users": self = .authorizedUsers(try .init(from: decoder))
        case "ack": self = .ack(try .init(from: decoder))
        case "error": self = .error(try .init(from: decoder))
        case "ping": self = .ping(try .init(from: decoder))
        case "pong": self = .pong(try .init(from: decoder))
        default:
            throw SignalingError(.unknownType, field: "type", "unknown server message type \"\(type)\"")
        }
    }

    /// Decodes one message from a UTF-8 JSON string.
    public init(parsing text: String) throws(SignalingError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// The message as UTF-8 JSON (keys sorted, so equal messages give equal bytes).
    public func encoded() -> [UInt8] {
        switch self {
        case .challenge(let p): MessageCoding.encode(type, p)
        case .welcome(let p): MessageCoding.encode(type, p)
        case .callResult(let p): MessageCoding.encode(type, p)
        case .ring(let p): MessageCoding.encode(type, p)
        case .ringStop(let p): MessageCoding.encode(type, p)
        case .callEvent(let p): MessageCoding.encode(type, p)
        case .joinNotify(let p): MessageCoding.encode(type, p)
        case .sdp(let p): MessageCoding.encode(type, p)
        case .candidate(let p): MessageCoding.encode(type, p)
        case .command(let p): MessageCoding.encode(type, p)
        case .avState(let p): MessageCoding.encode(type, p)
        case .notice(let p): MessageCoding.encode(type, p)
        case .authorization(let p): MessageCoding.encode(type, p)
        case .authorizedUsers(let p): MessageCoding.encode(type, p)
        case .ack(let p), .ping(let p), .pong(let p): MessageCoding.encode(type, p)
        case .error(let p): MessageCoding.encode(type, p)
        }
    }

    /// The message as a JSON string.
    public var text: String { String(decoding: encoded(), as: UTF8.self) }
}

/// A message a device or a user session sends to the server (docs/protocol.md lists each with an example).
///
/// On the wire: one JSON object per WebSocket text frame, `{"v": 1, "type": "<type>", …payload fields}`.
/// Decode with `init(parsing:)`, encode with `encoded()`.
public enum ClientMessage: Sendable, Hashable, EnvelopeDecodable {
    /// `auth_device` (device): the signed challenge.
    case authDevice(AuthDevice)
    /// `auth_user` (user): the session token.
    case authUser(AuthUser)
    /// `call` (device): call a user.
    case call(CallRequest)
    /// `answer` (user): answer a ringing call.
    case answer(CallAction)
    /// `reject` (user): reject a ringing call.
    case reject(CallAction)
    /// `busy` (user): decline a ringing call as busy.
    case busy(CallAction)
    /// `cancel` (caller): give up before an answer.
    case cancel(CallAction)
    /// `hang_up` (either party): end an answered call.
    case hangUp(CallAction)
    /// `call_device` (user): call a device.
    case callDevice(CallDeviceRequest)
    /// `join` (device): accept, refuse or be busy for a user's call.
    case join(JoinRequest)
    /// `sdp` (either party): a session description for the other party.
    case sdp(SessionDescription)
    /// `candidate` (either party): a trickled ICE candidate or end-of-candidates.
    case candidate(ICECandidate)
    /// `command` (either party): a custom command (USR_DATA).
    case command(CustomCommand)
    /// `av_state` (either party): camera / microphone state.
    case avState(AVState)
    /// `notice` (device): a notice for the device's authorized users.
    case notice(NoticeRequest)
    /// `authorized_users` (device): which users authorized this device.
    case authorizedUsers(RequestReference)
    /// `ping`: the server answers `pong` with the same `requestId`.
    case ping(RequestReference)
    /// `pong`: the answer to a server `ping`.
    case pong(RequestReference)

    /// The wire `type` of this message.
    public var type: String {
        switch self {
        case .authDevice: "auth_device"
        case .authUser: "auth_user"
        case .call: "call"
        case .answer: "answer"
        case .reject: "reject"
        case .busy: "busy"
        case .cancel: "cancel"
        case .hangUp: "hang_up"
        case .callDevice: "call_device"
        case .join: "join"
        case .sdp: "sdp"
        case .candidate: "candidate"
        case .command: "command"
        case .avState: "av_state"
        case .notice: "notice"
        case .authorizedUsers: "authorized_users"
        case .ping: "ping"
        case .pong: "pong"
        }
    }

    /// The request id, for messages that carry one (the reply repeats it).
    public var requestId: String? {
        switch self {
        case .call(let m): m.requestId
        case .callDevice(let m): m.requestId
        case .answer(let m), .reject(let m), .busy(let m), .cancel(let m), .hangUp(let m): m.requestId
        case .join(let m): m.requestId
        case .notice(let m): m.requestId
        case .authorizedUsers(let m), .ping(let m), .pong(let m): m.requestId
        case .authDevice, .authUser, .sdp, .candidate, .command, .avState: nil
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
        case "auth_device": self = .authDevice(try .init(from: decoder))
        case "auth_user": self = .authUser(try .init(from: decoder))
        case "call": self = .call(try .init(from: decoder))
        case "answer": self = .answer(try .init(from: decoder))
        case "reject": self = .reject(try .init(from: decoder))
        case "busy": self = .busy(try .init(from: decoder))
        case "cancel": self = .cancel(try .init(from: decoder))
        case "hang_up": self = .hangUp(try .init(from: decoder))
        case "call_device": self = .callDevice(try .init(from: decoder))
        case "join": self = .join(try .init(from: decoder))
        case "sdp": self = .sdp(try .init(from: decoder))
        case "candidate": self = .candidate(try .init(from: decoder))
        case "command": self = .command(try .init(from: decoder))
        case "av_state": self = .avState(try .init(from: decoder))
        case "notice": self = .notice(try .init(from: decoder))
        case "authorized_users": self = .authorizedUsers(try .init(from: decoder))
        case "ping": self = .ping(try .init(from: decoder))
        case "pong": self = .pong(try .init(from: decoder))
        default:
            throw SignalingError(.unknownType, field: "type", "unknown client message type \"\(type)\"")
        }
    }

    /// Decodes one message from a UTF-8 JSON string.
    public init(parsing text: String) throws(SignalingError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// The message as UTF-8 JSON (keys sorted, so equal messages give equal bytes).
    public func encoded() -> [UInt8] {
        switch self {
        case .authDevice(let p): MessageCoding.encode(type, p)
        case .authUser(let p): MessageCoding.encode(type, p)
        case .call(let p): MessageCoding.encode(type, p)
        case .answer(let p), .reject(let p), .busy(let p), .cancel(let p), .hangUp(let p): MessageCoding.encode(type, p)
        case .callDevice(let p): MessageCoding.encode(type, p)
        case .join(let p): MessageCoding.encode(type, p)
        case .sdp(let p): MessageCoding.encode(type, p)
        case .candidate(let p): MessageCoding.encode(type, p)
        case .command(let p): MessageCoding.encode(type, p)
        case .avState(let p): MessageCoding.encode(type, p)
        case .notice(let p): MessageCoding.encode(type, p)
        case .authorizedUsers(let p), .ping(let p), .pong(let p): MessageCoding.encode(type, p)
        }
    }

    /// The message as a JSON string.
    public var text: String { String(decoding: encoded(), as: UTF8.self) }
}

import RingletSignaling
import RingletStore

// What the call router asks its shell to read, write and carry to other nodes, and what comes back
// (docs/signaling.md, "Effects"). The router performs none of it: it emits these as outputs and takes the
// results as inputs, so that it stays a state machine with no I/O that tests drive without a store.

/// A `ringlet serve` process among several sharing one PostgreSQL (docs/scaling.md). One node alone is `local`.
public struct NodeID: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// The node id of a server that is alone (SQLite, or no cluster).
    public static let local = NodeID("local")
    public var description: String { rawValue }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.rawValue < b.rawValue }
}

/// A signaling session anywhere: its node and its id there.
public struct SessionRef: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var node: NodeID
    public var session: SessionID

    public init(node: NodeID, session: SessionID) {
        self.node = node
        self.session = session
    }

    public var description: String { "\(node)/\(session.rawValue)" }
    public static func < (a: SessionRef, b: SessionRef) -> Bool {
        (a.node, a.session.rawValue) < (b.node, b.session.rawValue)
    }
}

/// What the shell knows of an authenticated session when it opens it (read with its credentials).
public struct SessionProfile: Hashable, Sendable, Codable {
    /// The device's or user's app.
    public var appID: String
    /// The user's openId (user sessions).
    public var openID: String?
    /// The device's display name (device sessions).
    public var deviceName: String?

    public init(appID: String, openID: String? = nil, deviceName: String? = nil) {
        self.appID = appID
        self.openID = openID
        self.deviceName = deviceName
    }
}

/// A session on another node, as the presence table lists it.
public struct RemoteSession: Hashable, Sendable, Codable {
    public var ref: SessionRef
    public var identity: SessionIdentity

    public init(ref: SessionRef, identity: SessionIdentity) {
        self.ref = ref
        self.identity = identity
    }
}

/// Which read (or write) a result answers.
public struct EffectID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "effect-\(rawValue)" }
}

extension CallRouter {
    /// A read the router needs before it can go on; the shell answers with ``CallRouter/loaded(_:_:now:)``.
    public enum Load: Hashable, Sendable {
        /// A call's checks (``Store/callContext(sn:openID:userID:)``); with `presence`, the sessions on other
        /// nodes of the callee user (device → user, by openId) or of the device (user → device, by user id).
        case callContext(EffectID, sn: String, openID: String?, userID: String?, presence: Bool)
        /// The users who authorized a device (``Store/authorizedUsers(sn:)``); with `presence`, their sessions on
        /// other nodes (notices reach them there).
        case authorizedUsers(EffectID, sn: String, presence: Bool)

        public var id: EffectID {
            switch self {
            case .callContext(let id, _, _, _, _), .authorizedUsers(let id, _, _): id
            }
        }
    }

    /// What a ``Load`` found.
    public enum LoadResult: Hashable, Sendable {
        case callContext(CallContext, remote: [RemoteSession])
        case authorizedUsers([AuthorizedUserRecord], remote: [RemoteSession])
        /// The store failed.
        case failed(StoreError)
    }

    /// A write for the shell's store writer (group commit). With an id, the shell answers with
    /// ``CallRouter/persisted(_:_:now:)`` once it is durable; without, nothing waits for it.
    public struct Persist: Hashable, Sendable {
        public var id: EffectID?
        public var write: CallWrite
    }
}

/// A message between the routers of two nodes, carried as a row plus a `NOTIFY` of its id (docs/scaling.md).
public enum NodeMessage: Hashable, Sendable, Codable {
    /// Owner of a call → the node of a session: send `text` (a `ServerMessage`, encoded) on the session. With
    /// `call`, the session's later messages about that call go back to the sender (`role` says whether the
    /// session rings or is a party; `.done` ends that).
    case deliver(session: SessionID, text: String, call: String?, role: RouteRole?)
    /// Node of a session → owner of a call: the session sent `text` (a `ClientMessage`) about that call.
    case fromSession(session: SessionID, identity: SessionIdentity, profile: SessionProfile, text: String)
    /// Node of a session → owner of a call: the session closed.
    case sessionClosed(session: SessionID)
    /// Any node → every node: a user authorized or revoked a device.
    case authorizationChanged(AuthorizationRecord, openID: String, deviceName: String)
    /// Any node → every node: a credential was taken back.
    case revoke(CredentialRevocation)
    /// A node → the owner of a call: its user declined it over HTTP (a notification's Decline).
    case rejectCall(userID: String, callID: String, endpoint: String?)
}

/// What a remote session is to a call whose messages its node relays.
public enum RouteRole: String, Hashable, Sendable, Codable {
    /// It rings (device → user, before the answer).
    case ringing
    /// It is a party (the caller, the callee that answered, the device).
    case party
    /// The call is over for it: forget the route.
    case done
}

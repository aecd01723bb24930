import Logging
import RingletCore
import RingletSignaling
import RingletStore
import RingletTURN

/// A signaling session's id, chosen by the shell that owns the socket (unique for the process's life).
public struct SessionID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt64
    /// Wraps a number.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "session-\(rawValue)" }
}

/// What an authenticated session stands on, so that the router can close it when that is taken back: the user's
/// session token (its hash and expiry) or the device's registered key.
public struct SessionCredential: Hashable, Sendable {
    /// SHA-256 (hex) of the user's session token.
    public var tokenHash: String?
    /// When the user's session token expires (Unix ms): the session is closed then (`session_expired`).
    public var expiresAt: Int64?
    /// The device key the device authenticated with (a reset or re-keyed device's session is closed).
    public var publicKey: [UInt8]?

    public init(tokenHash: String? = nil, expiresAt: Int64? = nil, publicKey: [UInt8]? = nil) {
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.publicKey = publicKey
    }

    /// Nothing known: the session is never closed for its credential.
    public static let none = SessionCredential()
}

/// A credential taken back through the API: the signaling sessions standing on it are closed.
public enum CredentialRevocation: Hashable, Sendable, Codable {
    /// A user session token was signed out (`DELETE /v1/me/session`).
    case session(tokenHash: String)
    /// A device was reset or deleted: its key no longer counts, its calls end.
    case device(sn: String)
}

/// Who an authenticated session is.
public enum SessionIdentity: Hashable, Sendable, Codable {
    /// A device, by SN (authenticated by its key).
    case device(sn: String)
    /// A user of an app, on one channel (authenticated by a session token).
    case user(userID: String, appID: String, channel: AppChannel)
}

/// The call router: routes calls between authenticated device and user sessions, with the seed's semantics and
/// codes (DESIGN.md "Calls", tencent-sdk-notes §4.3–4.5). A sans-IO state machine (STYLE.md §3): it owns no
/// socket, reads no clock and calls no store; time is Unix milliseconds passed in.
///
/// Drain contract: after every input the caller drains `pollOutput()` until nil and performs each output in
/// order: `.send` / `.sendText` / `.close` on a session, `.push` to the push service, `.event` to metrics,
/// `.load` (a read: its result comes back through ``loaded(_:_:now:)``), `.persist` (a write for the group
/// committer: when it has an id its result comes back through ``persisted(_:_:now:)``), `.forward` (a message
/// to another node's router: it arrives there through ``handleNode(from:_:now:)``). Then it reads
/// `pollTimeout()` and calls `handleTimeout(now:)` once that time has come. One caller at a time (confine the
/// router to one actor); results may come back in any order and late: the router checks that what they were
/// for still holds.
///
/// What waits for the store (docs/signaling.md, "Effects"): a call's checks wait for one read of its context;
/// the call is then written (`start`: busy and quota are rules of that write) and only once that is durable is
/// anyone rung or told; an answer is written (`answer`, first one wins in the database) before the caller hears
/// it. Nothing else waits: the end of a call (history) and its outcome are written after the parties are told.
///
/// A call's states (device → user on the left, user → device on the right):
///
/// ```
///   call ──checks fail──▶ call_result(code)          call_device ──checks fail──▶ call_result(code)
///     │ ok: STARTING (the call is written; busy, quota) │ ok: STARTING, then join_notify to the device
///     ▼ written: ring every session of the user         ▼
///  RINGING ──reject / busy / cancel / timeout / peer gone──▶ ENDED (rejected, busy, cancelled, timeout, peer_gone)
///     │ answer: ANSWERING (written; first wins)          │ join accept: ANSWERING  (join busy → busy, refuse → rejected)
///     ▼ written: others ring_stop                        ▼
///  ACTIVE ──hang_up──▶ ENDED (completed)     ACTIVE ──session closed──▶ ENDED (peer_gone)
/// ```
///
/// While ringing a device → user call, the device's `sdp` / `candidate` go to every ringing session (so media
/// can be prepared before the answer); ringing sessions may not send media messages until they answer, except,
/// with early video, the first one to answer the device's offer (docs/protocol.md, "Early video"). For a
/// user → device call, both parties relay from the start.
///
/// Several nodes (docs/scaling.md): a call belongs to the node of the session that placed it; its parties may be
/// sessions on other nodes (``SessionRef``), reached with `.forward(.deliver…)`, whose messages about the call
/// come back as `fromSession`. This router also plays the other side: it relays its sessions' messages about
/// calls another node owns to that node (a *route*, set up by the deliveries).
public struct CallRouter {
    /// Router settings; plain values with documented defaults.
    public struct Configuration: Sendable {
        /// How long a call rings before it ends as `timeout` (ms). The seed (WeChat) rings 60 s.
        public var ringTimeoutMs: Int64
        /// `stun:` URLs handed to peers (no credentials).
        public var stunURLs: [String]
        /// `turn:` / `turns:` URLs handed with short-lived credentials.
        public var turnURLs: [String]
        /// The TURN REST shared secret (the same one the TURN server, or coturn's `static-auth-secret`, uses).
        public var turnSecret: [UInt8]
        /// How long handed-out TURN credentials stay valid (s).
        public var credentialTTLSeconds: Int64
        /// Notices one device may send in a burst (kept per SN). Default 20.
        public var noticeBurst = 20
        /// Notices one device earns back per minute. Default 10.
        public var noticesPerMinute = 10
        /// The longest notice text, bytes of UTF-8. Default 1024.
        public var noticeTextBytes = 1024
        /// Whether calls, notices and authorization changes are also pushed to the users' Web Push subscriptions
        /// (`.push` outputs). Default false; `ringlet serve` turns it on with its push service.
        public var pushEnabled = false
        /// This node's id. Default ``NodeID/local``.
        public var node: NodeID = .local
        /// Whether other nodes share the store: reads then ask for the sessions on other nodes too. Default false.
        public var clustered = false

        /// Makes a configuration; `ringTimeoutMs` defaults to 60 000, `credentialTTLSeconds` to 3 600.
        public init(ringTimeoutMs: Int64 = 60_000, stunURLs: [String] = [], turnURLs: [String] = [],
                    turnSecret: [UInt8] = [], credentialTTLSeconds: Int64 = 3_600) {
            self.ringTimeoutMs = ringTimeoutMs
            self.stunURLs = stunURLs
            self.turnURLs = turnURLs
            self.turnSecret = turnSecret
            self.credentialTTLSeconds = credentialTTLSeconds
        }
    }

    /// Why the router closes a session.
    public struct CloseReason: Hashable, Sendable, CustomStringConvertible {
        /// A short machine-readable code.
        public let code: String
        /// A human-readable explanation.
        public let message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
        /// The same device connected again; the older session is closed.
        public static let replaced = CloseReason(code: "replaced", message: "a newer session of this device connected")
        /// The authenticated identity is no longer in the store.
        public static let unknownIdentity = CloseReason(code: "unknown_identity", message: "the device or user is not known")
        /// The user's session token expired.
        public static let sessionExpired = CloseReason(code: SignalingError.Code.sessionExpired.rawValue,
                                                       message: "the session token expired; sign in again")
        /// The user's session token was signed out (or is gone).
        public static let sessionRevoked = CloseReason(code: SignalingError.Code.sessionRevoked.rawValue,
                                                       message: "the session was signed out")
        /// The device was reset or deleted, or registered another key.
        public static let deviceReset = CloseReason(code: SignalingError.Code.deviceReset.rawValue,
                                                    message: "the device was reset; register it with a new ticket")
        /// The node is shutting down (drain): reconnect, another node takes the session.
        public static let draining = CloseReason(code: "server_draining", message: "this node is stopping; reconnect")
        /// Whether the session's credentials will not be accepted again (the client should not retry with them).
        public var rejectsCredentials: Bool { SignalingError.Code(rawValue: code).rejectsCredentials }
        public var description: String { "\(code): \(message)" }
    }

    /// What the router reports for metrics and logs.
    public enum Event: Hashable, Sendable {
        /// A call was placed (rang or notified the device).
        case callStarted(CallRecord)
        /// A call ended; `outcome`, `answeredAt` and `endedAt` are final (and being written).
        case callEnded(CallRecord)
        /// The store failed; the request was answered with an error.
        case storeFailed(StoreError)
    }

    /// One thing for the caller to do.
    public enum Output: Hashable, Sendable {
        /// Send a message on a session.
        case send(SessionID, ServerMessage)
        /// Send a message that is encoded already (one another node's router sent) on a session.
        case sendText(SessionID, String)
        /// Close a session (send nothing more on it); `sessionClosed` need not be called for it afterwards.
        case close(SessionID, CloseReason)
        /// Report an event.
        case event(Event)
        /// Hand a Web Push message to the push service (it never blocks; docs/push.md).
        case push(PushIntent)
        /// Read from the store; answer with ``CallRouter/loaded(_:_:now:)``.
        case load(Load)
        /// Write to the store (group commit); with an id, answer with ``CallRouter/persisted(_:_:now:)``.
        case persist(Persist)
        /// Send a message to another node's router.
        case forward(NodeID, NodeMessage)
    }

    /// An open session of this node.
    struct Session {
        let id: SessionID
        let identity: SessionIdentity
        let profile: SessionProfile
        /// What it stands on (token, expiry, device key).
        let credential: SessionCredential
    }

    /// Who sent a message about a call: a session of this node or, through its node, of another.
    struct Party {
        let ref: SessionRef
        let identity: SessionIdentity
        let profile: SessionProfile
    }

    enum CallState: Hashable {
        /// The call's record is being written; nobody is told yet.
        case starting
        case ringing
        /// An answer (or the device's join) is being written; `by` answered.
        case answering(by: SessionRef, requestId: String?, at: Int64)
        case active
    }

    struct ActiveCall {
        var record: CallRecord
        var state: CallState
        let device: SessionRef
        /// device → user while ringing: every session that rings (or will, once the call is written).
        var ringing: Set<SessionRef>
        /// The user party: the caller (user → device) or the session that answered (device → user).
        var user: SessionRef?
        var ringDeadline: Int64?
        let openID: String
        let deviceName: String
        /// While starting: what the caller asked for, to answer once the call is written.
        var request: StartRequest
        /// The call ended while it was being written; how, once the write is back.
        var endedWhileStarting: (outcome: CallRecord.Outcome, event: CallEvent)?
        /// device → user: whether the callee's push subscriptions were rung (then the call rings on with no page
        /// open, and its end is pushed too).
        var pushed = false
        /// device → user while ringing: the ring sent to the user's sessions and the device's `sdp` / `candidate`
        /// so far, replayed to a session of the user that opens during the ring (a page opened from the
        /// notification). At most ``maximumReplay`` messages.
        var ring: Ring?
        var replay: [ServerMessage] = []
        /// device → user with early video: the ringing session whose `sdp` answer and candidates go to the device
        /// before the call is answered (the first to send one). When another session answers, the device is told
        /// to start its media again (`restartMedia`), and the user's `sdp` / `candidate` are held back
        /// (``awaitingOffer``) until the device's new offer has gone out, so that none of the earlier answer's
        /// reaches the new media.
        var previewSession: SessionRef?
        var awaitingOffer = false
        /// device → user while its answer is being written: what the answering session sent meanwhile (its
        /// `sdp` and `candidate`s follow its `answer` at once), delivered to the device after the answer once it
        /// wins, dropped if it does not. At most ``maximumReplay`` messages.
        var held: [ServerMessage] = []
    }

    /// What placed a call, kept until the call is written.
    struct StartRequest {
        let requestId: String
        let kind: CallKind
        let callerCamera: Bool
        let calleeCamera: Bool
        /// device → user: the device offers its video before the answer (`ring.earlyMedia`).
        var earlyMedia = false
    }

    /// A read in flight: what it is for.
    enum PendingLoad {
        case placeCall(SessionID, CallRequest)
        case callDevice(SessionID, CallDeviceRequest)
        case notice(SessionID, NoticeRequest)
        case authorizedUsers(SessionID, RequestReference)
    }

    /// A write whose result the router waits for: what it is for.
    enum PendingWrite {
        case start(callID: String)
        case answer(callID: String)
        case notices(SessionID, requestId: String?, [NoticeRecord], remote: [RemoteSession])
    }

    /// A call another node owns that sessions of this node ring for or take part in: their messages about it
    /// go to `owner`.
    struct Route {
        let owner: NodeID
        var sessions: [SessionID: RouteRole]
    }

    /// The most media messages kept per ringing call for sessions that open during the ring.
    static let maximumReplay = 64

    let configuration: Configuration
    let logger: Logger
    var random: any RandomNumberGenerator
    var sessions: [SessionID: Session] = [:]
    var deviceSessions: [String: SessionID] = [:]
    var userSessions: [String: Set<SessionID>] = [:]
    var calls: [String: ActiveCall] = [:]
    var pendingLoads: [EffectID: PendingLoad] = [:]
    var pendingWrites: [EffectID: PendingWrite] = [:]
    var routes: [String: Route] = [:]
    var nextEffect: UInt64 = 1
    var outputs = FIFOQueue<Output>()
    /// Notices per device (by SN): a burst, then a steady rate.
    var noticeBuckets: KeyedTokenBuckets<String>

    /// Makes a router.
    /// - Parameters:
    ///   - configuration: ring timeout, ICE servers, the node.
    ///   - random: the source of call and notice ids (`SystemRandomNumberGenerator` in the server, seeded in
    ///     tests).
    ///   - logger: debug and info logs; tokens and keys never reach it.
    public init(configuration: Configuration, random: any RandomNumberGenerator,
                logger: Logger = Logger(label: "ringlet.router")) {
        self.configuration = configuration
        self.random = random
        self.logger = logger
        noticeBuckets = KeyedTokenBuckets(capacity: Double(configuration.noticeBurst),
                                          refillPerSecond: Double(configuration.noticesPerMinute) / 60,
                                          maximumKeys: 100_000, whenFull: .refuse)
    }

    // MARK: Sessions

    /// An authenticated session opened; `profile` is what the shell read with its credentials. The router sends
    /// it `welcome` (server time, ICE servers). A second session of the same device replaces the first, which is
    /// closed (`replaced`) and treated as gone. `credential` is what the session stands on: it is closed when
    /// that expires or is taken back.
    public mutating func sessionOpened(_ id: SessionID, identity: SessionIdentity, credential: SessionCredential = .none,
                                       profile: SessionProfile, now: Int64) {
        if let expiresAt = credential.expiresAt, expiresAt <= now {
            emit(.close(id, .sessionExpired))
            return
        }
        switch identity {
        case .device(let sn):
            if let old = deviceSessions[sn] {
                emit(.close(old, .replaced))
                sessionClosed(old, now: now)
            }
            sessions[id] = Session(id: id, identity: identity, profile: profile, credential: credential)
            deviceSessions[sn] = id
            emit(.send(id, .welcome(Welcome(serverTime: now, iceServers: iceServers(for: sn, now: now), sn: sn,
                                            appId: profile.appID))))
        case .user(let userID, let appID, let channel):
            guard let openID = profile.openID, profile.appID == appID else {
                emit(.close(id, .unknownIdentity))
                return
            }
            sessions[id] = Session(id: id, identity: identity, profile: profile, credential: credential)
            userSessions[userID, default: []].insert(id)
            emit(.send(id, .welcome(Welcome(serverTime: now, iceServers: iceServers(for: userID, now: now),
                                            appId: appID, userId: userID, openId: openID,
                                            channel: CallChannel(rawValue: channel.rawValue)))))
            joinRingingCalls(id, userID: userID, appID: appID, channel: channel, now: now)
        }
    }

    /// A session closed (socket gone, ping timeout, shutdown). Its calls end with `peer_gone` for the other
    /// side; a ringing session that was one of several just stops ringing. The owners of calls it took part in
    /// on other nodes are told.
    public mutating func sessionClosed(_ id: SessionID, now: Int64) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        switch session.identity {
        case .device(let sn):
            if deviceSessions[sn] == id { deviceSessions[sn] = nil }
        case .user(let userID, _, _):
            userSessions[userID]?.remove(id)
            if userSessions[userID]?.isEmpty == true { userSessions[userID] = nil }
        }
        partyGone(ref(id), now: now)
        leaveRoutes(id)
    }

    /// A message from an authenticated session of this node.
    public mutating func handle(_ id: SessionID, _ message: ClientMessage, now: Int64) {
        guard let session = sessions[id] else { return }
        if let callID = message.callID, calls[callID] == nil, let route = routes[callID], route.sessions[id] != nil {
            // A call another node owns: its router decides.
            emit(.forward(route.owner, .fromSession(session: id, identity: session.identity, profile: session.profile,
                                                    text: message.text)))
            return
        }
        let party = Party(ref: ref(id), identity: session.identity, profile: session.profile)
        switch message {
        case .authDevice, .authUser:
            refuse(party, message.requestId, .notAllowed, "already authenticated")
        case .call(let request):
            placeCall(session, request, now: now)
        case .callDevice(let request):
            callDevice(session, request, now: now)
        case .notice(let request):
            notice(session, request, now: now)
        case .authorizedUsers(let request):
            authorizedUsers(session, request)
        case .ping(let request):
            emit(.send(id, .pong(request)))
        case .pong:
            break
        default:
            handleCallMessage(party, message, now: now)
        }
    }

    /// A message about a call, from a party of this node or (relayed) of another.
    mutating func handleCallMessage(_ party: Party, _ message: ClientMessage, now: Int64) {
        switch message {
        case .answer(let action):
            answer(party, action, now: now)
        case .reject(let action):
            decline(party, action, outcome: .rejected, event: .reject, now: now)
        case .busy(let action):
            decline(party, action, outcome: .busy, event: .busy, now: now)
        case .cancel(let action), .hangUp(let action):
            hangUp(party, action, now: now)
        case .join(let request):
            join(party, request, now: now)
        case .sdp(let m):
            relay(party, callID: m.callId, .sdp(m))
        case .candidate(let m):
            relay(party, callID: m.callId, .candidate(m))
        case .command(let m):
            relay(party, callID: m.callId, .command(m))
        case .avState(let m):
            relay(party, callID: m.callId, .avState(m))
        default:
            refuse(party, message.requestId, .notAllowed, "\(message.type) is not about a call")
        }
    }

    /// A user authorized or revoked a device (the HTTP API changed the store; `openID` and `deviceName` read
    /// with it): the device's session, if open here, gets `authorization {openId, status}` (the seed's
    /// `onUpdateAuthorizeStatus`). A revocation also ends at once every call between that user and the device
    /// this node routes (outcome `revoked`). With `push`, the user's phones are told by push (the node where
    /// the change was made does that, once). Later calls are checked against the store, so a revoked user's
    /// next call gets -9.
    public mutating func authorizationChanged(_ authorization: AuthorizationRecord, openID: String, deviceName: String,
                                              push: Bool = true, now: Int64) {
        if authorization.status == .revoked {
            endCalls(where: { $0.sn == authorization.sn && $0.userID == authorization.userID }, now: now)
        }
        if push { pushAuthorization(authorization, deviceName: deviceName, now: now) }
        guard let device = deviceSessions[authorization.sn] else { return }
        let status: AuthorizationStatus = authorization.status == .authorized ? .authorized : .revoked
        emit(.send(device, .authorization(AuthorizationUpdate(openId: openID, status: status))))
    }

    /// A credential was taken back: a signed-out token's sessions are closed (`session_revoked`); a reset or
    /// deleted device's calls end (`revoked`) and its session is closed (`device_reset`).
    public mutating func revoke(_ revocation: CredentialRevocation, now: Int64) {
        switch revocation {
        case .session(let tokenHash):
            for (id, session) in sessions.sorted(by: { $0.key.rawValue < $1.key.rawValue })
            where session.credential.tokenHash == tokenHash {
                closeSession(id, .sessionRevoked, now: now)
            }
        case .device(let sn):
            endCalls(where: { $0.sn == sn }, now: now)
            if let id = deviceSessions[sn] { closeSession(id, .deviceReset, now: now) }
        }
    }

    /// The sessions whose credentials the shell re-checks against the store now and then (users with a token,
    /// devices with a key).
    public var sessionsToRecheck: [(SessionID, SessionIdentity, SessionCredential)] {
        sessions.values.sorted { $0.id.rawValue < $1.id.rawValue }
            .filter { $0.credential.tokenHash != nil || $0.credential.publicKey != nil }
            .map { ($0.id, $0.identity, $0.credential) }
    }

    /// Closes a session from the server's side: the caller is told to close it (`.close`), and it is gone for
    /// the router (its calls end as for a lost session; a device whose key was taken back ends them `revoked`).
    public mutating func closeSession(_ id: SessionID, _ reason: CloseReason, now: Int64) {
        guard let session = sessions[id] else { return }
        if reason == .deviceReset, case .device(let sn) = session.identity {
            endCalls(where: { $0.sn == sn }, now: now)
        }
        emit(.close(id, reason))
        sessionClosed(id, now: now)
    }

    // MARK: Time

    /// Ends every ringing call whose ring timeout has passed with `timeout`, and closes every session whose
    /// token has expired (`session_expired`).
    public mutating func handleTimeout(now: Int64) {
        for callID in calls.keys.sorted() {
            guard let call = calls[callID], call.state == .ringing, let deadline = call.ringDeadline, deadline <= now
            else { continue }
            endCall(callID, outcome: .timeout, event: .timeout, now: now, except: nil)
        }
        for (id, session) in sessions.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            if let expiresAt = session.credential.expiresAt, expiresAt <= now {
                closeSession(id, .sessionExpired, now: now)
            }
        }
    }

    /// The earliest ring deadline or session expiry (Unix ms), or nil when nothing rings or expires.
    public func pollTimeout() -> Int64? {
        let rings = calls.values.compactMap { $0.state == .ringing ? $0.ringDeadline : nil }.min()
        let expiries = sessions.values.compactMap { $0.credential.expiresAt }.min()
        switch (rings, expiries) {
        case (let a?, let b?): return min(a, b)
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (nil, nil): return nil
        }
    }

    /// The next output, or nil when drained.
    public mutating func pollOutput() -> Output? { outputs.popFirst() }

    /// The number of open sessions of each kind (for the sessions gauge).
    public var sessionCounts: (devices: Int, users: Int) {
        (deviceSessions.count, sessions.count - deviceSessions.count)
    }

    /// The number of calls this node routes that are starting, ringing or active.
    public var callsInProgress: Int { calls.count }

    /// Which of `sns` have an open (authenticated) device session on this node: the web app's online state.
    public func onlineDevices(among sns: some Sequence<String>) -> Set<String> {
        Set(sns.filter { deviceSessions[$0] != nil })
    }

    // MARK: Helpers

    mutating func emit(_ output: Output) {
        outputs.append(output)
    }

    /// The reference of a session of this node.
    func ref(_ id: SessionID) -> SessionRef { SessionRef(node: configuration.node, session: id) }

    /// Sends `message` to a session here or on another node; `call` and `role` keep the other node's route to
    /// this router up to date.
    mutating func deliver(_ target: SessionRef, _ message: ServerMessage, call: String? = nil, role: RouteRole? = nil) {
        if target.node == configuration.node {
            emit(.send(target.session, message))
        } else {
            emit(.forward(target.node, .deliver(session: target.session, text: message.text, call: call, role: role)))
        }
    }

    /// Ends the calls in progress whose record matches, with outcome `revoked`: an active call with `hang_up`
    /// to its parties, a ringing one with `cancel` (the device's `CALL_CANCEL` / `onCancelNotify`, the users'
    /// `ring_stop cancel`).
    mutating func endCalls(where matches: (CallRecord) -> Bool, now: Int64) {
        for callID in calls.keys.sorted() {
            guard let call = calls[callID], matches(call.record) else { continue }
            endCall(callID, outcome: .revoked, event: call.state == .active ? .hangUp : .cancel, now: now, except: nil)
        }
    }

    mutating func refuse(_ party: Party, _ requestId: String?, _ code: SignalingError.Code, _ message: String,
                         seedCode: SeedCode? = nil) {
        deliver(party.ref, .error(ErrorMessage(requestId: requestId, code: code, seedCode: seedCode, message: message)))
    }

    /// A fresh effect id.
    mutating func nextEffectID() -> EffectID {
        defer { nextEffect &+= 1 }
        return EffectID(rawValue: nextEffect)
    }

    /// Reports a store failure (log and event).
    mutating func storeFailed(_ error: StoreError) {
        logger.warning("store failed", metadata: ["error": "\(error)"])
        emit(.event(.storeFailed(error)))
    }

    /// Fresh ICE servers: STUN URLs, then TURN URLs with credentials for `id` valid for the configured TTL.
    func iceServers(for id: String, now: Int64) -> [ICEServer] {
        var servers: [ICEServer] = []
        if !configuration.stunURLs.isEmpty { servers.append(ICEServer(urls: configuration.stunURLs)) }
        if !configuration.turnURLs.isEmpty {
            let expiry = UInt64(clamping: max(0, now / 1000 &+ configuration.credentialTTLSeconds))
            if let credential = try? TURNRESTCredential(id: id, expiry: expiry, secret: configuration.turnSecret) {
                servers.append(ICEServer(urls: configuration.turnURLs, username: credential.username,
                                         credential: credential.password))
            }
        }
        return servers
    }

    /// `prefix` + 16 random lowercase hex digits.
    mutating func makeID(_ prefix: String) -> String {
        let value = random.next()
        let hex = String(value, radix: 16)
        return prefix + String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }
}

extension ClientMessage {
    /// The call a message is about (answers, declines, hang-ups, joins and relayed media messages), else nil.
    var callID: String? {
        switch self {
        case .answer(let a), .reject(let a), .busy(let a), .cancel(let a), .hangUp(let a): a.callId
        case .join(let j): j.callId
        case .sdp(let m): m.callId
        case .candidate(let m): m.callId
        case .command(let m): m.callId
        case .avState(let m): m.callId
        default: nil
        }
    }
}

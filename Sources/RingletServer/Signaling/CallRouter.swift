import Logging
import RingletCore
import RingletSignaling
import RingletStore
import RingletTURN

/// A signaling session's id, chosen by the shell that owns the socket (unique for the process's life).
public struct SessionID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
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
public enum CredentialRevocation: Hashable, Sendable {
    /// A user session token was signed out (`DELETE /v1/me/session`).
    case session(tokenHash: String)
    /// A device was reset or deleted: its key no longer counts, its calls end.
    case device(sn: String)
}

/// Who an authenticated session is.
public enum SessionIdentity: Hashable, Sendable {
    /// A device, by SN (authenticated by its key).
    case device(sn: String)
    /// A user of an app, on one channel (authenticated by a session token).
    case user(userID: String, appID: String, channel: AppChannel)
}

/// The call router: routes calls between authenticated device and user sessions, with the seed's semantics and
/// codes (DESIGN.md "Calls", tencent-sdk-notes §4.3–4.5). A sans-IO state machine (STYLE.md §3): it owns no
/// socket and reads no clock; time is Unix milliseconds passed in.
///
/// Drain contract: after every input (`sessionOpened`, `sessionClosed`, `handle`, `authorizationChanged`,
/// `handleTimeout`) the caller drains `pollOutput()` until nil, performing each `.send` / `.close` in order,
/// then reads `pollTimeout()` and calls `handleTimeout(now:)` once that time has come. Store calls are
/// synchronous (the `Store` contract); the router assumes one caller at a time (confine it to one actor).
///
/// A call's states (device → user on the left, user → device on the right):
///
/// ```
///   call ──checks fail──▶ call_result(code)          call_device ──checks fail──▶ call_result(code)
///     │ ok: ring every session of the user               │ ok: join_notify to the device
///     ▼                                                  ▼
///  RINGING ──reject / busy / cancel / timeout / peer gone──▶ ENDED (rejected, busy, cancelled, timeout, peer_gone)
///     │ answer (first wins; others ring_stop)              │ join accept  (join busy → busy, join refuse → rejected)
///     ▼                                                  ▼
///  ACTIVE ──hang_up──▶ ENDED (completed)     ACTIVE ──session closed──▶ ENDED (peer_gone)
/// ```
///
/// While ringing a device → user call, the device's `sdp` / `candidate` go to every ringing session (so media
/// can be prepared before the answer); ringing sessions may not send media messages until they answer. For a
/// user → device call, both parties relay from the start.
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
        /// Whether the session's credentials will not be accepted again (the client should not retry with them).
        public var rejectsCredentials: Bool { SignalingError.Code(rawValue: code).rejectsCredentials }
        public var description: String { "\(code): \(message)" }
    }

    /// What the router reports for metrics and logs.
    public enum Event: Hashable, Sendable {
        /// A call was placed (rang or notified the device).
        case callStarted(CallRecord)
        /// A call ended; `outcome`, `answeredAt` and `endedAt` are final (also in the store).
        case callEnded(CallRecord)
        /// The store failed; the request was answered with an error.
        case storeFailed(StoreError)
    }

    /// One thing for the caller to do.
    public enum Output: Hashable, Sendable {
        /// Send a message on a session.
        case send(SessionID, ServerMessage)
        /// Close a session (send nothing more on it); `sessionClosed` need not be called for it afterwards.
        case close(SessionID, CloseReason)
        /// Report an event.
        case event(Event)
        /// Hand a Web Push message to the push service (it never blocks; docs/push.md).
        case push(PushIntent)
    }

    struct Session {
        let id: SessionID
        let identity: SessionIdentity
        /// The app the session's device or user belongs to.
        let appID: String
        /// The user's openId (user sessions).
        let openID: String?
        /// What it stands on (token, expiry, device key).
        let credential: SessionCredential
    }

    enum CallState { case ringing, active }

    struct ActiveCall {
        var record: CallRecord
        var state: CallState
        let deviceSession: SessionID
        /// device → user while ringing: every session that rings.
        var ringing: Set<SessionID>
        /// The user party: the caller (user → device) or the session that answered (device → user).
        var userSession: SessionID?
        var ringDeadline: Int64?
        let openID: String
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
        var previewSession: SessionID?
        var awaitingOffer = false
    }

    /// The most media messages kept per ringing call for sessions that open during the ring.
    static let maximumReplay = 64

    let configuration: Configuration
    let store: any Store
    let logger: Logger
    var random: any RandomNumberGenerator
    var sessions: [SessionID: Session] = [:]
    var deviceSessions: [String: SessionID] = [:]
    var userSessions: [String: Set<SessionID>] = [:]
    var calls: [String: ActiveCall] = [:]
    var outputs = FIFOQueue<Output>()
    /// Notices per device (by SN): a burst, then a steady rate.
    var noticeBuckets: KeyedTokenBuckets<String>

    /// Makes a router.
    /// - Parameters:
    ///   - configuration: ring timeout and ICE servers.
    ///   - store: where devices, users, authorizations and calls are read and calls and notices written.
    ///   - random: the source of call and notice ids (`SystemRandomNumberGenerator` in the server, seeded in
    ///     tests).
    ///   - logger: debug and info logs; tokens and keys never reach it.
    public init(configuration: Configuration, store: any Store, random: any RandomNumberGenerator,
                logger: Logger = Logger(label: "ringlet.router")) {
        self.configuration = configuration
        self.store = store
        self.random = random
        self.logger = logger
        noticeBuckets = KeyedTokenBuckets(capacity: Double(configuration.noticeBurst),
                                          refillPerSecond: Double(configuration.noticesPerMinute) / 60,
                                          maximumKeys: 100_000, whenFull: .refuse)
    }

    // MARK: Inputs

    /// An authenticated session opened. The router sends it `welcome` (server time, ICE servers). A second
    /// session of the same device replaces the first, which is closed (`replaced`) and treated as gone.
    /// `credential` is what the session stands on: it is closed when that expires or is taken back.
    public mutating func sessionOpened(_ id: SessionID, identity: SessionIdentity, credential: SessionCredential = .none,
                                       now: Int64) {
        if let expiresAt = credential.expiresAt, expiresAt <= now {
            emit(.close(id, .sessionExpired))
            return
        }
        let store = self.store
        switch identity {
        case .device(let sn):
            guard let device = storeValue({ () throws(StoreError) in try store.device(sn: sn) }) ?? nil else {
                emit(.close(id, .unknownIdentity))
                return
            }
            if let old = deviceSessions[sn] {
                emit(.close(old, .replaced))
                sessionClosed(old, now: now)
            }
            sessions[id] = Session(id: id, identity: identity, appID: device.appID, openID: nil, credential: credential)
            deviceSessions[sn] = id
            emit(.send(id, .welcome(Welcome(serverTime: now, iceServers: iceServers(for: sn, now: now), sn: sn,
                                            appId: device.appID))))
        case .user(let userID, let appID, let channel):
            guard let user = storeValue({ () throws(StoreError) in try store.user(id: userID) }) ?? nil,
                  user.appID == appID else {
                emit(.close(id, .unknownIdentity))
                return
            }
            sessions[id] = Session(id: id, identity: identity, appID: appID, openID: user.openID, credential: credential)
            userSessions[userID, default: []].insert(id)
            emit(.send(id, .welcome(Welcome(serverTime: now, iceServers: iceServers(for: userID, now: now),
                                            appId: appID, userId: userID, openId: user.openID,
                                            channel: CallChannel(rawValue: channel.rawValue)))))
            joinRingingCalls(id, userID: userID, appID: appID, channel: channel, now: now)
        }
    }

    /// A session closed (socket gone, ping timeout, shutdown). Its calls end with `peer_gone` for the other
    /// side; a ringing session that was one of several just stops ringing.
    public mutating func sessionClosed(_ id: SessionID, now: Int64) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        switch session.identity {
        case .device(let sn):
            if deviceSessions[sn] == id { deviceSessions[sn] = nil }
        case .user(let userID, _, _):
            userSessions[userID]?.remove(id)
            if userSessions[userID]?.isEmpty == true { userSessions[userID] = nil }
        }
        for callID in calls.keys.sorted() {
            guard var call = calls[callID] else { continue }
            if call.deviceSession == id {
                endCall(callID, outcome: .peerGone, event: .peerGone, now: now, except: id)
            } else if call.userSession == id {
                endCall(callID, outcome: .peerGone, event: .peerGone, now: now, except: id)
            } else if call.ringing.contains(id) {
                call.ringing.remove(id)
                calls[callID] = call
                // A call rung by push rings on (a phone may still answer from its notification).
                if call.ringing.isEmpty, call.userSession == nil, !call.pushed {
                    endCall(callID, outcome: .peerGone, event: .peerGone, now: now, except: id)
                }
            }
        }
    }

    /// A message from an authenticated session.
    public mutating func handle(_ id: SessionID, _ message: ClientMessage, now: Int64) {
        guard let session = sessions[id] else { return }
        switch message {
        case .authDevice, .authUser:
            refuse(id, message.requestId, .notAllowed, "already authenticated")
        case .call(let request):
            placeCall(session, request, now: now)
        case .callDevice(let request):
            callDevice(session, request, now: now)
        case .answer(let action):
            answer(session, action, now: now)
        case .reject(let action):
            decline(session, action, outcome: .rejected, event: .reject, now: now)
        case .busy(let action):
            decline(session, action, outcome: .busy, event: .busy, now: now)
        case .cancel(let action), .hangUp(let action):
            hangUp(session, action, now: now)
        case .join(let request):
            join(session, request, now: now)
        case .sdp(let m):
            relay(session, callID: m.callId, .sdp(m))
        case .candidate(let m):
            relay(session, callID: m.callId, .candidate(m))
        case .command(let m):
            relay(session, callID: m.callId, .command(m))
        case .avState(let m):
            relay(session, callID: m.callId, .avState(m))
        case .notice(let request):
            notice(session, request, now: now)
        case .authorizedUsers(let request):
            authorizedUsers(session, request)
        case .ping(let request):
            emit(.send(id, .pong(request)))
        case .pong:
            break
        }
    }

    /// A user authorized or revoked a device (the HTTP API changed the store): the device's session, if open,
    /// gets `authorization {openId, status}` (the seed's `onUpdateAuthorizeStatus`). A revocation also ends at
    /// once every call between that user and the device (outcome `revoked`). Later calls are checked against
    /// the store, so a revoked user's next call gets -9.
    public mutating func authorizationChanged(_ authorization: AuthorizationRecord, now: Int64) {
        if authorization.status == .revoked {
            endCalls(where: { $0.sn == authorization.sn && $0.userID == authorization.userID }, now: now)
        }
        let store = self.store
        guard let user = storeValue({ () throws(StoreError) in try store.user(id: authorization.userID) }) ?? nil
        else { return }
        pushAuthorization(authorization, now: now)
        guard let device = deviceSessions[authorization.sn] else { return }
        let status: AuthorizationStatus = authorization.status == .authorized ? .authorized : .revoked
        emit(.send(device, .authorization(AuthorizationUpdate(openId: user.openID, status: status))))
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

    /// Checks every session against the store again: a user whose token is gone or expired, or who is gone,
    /// and a device that is gone or registered another key, is closed. A store failure closes nothing.
    public mutating func recheckSessions(now: Int64) {
        let store = self.store
        for (id, session) in sessions.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            switch session.identity {
            case .user(let userID, _, _):
                guard let hash = session.credential.tokenHash else { continue }
                guard let found = storeValue({ () throws(StoreError) in try store.session(tokenHash: hash) }) else {
                    continue
                }
                if let record = found, record.userID == userID {
                    if record.expiresAt <= now { closeSession(id, .sessionExpired, now: now) }
                } else {
                    closeSession(id, .sessionRevoked, now: now)
                }
            case .device(let sn):
                guard let key = session.credential.publicKey else { continue }
                guard let found = storeValue({ () throws(StoreError) in try store.device(sn: sn) }) else { continue }
                if found?.publicKey != key {
                    endCalls(where: { $0.sn == sn }, now: now)
                    closeSession(id, .deviceReset, now: now)
                }
            }
        }
    }

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

    /// The number of calls ringing or active.
    public var callsInProgress: Int { calls.count }

    /// Which of `sns` have an open (authenticated) device session now: the web app's online state.
    public func onlineDevices(among sns: some Sequence<String>) -> Set<String> {
        Set(sns.filter { deviceSessions[$0] != nil })
    }

    // MARK: Helpers

    mutating func emit(_ output: Output) {
        outputs.append(output)
    }

    /// Closes a session from the server's side: the caller is told to close it, and it is gone for the router
    /// (its calls end as for a lost session).
    mutating func closeSession(_ id: SessionID, _ reason: CloseReason, now: Int64) {
        guard sessions[id] != nil else { return }
        emit(.close(id, reason))
        sessionClosed(id, now: now)
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

    mutating func refuse(_ id: SessionID, _ requestId: String?, _ code: SignalingError.Code, _ message: String,
                         seedCode: SeedCode? = nil) {
        emit(.send(id, .error(ErrorMessage(requestId: requestId, code: code, seedCode: seedCode, message: message))))
    }

    /// Runs a store call; on failure reports it and returns nil.
    mutating func storeValue<T>(_ body: () throws(StoreError) -> T) -> T? {
        do {
            return try body()
        } catch {
            logger.warning("store failed", metadata: ["error": "\(error)"])
            emit(.event(.storeFailed(error)))
            return nil
        }
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

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
    }

    struct Session {
        let id: SessionID
        let identity: SessionIdentity
        /// The app the session's device or user belongs to.
        let appID: String
        /// The user's openId (user sessions).
        let openID: String?
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
    }

    let configuration: Configuration
    let store: any Store
    let logger: Logger
    var random: any RandomNumberGenerator
    var sessions: [SessionID: Session] = [:]
    var deviceSessions: [String: SessionID] = [:]
    var userSessions: [String: Set<SessionID>] = [:]
    var calls: [String: ActiveCall] = [:]
    var outputs = FIFOQueue<Output>()

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
    }

    // MARK: Inputs

    /// An authenticated session opened. The router sends it `welcome` (server time, ICE servers). A second
    /// session of the same device replaces the first, which is closed (`replaced`) and treated as gone.
    public mutating func sessionOpened(_ id: SessionID, identity: SessionIdentity, now: Int64) {
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
            sessions[id] = Session(id: id, identity: identity, appID: device.appID, openID: nil)
            deviceSessions[sn] = id
            emit(.send(id, .welcome(Welcome(serverTime: now, iceServers: iceServers(for: sn, now: now), sn: sn,
                                            appId: device.appID))))
        case .user(let userID, let appID, let channel):
            guard let user = storeValue({ () throws(StoreError) in try store.user(id: userID) }) ?? nil,
                  user.appID == appID else {
                emit(.close(id, .unknownIdentity))
                return
            }
            sessions[id] = Session(id: id, identity: identity, appID: appID, openID: user.openID)
            userSessions[userID, default: []].insert(id)
            emit(.send(id, .welcome(Welcome(serverTime: now, iceServers: iceServers(for: userID, now: now),
                                            appId: appID, userId: userID, openId: user.openID,
                                            channel: CallChannel(rawValue: channel.rawValue)))))
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
                if call.ringing.isEmpty, call.userSession == nil {
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
    /// gets `authorization {openId, status}` (the seed's `onUpdateAuthorizeStatus`). Later calls are checked
    /// against the store, so a revoked user's next call gets -9.
    public mutating func authorizationChanged(_ authorization: AuthorizationRecord, now: Int64) {
        let store = self.store
        guard let device = deviceSessions[authorization.sn],
              let user = storeValue({ () throws(StoreError) in try store.user(id: authorization.userID) }) ?? nil
        else { return }
        let status: AuthorizationStatus = authorization.status == .authorized ? .authorized : .revoked
        emit(.send(device, .authorization(AuthorizationUpdate(openId: user.openID, status: status))))
    }

    /// Ends every ringing call whose ring timeout has passed with `timeout`.
    public mutating func handleTimeout(now: Int64) {
        for callID in calls.keys.sorted() {
            guard let call = calls[callID], call.state == .ringing, let deadline = call.ringDeadline, deadline <= now
            else { continue }
            endCall(callID, outcome: .timeout, event: .timeout, now: now, except: nil)
        }
    }

    /// The earliest ring deadline (Unix ms), or nil when nothing rings.
    public func pollTimeout() -> Int64? {
        calls.values.compactMap { $0.state == .ringing ? $0.ringDeadline : nil }.min()
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

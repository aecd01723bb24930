import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Metrics
import RingletSignaling
import RingletStore
import ServiceLifecycle

/// The signaling service: WebSocket endpoints for devices and users in front of the call router
/// (docs/protocol.md). A swift-service-lifecycle `Service`: `run()` drives the router's ring timer until
/// graceful shutdown, then closes every session.
///
/// Each connection authenticates first (a device signs a challenge with its registered key; a user sends its
/// session token), within `SignalingLimits.authenticationDeadlineSeconds`, in one message of at most
/// ``ServerLimits/signalingPreAuthMessageBytes``; messages above `SignalingLimits.maximumMessageSize`, malformed
/// or unauthenticated ones get an `error` and a close. An address that failed to authenticate too often is
/// refused (``AuthFailureLimiter``). The router runs confined to one actor; each connection has its own writer
/// task fed by a bounded ``SessionOutbox`` (a peer that does not read is closed), and its reader drops messages
/// over the session's rate (docs/security.md).
///
/// Live sessions are re-checked: a user session closes when its token expires or is signed out, a device session
/// when the device is reset or deleted (``revoke(_:)``, and a sweep of the store every
/// ``ServerLimits/sessionRecheckSeconds``).
///
/// Metrics (through the injected factory): `ringlet_sessions` gauge (kind=device|user),
/// `ringlet_calls_total` counter (outcome), `ringlet_signaling_closed_total` (reason),
/// `ringlet_signaling_rate_limited_total`.
public final class SignalingHub: Service, Sendable {
    /// The WebSocket server settings the signaling endpoints expect: frames up to 1 MiB (so that a too-large
    /// message gets an `error` before the close), a WebSocket ping every 30 s (a peer that misses a pong is
    /// closed and its calls end with `peer_gone`).
    ///
    /// Frames up to 128 KiB: a message over the 64 KiB limit in one frame still gets its `error`, and a frame
    /// cannot make the WebSocket layer buffer more than that per connection.
    public static var webSocketConfiguration: WebSocketServerConfiguration {
        WebSocketServerConfiguration(maxFrameSize: 128 << 10, autoPing: .enabled(timePeriod: .seconds(30)))
    }

    let core: SignalingCore
    let effects: SignalingEffects
    let store: any Store
    let logger: Logger
    let clock: @Sendable () -> Int64
    let authenticationDeadline: Duration
    let tickInterval: Duration
    let limits: ServerLimits
    let authLimiter: AuthFailureLimiter
    let rateLimited: Counter

    /// Makes the hub.
    /// - Parameters:
    ///   - store: the cloud's store (devices' keys, sessions, calls).
    ///   - configuration: the call router's settings (ring timeout, ICE servers, TURN secret).
    ///   - metricsFactory: where `ringlet_sessions` and `ringlet_calls_total` are created.
    ///   - logger: connection and call logs (tokens, keys and addresses are not logged).
    ///   - authenticationDeadline: how long a new connection has to authenticate (default 10 s).
    ///   - clock: Unix time in ms (the wall clock by default; tests may pass another).
    ///   - limits: message sizes, queues and rates (the router's notice limits come from `configuration`).
    ///   - authLimiter: failed authentications per address, shared with the HTTP API (default: its own).
    ///   - push: where the router's Web Push messages go (``PushService/enqueue(_:)``, which never waits); nil
    ///     turns push off (calls ring open sessions only).
    public convenience init(store: any Store, configuration: CallRouter.Configuration, metricsFactory: any MetricsFactory,
                logger: Logger = Logger(label: "ringlet.signaling"),
                authenticationDeadline: Duration = .seconds(SignalingLimits.authenticationDeadlineSeconds),
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                limits: ServerLimits = ServerLimits(), authLimiter: AuthFailureLimiter? = nil,
                push: (@Sendable (PushIntent) -> Void)? = nil) {
        self.init(store: store, configuration: configuration, cluster: nil, metricsFactory: metricsFactory,
                  logger: logger, authenticationDeadline: authenticationDeadline, clock: clock, limits: limits,
                  authLimiter: authLimiter, push: push)
    }

    /// Makes the hub of one node among several (`cluster` links it to the others, docs/scaling.md).
    init(store: any Store, configuration: CallRouter.Configuration, cluster: (any ClusterLink)?,
         metricsFactory: any MetricsFactory, logger: Logger,
         authenticationDeadline: Duration = .seconds(SignalingLimits.authenticationDeadlineSeconds),
         clock: @escaping @Sendable () -> Int64, limits: ServerLimits, authLimiter: AuthFailureLimiter?,
         push: (@Sendable (PushIntent) -> Void)?) {
        var configuration = configuration
        if let cluster {
            configuration.node = cluster.node
            configuration.clustered = true
        }
        let router = CallRouter(configuration: configuration, random: SystemRandomNumberGenerator(), logger: logger)
        let effects = SignalingEffects(store: store, cluster: cluster, metricsFactory: metricsFactory, logger: logger)
        self.effects = effects
        self.core = SignalingCore(router: router, effects: effects, metricsFactory: metricsFactory, logger: logger,
                                  clock: clock, push: push)
        self.store = store
        self.logger = logger
        self.clock = clock
        self.authenticationDeadline = authenticationDeadline
        self.tickInterval = .milliseconds(250)
        self.limits = limits
        self.authLimiter = authLimiter ?? AuthFailureLimiter(burst: limits.authFailureBurst,
                                                             perMinute: limits.authFailuresPerMinute,
                                                             metricsFactory: metricsFactory)
        rateLimited = Counter(label: "ringlet_signaling_rate_limited_total", factory: metricsFactory)
    }

    /// Adds `GET /v1/signal/device` and `GET /v1/signal/user` (WebSocket upgrade) to `router`.
    public func register(on router: Router<RingletRequestContext>) {
        router.ws("/v1/signal/device") { [self] inbound, outbound, context in
            await self.serve(kind: .device, inbound: inbound, outbound: outbound, channel: context.requestContext.channel,
                             clientIP: context.requestContext.clientIP)
        }
        router.ws("/v1/signal/user") { [self] inbound, outbound, context in
            await self.serve(kind: .user, inbound: inbound, outbound: outbound, channel: context.requestContext.channel,
                             clientIP: context.requestContext.clientIP)
        }
    }

    /// Closes the sessions that stood on a credential the API took back (a signed-out token, a reset or deleted
    /// device); a device's calls end.
    public func revoke(_ revocation: CredentialRevocation) async {
        await core.revoke(revocation, now: clock())
        effects.cluster?.broadcast(.revoke(revocation))
    }

    /// Tells the device of `record` (if connected) that a user authorized or revoked it. The HTTP API calls
    /// this after it changed the store; the user's openId and the device's name are read here.
    public func authorizationChanged(_ record: AuthorizationRecord) async {
        let openID: String
        let deviceName: String
        do {
            guard let user = try await store.user(id: record.userID) else { return }
            openID = user.openID
            deviceName = try await store.device(sn: record.sn)?.name ?? record.sn
        } catch {
            logger.warning("store failed", metadata: ["error": "\(error)"])
            return
        }
        await core.authorizationChanged(record, openID: openID, deviceName: deviceName, now: clock())
        effects.cluster?.broadcast(.authorizationChanged(record, openID: openID, deviceName: deviceName))
    }

    /// Declines a call that rings for `userID` (`POST /v1/me/calls/{id}/reject`, the service worker's Decline):
    /// see ``CallRouter/rejectCall(userID:callID:endpoint:now:)``.
    public func rejectCall(userID: String, callID: String, endpoint: String?) async -> CallRejectOutcome {
        await core.rejectCall(userID: userID, callID: callID, endpoint: endpoint, now: clock())
    }

    /// Which of `sns` are online (have an authenticated device session open now). The HTTP API asks this for
    /// `GET /v1/me/authorizations`.
    public func onlineDevices(among sns: [String]) async -> Set<String> {
        await core.onlineDevices(among: sns)
    }

    /// Drives the router's effects (reads, group-committed writes), the ring timer, session expiries and the
    /// periodic re-check of every session's credentials until graceful shutdown (or cancellation), then closes
    /// every session and writes what their ends left to write.
    public func run() async throws {
        let interval = tickInterval
        let core = self.core
        let clock = self.clock
        let effects = self.effects
        let recheckEvery = Int64(limits.sessionRecheckSeconds) * 1000
        await withDiscardingTaskGroup { group in
            group.addTask { await effects.run(core: core) }
            await cancelWhenGracefulShutdown {
                var nextRecheck = clock() + recheckEvery
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        break
                    }
                    let now = clock()
                    _ = await core.tick(now: now)
                    if now >= nextRecheck {
                        await self.recheckSessions()
                        nextRecheck = now + recheckEvery
                    }
                }
            }
            await core.closeAll(now: clock())
            effects.finish()
        }
    }

    /// Checks every session's credential against the store again and closes those found standing on a credential
    /// that was taken back or expired.
    func recheckSessions() async {
        let closes = await Self.credentialCloses(await core.sessionsToRecheck(), store: store, now: clock(),
                                                 logger: logger)
        if !closes.isEmpty { await core.closeSessions(closes, now: clock()) }
    }

    /// Which of `sessions` to close after reading their credentials again: a user whose token is gone or expired
    /// (`session_revoked`, `session_expired`), a device that is gone or registered another key (`device_reset`).
    /// A store failure closes nothing.
    static func credentialCloses(_ sessions: [(SessionID, SessionIdentity, SessionCredential)], store: any Store,
                                 now: Int64, logger: Logger) async -> [(SessionID, CallRouter.CloseReason)] {
        var closes: [(SessionID, CallRouter.CloseReason)] = []
        for (id, identity, credential) in sessions {
            do {
                switch identity {
                case .user(let userID, _, _):
                    guard let hash = credential.tokenHash else { continue }
                    if let record = try await store.session(tokenHash: hash), record.userID == userID {
                        if record.expiresAt <= now { closes.append((id, .sessionExpired)) }
                    } else {
                        closes.append((id, .sessionRevoked))
                    }
                case .device(let sn):
                    guard let key = credential.publicKey else { continue }
                    if try await store.device(sn: sn)?.publicKey != key { closes.append((id, .deviceReset)) }
                }
            } catch {
                logger.warning("re-checking a session failed", metadata: ["error": "\(error)"])
            }
        }
        return closes
    }
}

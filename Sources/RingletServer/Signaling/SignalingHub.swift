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
    public init(store: any Store, configuration: CallRouter.Configuration, metricsFactory: any MetricsFactory,
                logger: Logger = Logger(label: "ringlet.signaling"),
                authenticationDeadline: Duration = .seconds(SignalingLimits.authenticationDeadlineSeconds),
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                limits: ServerLimits = ServerLimits(), authLimiter: AuthFailureLimiter? = nil,
                push: (@Sendable (PushIntent) -> Void)? = nil) {
        let router = CallRouter(configuration: configuration, store: store, random: SystemRandomNumberGenerator(),
                                logger: logger)
        self.core = SignalingCore(router: router, metricsFactory: metricsFactory, logger: logger, push: push)
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
            await self.serve(kind: .device, inbound: inbound, outbound: outbound, channel: context.requestContext.channel)
        }
        router.ws("/v1/signal/user") { [self] inbound, outbound, context in
            await self.serve(kind: .user, inbound: inbound, outbound: outbound, channel: context.requestContext.channel)
        }
    }

    /// Closes the sessions that stood on a credential the API took back (a signed-out token, a reset or deleted
    /// device); a device's calls end.
    public func revoke(_ revocation: CredentialRevocation) async {
        await core.revoke(revocation, now: clock())
    }

    /// Tells the device of `record` (if connected) that a user authorized or revoked it. The HTTP API calls
    /// this after it changed the store.
    public func authorizationChanged(_ record: AuthorizationRecord) async {
        await core.authorizationChanged(record, now: clock())
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

    /// Drives the ring timer, session expiries and the periodic re-check of every session's credentials until
    /// graceful shutdown (or cancellation), then closes every session.
    public func run() async throws {
        let interval = tickInterval
        let core = self.core
        let clock = self.clock
        let recheckEvery = Int64(limits.sessionRecheckSeconds) * 1000
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
                    await core.recheck(now: now)
                    nextRecheck = now + recheckEvery
                }
            }
        }
        await core.closeAll(now: clock())
    }
}

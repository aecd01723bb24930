import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import RingletCore
import RingletStore
import RingletTURN
import RingletWebPush
import ServiceLifecycle

/// The whole of `ringlet serve` put together (docs/server.md, "Composition"): the HTTP API and `/metrics`, the
/// signaling hub on the WebSocket routes, and the STUN/TURN server on UDP and TCP, sharing one store and one
/// metrics registry, run as one service group.
///
/// The call router hands every session ICE servers that point at this server's own STUN/TURN address, with
/// TURN REST credentials made from the same shared secret the TURN server checks.
public struct RingletCloud: Sendable {
    /// The HTTP side, with the hub and TURN attached as its services.
    public let app: RingletServerApp
    /// The signaling hub (also reachable for tests that want to push an authorization change).
    public let hub: SignalingHub
    /// Where STUN/TURN listens (UDP and TCP, same port).
    public let turnAddress: TransportAddress
    /// The Web Push delivery service, when push is on.
    public let push: PushService?

    /// Wires the parts.
    ///
    /// - Parameters:
    ///   - configuration: validated (`ServerConfiguration.resolve`); `turn` must be a concrete IP address.
    ///   - store: the store (an `SQLiteStore` in the data folder for `ringlet serve`).
    ///   - turnSecret: the TURN REST shared secret (`ServerBootstrap.turnSecret`).
    ///   - eventLoopGroup: where the TURN sockets run (one loop of it).
    ///   - logger: the server's logger.
    ///   - now: the clock, Unix ms.
    ///   - devAppID: the demo app of `--dev` (the web app's development sign-in); ignored without `--dev`.
    ///   - vapidKey: the server's VAPID key (``ServerBootstrap/vapidKey(store:)``); nil turns Web Push off.
    ///   - pushConfiguration: changes to the push service's defaults (tests and benchmarks); subject and
    ///     endpoint policy come from `configuration`.
    /// - Throws: `ServerConfigurationError` when the TURN address is not an IP literal or is unspecified.
    public init(configuration: ServerConfiguration, store: any Store, turnSecret: String,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "ringlet.server"),
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                devAppID: String? = nil, vapidKey: VAPIDKey? = nil,
                pushConfiguration: (inout PushService.Configuration) -> Void = { _ in })
        throws(ServerConfigurationError)
    {
        guard let ip = IPAddress(configuration.turn.host), !ip.isUnspecified,
              let port = UInt16(exactly: configuration.turn.port), port != 0 else {
            throw ServerConfigurationError(
                "turn must be a concrete IP address and port (it is also the relayed address clients are given): "
                    + "\(configuration.turn)")
        }
        let turnAddress = TransportAddress(ip, port)
        let metrics = ServerMetrics()
        let hostPort = configuration.turn.description
        var routerConfiguration = CallRouter.Configuration(
            ringTimeoutMs: Int64(configuration.ringTimeoutSeconds) * 1000,
            stunURLs: ["stun:\(hostPort)"],
            turnURLs: ["turn:\(hostPort)?transport=udp", "turn:\(hostPort)?transport=tcp"],
            turnSecret: Array(turnSecret.utf8)
        )
        var push: PushService?
        if let vapidKey, let subject = configuration.effectiveVAPIDSubject {
            var settings = PushService.Configuration(subject: subject, endpointPolicy: configuration.pushEndpointPolicy)
            pushConfiguration(&settings)
            push = PushService(configuration: settings, key: vapidKey, store: store, metricsFactory: metrics.factory,
                               logger: logger, clock: now)
            routerConfiguration.pushEnabled = true
        }
        var pushSink: (@Sendable (PushIntent) -> Void)?
        if let push { pushSink = { intent in _ = push.enqueue(intent) } }
        let hub = SignalingHub(store: store, configuration: routerConfiguration, metricsFactory: metrics.factory,
                               logger: logger, clock: now, push: pushSink)
        var turnConfiguration = TURNServer.Configuration(sharedSecret: Array(turnSecret.utf8))
        turnConfiguration.realm = "ringlet"
        turnConfiguration.allowLoopbackPeers = configuration.allowLoopbackPeers
        turnConfiguration.allowPrivatePeers = configuration.allowLoopbackPeers
        let turn = TURNService(configuration: turnConfiguration, listen: turnAddress, relayIP: ip,
                               group: eventLoopGroup, logger: logger, metricsFactory: metrics.factory)
        self.hub = hub
        self.turnAddress = turnAddress
        self.push = push
        var services: [any Service] = [hub, turn]
        if let push { services.append(push) }
        self.app = RingletServerApp(
            configuration: configuration, store: store, metrics: metrics, logger: logger, now: now,
            services: services,
            registerWebSocketRoutes: { hub.register(on: $0) },
            onAuthorizationChange: { await hub.authorizationChanged($0) },
            onlineDevices: { await hub.onlineDevices(among: $0) },
            devAppID: devAppID,
            push: push,
            rejectCall: { await hub.rejectCall(userID: $0, callID: $1, endpoint: $2) }
        )
    }

    /// The service group of ``run(onServerRunning:)``, for a caller that stops it with
    /// `triggerGracefulShutdown()`.
    public func makeServiceGroup(
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> ServiceGroup {
        app.makeServiceGroup(onServerRunning: onServerRunning)
    }

    /// Runs everything until SIGINT or SIGTERM, then shuts it all down gracefully.
    public func run(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) async throws {
        try await app.run(onServerRunning: onServerRunning)
    }
}

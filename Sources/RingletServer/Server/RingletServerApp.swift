import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Metrics
import NIOCore
import Prometheus
import RingletCore
import RingletStore
import ServiceLifecycle

/// The per-server metrics: one Prometheus registry rendered at `/metrics`, and the factory that every
/// component creates its counters and gauges with (the global `MetricsSystem` is never bootstrapped).
public struct ServerMetrics: Sendable {
    /// What `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// What components pass to `Counter(label:dimensions:factory:)` / `Gauge(…, factory:)`.
    public let factory: PrometheusMetricsFactory
    /// The `process_*` series, read again at each scrape.
    let process: ProcessMetrics

    /// A fresh registry and its factory.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Ring latency is milliseconds of server work; call setup is people picking up (seconds to a minute).
        factory.durationHistogramBuckets["ringlet_ring_latency_seconds"] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        ]
        factory.durationHistogramBuckets["ringlet_call_setup_seconds"] = [
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(20), .seconds(30),
            .seconds(45), .seconds(60), .seconds(120),
        ]
        self.factory = factory
        process = ProcessMetrics(factory: factory)
    }

    /// The Prometheus text `/metrics` serves: the registry's series, the process's figures read now, and a
    /// `# HELP` line for each (``help``).
    public func render() -> String {
        process.update()
        return Self.annotated(String(decoding: registry.emitToBuffer(), as: UTF8.self))
    }
}

/// The composition of `ringlet serve` (docs/server.md, "Composition"): the store, the `/v1` API and `/metrics`
/// on one HTTP router, a WebSocket router for signaling, and extra services (signaling hub, TURN), all run as
/// one service group with graceful shutdown on SIGINT and SIGTERM.
///
/// The seams for the other parts: `services` (each a `Service` run in the same group and shut down with it),
/// `registerWebSocketRoutes` (adds routes such as `GET /v1/signal/device` to the WebSocket router) and
/// `onAuthorizationChange` (called by the API after a user authorizes or revokes a device).
public struct RingletServerApp: Sendable {
    /// The validated configuration.
    public let configuration: ServerConfiguration
    /// The store everything is kept in.
    public let store: any Store
    /// The server's metrics registry and factory.
    public let metrics: ServerMetrics
    let logger: Logger
    let now: @Sendable () -> Int64
    let identifiers: Identifiers
    let services: [any Service]
    let registerWebSocketRoutes: @Sendable (Router<RingletRequestContext>) -> Void
    let onAuthorizationChange: @Sendable (AuthorizationRecord) async -> Void
    let onlineDevices: @Sendable ([String]) async -> Set<String>
    /// Told when a credential is taken back (the signaling hub closes what stood on it).
    let onRevocation: @Sendable (CredentialRevocation) async -> Void
    /// Failed authentications per client address, shared with the signaling hub.
    public let authLimiter: AuthFailureLimiter
    /// The connection guard's caps and deadlines (one for the HTTP listener).
    let connectionSettings: HTTPConnectionGuard.Settings
    /// Development mode's demo app (the app `/v1/dev/sign-in` signs users into); nil without `--dev`.
    let devAppID: String?
    /// The web app served at `/app/`.
    let webApp: WebAppFiles
    /// The Web Push service (its public key and limits reach the API), or nil when push is off.
    let push: PushService?
    let rejectCall: @Sendable (String, String, String?) async -> CallRejectOutcome
    /// HTTPS: the certificate store and, when TURN over TLS shares the HTTPS port, where TURN connections go.
    let tls: (store: TLSContextStore, turn: TURNStreamAcceptor?)?

    /// A server over `store`.
    ///
    /// - Parameters:
    ///   - configuration: validated by the caller (``ServerConfiguration/resolve(flags:environment:)``).
    ///   - store: the store (`SQLiteStore` at ``ServerConfiguration/databasePath`` in `ringlet serve`).
    ///   - metrics: the registry `/metrics` renders; pass the one the extra services were built with.
    ///   - logger: the server's logger.
    ///   - now: the clock, Unix ms (default: the system's wall clock).
    ///   - identifiers: ids and secrets (default: the system random source).
    ///   - services: more services to run in the same group (signaling hub, TURN).
    ///   - registerWebSocketRoutes: adds the signaling routes to the WebSocket router.
    ///   - onAuthorizationChange: told of every authorization change made through the API.
    ///   - onlineDevices: which of the given SNs have a device session open (the signaling hub's answer).
    ///   - onRevocation: told when a session token or a device key is taken back (the hub closes sessions).
    ///   - authLimiter: failed authentications per address (default: made from the configuration's limits).
    ///   - devAppID: the demo app of `--dev`, whose users the web app's development sign-in creates and signs
    ///     in; ignored unless ``ServerConfiguration/dev``.
    ///   - webApp: the web app's files (default: the bundled ones).
    ///   - push: the Web Push service (run it among `services`); nil: push is off.
    ///   - rejectCall: declines a ringing call for a user (`POST /v1/me/calls/{callId}/reject`).
    ///   - tls: serve HTTPS and WSS with this certificate store (nil: plain HTTP); `turnOverHTTPS` set: TURN over
    ///     TLS on the same port (``TLSServerChannel``).
    public init(
        configuration: ServerConfiguration, store: any Store, metrics: ServerMetrics = ServerMetrics(),
        logger: Logger = Logger(label: "ringlet.server"),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        identifiers: Identifiers = .system, services: [any Service] = [],
        registerWebSocketRoutes: @escaping @Sendable (Router<RingletRequestContext>) -> Void = { _ in },
        onAuthorizationChange: @escaping @Sendable (AuthorizationRecord) async -> Void = { _ in },
        onlineDevices: @escaping @Sendable ([String]) async -> Set<String> = { _ in [] },
        onRevocation: @escaping @Sendable (CredentialRevocation) async -> Void = { _ in },
        authLimiter: AuthFailureLimiter? = nil,
        devAppID: String? = nil, webApp: WebAppFiles = .bundled, push: PushService? = nil,
        rejectCall: @escaping @Sendable (String, String, String?) async -> CallRejectOutcome = { _, _, _ in .notRinging },
        tls: TLSContextStore? = nil, turnOverHTTPS: TURNStreamAcceptor? = nil
    ) {
        self.onRevocation = onRevocation
        self.authLimiter = authLimiter ?? AuthFailureLimiter(
            burst: configuration.limits.authFailureBurst, perMinute: configuration.limits.authFailuresPerMinute,
            metricsFactory: metrics.factory)
        self.connectionSettings = HTTPConnectionGuard.Settings(
            limits: configuration.limits, maxConnections: configuration.limits.httpMaxConnections,
            metricsFactory: metrics.factory,
            perIPExempt: configuration.behindProxy ? configuration.trustedProxies.compactMap(IPNetwork.init) : [])
        self.push = push
        self.rejectCall = rejectCall
        self.configuration = configuration
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.now = now
        self.identifiers = identifiers
        self.services = services
        self.registerWebSocketRoutes = registerWebSocketRoutes
        self.onAuthorizationChange = onAuthorizationChange
        self.onlineDevices = onlineDevices
        self.devAppID = configuration.dev ? devAppID : nil
        self.webApp = webApp
        self.tls = tls.map { ($0, turnOverHTTPS) }
    }

    /// The HTTP router: the API's routes, `/metrics`, the web app's files; returns it with the routes registered
    /// (for the OpenAPI check).
    public func makeRouter() -> (Router<RingletRequestContext>, [APIRoutes.Route]) {
        let router = Router(context: RingletRequestContext.self)
        // First, so that every route and middleware sees the client's address and scheme as judged here.
        router.add(middleware: ClientOriginMiddleware(policy: clientOriginPolicy))
        if configuration.hstsMaxAgeSeconds > 0 {
            router.add(middleware: HSTSMiddleware(maxAgeSeconds: configuration.hstsMaxAgeSeconds))
        }
        var apiConfiguration = configuration.apiConfiguration
        apiConfiguration.devAppID = devAppID
        if let push {
            apiConfiguration.pushPublicKey = push.publicKey
            apiConfiguration.pushEndpointPolicy = push.configuration.endpointPolicy
            apiConfiguration.maximumPushSubscriptionsPerUser = push.configuration.maximumSubscriptionsPerUser
        }
        let api = APIRoutes(
            store: store, configuration: apiConfiguration, now: now, identifiers: identifiers,
            logger: logger, onAuthorizationChange: onAuthorizationChange, onlineDevices: onlineDevices,
            onRevocation: onRevocation, authLimiter: authLimiter, rejectCall: rejectCall
        )
        var routes = api.register(on: router)
        routes += webApp.register(on: router)
        // `/metrics` here needs the admin token, unless it has a listener of its own (``metricsApplication``),
        // where it needs none and this route is not served.
        if configuration.metrics == nil {
            let render = metricsResponder
            router.get("/metrics") { request, _ -> Response in
                try await api.requireOperator(request)
                return render()
            }
            routes.append(APIRoutes.Route(method: .get, path: "/metrics"))
        }
        return (router, routes)
    }

    /// The Prometheus text of the registry, as a response.
    var metricsResponder: @Sendable () -> Response {
        let metrics = self.metrics
        let guardMetrics = connectionSettings.closes
        return {
            guardMetrics.update()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
    }

    /// The separate `/metrics` listener of ``ServerConfiguration/metrics`` (nil when none is configured): only
    /// `GET /metrics`, without credentials; the address is meant for the monitoring network alone.
    func metricsApplication() -> (any Service)? {
        guard let address = configuration.metrics else { return nil }
        let router = Router(context: RingletRequestContext.self)
        let render = metricsResponder
        router.get("/metrics") { _, _ -> Response in render() }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port),
                                                    serverName: "ringlet-metrics"),
            logger: logger
        )
    }

    /// The Hummingbird application: HTTP/1.1 with WebSocket upgrade, behind TLS when configured, the extra
    /// services attached.
    ///
    /// - Parameter onServerRunning: called with the listening channel (its local address has the real port
    ///   when ``ServerConfiguration/http`` asks for port 0).
    public func makeApplication(
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let (router, _) = makeRouter()
        let webSocketRouter = Router(context: RingletRequestContext.self)
        webSocketRouter.add(middleware: ClientOriginMiddleware(policy: clientOriginPolicy))
        registerWebSocketRoutes(webSocketRouter)
        var services = self.services
        if let tls { services.append(TLSReloadService(store: tls.store, logger: logger)) }
        return Application(
            router: router,
            server: serverBuilder(webSocketRouter: webSocketRouter),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "ringlet"
            ),
            services: services + (metricsApplication().map { [$0] } ?? []),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    /// How forwarded headers are judged on the HTTP listener (``ClientOrigin``).
    var clientOriginPolicy: ClientOrigin.Policy {
        ClientOrigin.Policy(behindProxy: configuration.behindProxy,
                            trustedProxies: configuration.trustedProxies.compactMap(IPNetwork.init), tls: tls != nil)
    }

    /// HTTP/1.1 with the WebSocket upgrade, every connection held to the connection guard
    /// (``HTTPConnectionGuard``), and TLS in front of the guard when configured (``TLSServerChannel``): the guard
    /// then sees the decrypted bytes and starts its deadlines when the handshake is done (the handshake has its
    /// own), and a TURN-over-TLS connection on the same port leaves the guard for the TURN server's limits.
    func serverBuilder(webSocketRouter: Router<RingletRequestContext>) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        let setup = tls.map {
            TLSConnectionSetup(
                store: $0.store, role: $0.turn == nil ? .https : .httpsAndTURN,
                handshakeTimeout: .seconds(Int64(configuration.tlsHandshakeTimeoutSeconds)),
                publicBaseURL: configuration.effectivePublicBaseURL, logger: logger, metricsFactory: metrics.factory)
        }
        let turn = tls?.turn
        var settings = connectionSettings
        settings.afterTLSHandshake = setup != nil
        let guardSettings = settings
        return HTTPServerBuilder { responder in
            let http = GuardedChildChannel(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder,
                                                   configuration: .init(ws: SignalingHub.webSocketConfiguration)),
                settings: guardSettings)
            guard let setup else { return http }
            return TLSServerChannel(base: http, setup: setup, turn: turn)
        }
    }

    /// Runs the server and its services until SIGINT or SIGTERM, then shuts them all down gracefully.
    public func run(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) async throws {
        try await makeServiceGroup(onServerRunning: onServerRunning).run()
    }

    /// The service group ``run(onServerRunning:)`` runs: for a caller that runs the server inside its own process
    /// and stops it with `triggerGracefulShutdown()` (SIGINT and SIGTERM stop it too).
    public func makeServiceGroup(
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> ServiceGroup {
        ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: makeApplication(onServerRunning: onServerRunning))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
    }
}

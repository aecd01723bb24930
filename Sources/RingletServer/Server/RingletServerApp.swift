import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Metrics
import NIOCore
import Prometheus
import RingletStore
import ServiceLifecycle

/// The per-server metrics: one Prometheus registry rendered at `/metrics`, and the factory that every
/// component creates its counters and gauges with (the global `MetricsSystem` is never bootstrapped).
public struct ServerMetrics: Sendable {
    /// What `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// What components pass to `Counter(label:dimensions:factory:)` / `Gauge(…, factory:)`.
    public let factory: PrometheusMetricsFactory

    /// A fresh registry and its factory.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
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
    let registerWebSocketRoutes: @Sendable (Router<BasicWebSocketRequestContext>) -> Void
    let onAuthorizationChange: @Sendable (AuthorizationRecord) async -> Void
    let onlineDevices: @Sendable ([String]) async -> Set<String>
    /// Development mode's demo app (the app `/v1/dev/sign-in` signs users into); nil without `--dev`.
    let devAppID: String?
    /// The web app served at `/app/`.
    let webApp: WebAppFiles
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
    ///   - devAppID: the demo app of `--dev`, whose users the web app's development sign-in creates and signs
    ///     in; ignored unless ``ServerConfiguration/dev``.
    ///   - webApp: the web app's files (default: the bundled ones).
    ///   - tls: serve HTTPS and WSS with this certificate store (nil: plain HTTP); `turnOverHTTPS` set: TURN over
    ///     TLS on the same port (``TLSServerChannel``).
    public init(
        configuration: ServerConfiguration, store: any Store, metrics: ServerMetrics = ServerMetrics(),
        logger: Logger = Logger(label: "ringlet.server"),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        identifiers: Identifiers = .system, services: [any Service] = [],
        registerWebSocketRoutes: @escaping @Sendable (Router<BasicWebSocketRequestContext>) -> Void = { _ in },
        onAuthorizationChange: @escaping @Sendable (AuthorizationRecord) async -> Void = { _ in },
        onlineDevices: @escaping @Sendable ([String]) async -> Set<String> = { _ in [] },
        devAppID: String? = nil, webApp: WebAppFiles = .bundled,
        tls: TLSContextStore? = nil, turnOverHTTPS: TURNStreamAcceptor? = nil
    ) {
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
    public func makeRouter() -> (Router<BasicRequestContext>, [APIRoutes.Route]) {
        let router = Router()
        if configuration.hstsMaxAgeSeconds > 0 {
            router.add(middleware: HSTSMiddleware(maxAgeSeconds: configuration.hstsMaxAgeSeconds))
        }
        var apiConfiguration = configuration.apiConfiguration
        apiConfiguration.devAppID = devAppID
        let api = APIRoutes(
            store: store, configuration: apiConfiguration, now: now, identifiers: identifiers,
            logger: logger, onAuthorizationChange: onAuthorizationChange, onlineDevices: onlineDevices
        )
        var routes = api.register(on: router)
        routes += webApp.register(on: router)
        let registry = metrics.registry
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        routes.append(APIRoutes.Route(method: .get, path: "/metrics"))
        return (router, routes)
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
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        registerWebSocketRoutes(webSocketRouter)
        var services = self.services
        if let tls { services.append(TLSReloadService(store: tls.store, logger: logger)) }
        return Application(
            router: router,
            server: serverBuilder(webSocketRouter: webSocketRouter),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "ringlet"
            ),
            services: services,
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    /// HTTP/1.1 with the WebSocket upgrade, every request's forwarded headers normalised (``ClientOrigin``), and
    /// TLS in front when configured (``TLSServerChannel``).
    func serverBuilder(webSocketRouter: Router<BasicWebSocketRequestContext>) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        let policy = ClientOrigin.Policy(
            behindProxy: configuration.behindProxy, trustedProxies: configuration.trustedProxies.compactMap(IPNetwork.init),
            tls: tls != nil)
        let setup = tls.map {
            TLSConnectionSetup(
                store: $0.store, role: $0.turn == nil ? .https : .httpsAndTURN,
                handshakeTimeout: .seconds(Int64(configuration.tlsHandshakeTimeoutSeconds)),
                publicBaseURL: configuration.effectivePublicBaseURL, logger: logger, metricsFactory: metrics.factory)
        }
        let turn = tls?.turn
        return HTTPServerBuilder { responder in
            let normalizing: HTTPChannelHandler.Responder = { request, writer, channel in
                try await responder(ClientOrigin.normalize(request, peer: channel.remoteAddress, policy: policy),
                                    writer, channel)
            }
            let http = HTTP1WebSocketUpgradeChannel(
                responder: normalizing, webSocketResponder: webSocketResponder,
                configuration: .init(ws: SignalingHub.webSocketConfiguration))
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

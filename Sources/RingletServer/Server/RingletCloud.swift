import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import RingletCore
import RingletStore
import RingletNIO
import RingletTURN
import ServiceLifecycle

/// The whole of `ringlet serve` put together (docs/server.md, "Composition"): the HTTP API and `/metrics`, the
/// signaling hub on the WebSocket routes, and the STUN/TURN server on UDP, TCP and (with a certificate) TLS,
/// sharing one store and one metrics registry, run as one service group.
///
/// The call router hands every session ICE servers that point at this server's own STUN/TURN addresses
/// (``ServerConfiguration/iceServerURLs(turnPort:turnTLSPort:)``), with TURN REST credentials made from the same
/// shared secret the TURN server checks.
public struct RingletCloud: Sendable {
    /// The HTTP side, with the hub and TURN attached as its services.
    public let app: RingletServerApp
    /// The signaling hub (also reachable for tests that want to push an authorization change).
    public let hub: SignalingHub
    /// Where STUN/TURN listens (UDP and TCP, same port).
    public let turnAddress: TransportAddress
    /// Where TURN over TLS listens (nil: none; the HTTPS address when it shares that port).
    public let turnTLSAddress: TransportAddress?
    /// The certificate store of HTTPS and TURN over TLS (nil: no TLS).
    public let tls: TLSContextStore?

    /// Wires the parts.
    ///
    /// - Parameters:
    ///   - configuration: validated (`ServerConfiguration.resolve`).
    ///   - store: the store (an `SQLiteStore` in the data folder for `ringlet serve`).
    ///   - turnSecret: the TURN REST shared secret (`ServerBootstrap.turnSecret`).
    ///   - eventLoopGroup: where the TURN sockets run (one loop of it).
    ///   - logger: the server's logger.
    ///   - now: the clock, Unix ms.
    ///   - devAppID: the demo app of `--dev` (the web app's development sign-in); ignored without `--dev`.
    /// - Throws: ``ServerConfigurationError`` when the TURN address is not an IP literal and port, or when the
    ///   certificate or key cannot be served (unreadable, expired, not yet valid, a key of another certificate).
    public init(configuration: ServerConfiguration, store: any Store, turnSecret: String,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "ringlet.server"),
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                devAppID: String? = nil)
        throws(ServerConfigurationError)
    {
        guard let ip = IPAddress(configuration.turn.host), let port = UInt16(exactly: configuration.turn.port),
              port != 0 else {
            throw ServerConfigurationError(
                "turn must be an IP address (0.0.0.0 or :: for every address) and a port: \(configuration.turn)")
        }
        let turnAddress = TransportAddress(ip, port)
        var tls: TLSContextStore?
        if let certificateFile = configuration.tlsCertificateFile, let keyFile = configuration.tlsKeyFile {
            do throws(ServerTLSError) {
                tls = try TLSContextStore(certificateFile: certificateFile, keyFile: keyFile)
            } catch {
                throw ServerConfigurationError(error.description)
            }
        }
        var turnTLSAddress: TransportAddress?
        if let turnTLS = configuration.turnTLS {
            guard let tlsIP = IPAddress(turnTLS.host), let tlsPort = UInt16(exactly: turnTLS.port), tlsPort != 0 else {
                throw ServerConfigurationError("turn-tls must be an IP address and a port: \(turnTLS)")
            }
            turnTLSAddress = TransportAddress(tlsIP, tlsPort)
        }
        // TURN over TLS on the HTTPS port: the HTTPS listener hands TURN connections over.
        let sharesHTTPS = configuration.turnTLS == configuration.http
        let acceptor = sharesHTTPS ? TURNStreamAcceptor() : nil
        let metrics = ServerMetrics()
        let urls = configuration.iceServerURLs()
        let routerConfiguration = CallRouter.Configuration(
            ringTimeoutMs: Int64(configuration.ringTimeoutSeconds) * 1000,
            stunURLs: urls.stun, turnURLs: urls.turn, turnSecret: Array(turnSecret.utf8)
        )
        let hub = SignalingHub(store: store, configuration: routerConfiguration, metricsFactory: metrics.factory,
                               logger: logger, clock: now)
        var turnConfiguration = TURNServer.Configuration(sharedSecret: Array(turnSecret.utf8))
        turnConfiguration.realm = "ringlet"
        turnConfiguration.allowLoopbackPeers = configuration.allowLoopbackPeers
        turnConfiguration.allowPrivatePeers = configuration.allowLoopbackPeers
        let relay = TURNRelayServer.RelayAddressing(
            bindIP: ip.isUnspecified ? nil : ip, externalIP: configuration.turnExternalIP.flatMap(IPAddress.init),
            ports: configuration.turnRelayPorts.map { UInt16($0.lowerBound)...UInt16($0.upperBound) })
        var tlsListener: (address: TransportAddress, setup: TLSConnectionSetup)?
        if let tls, let turnTLSAddress, !sharesHTTPS {
            tlsListener = (turnTLSAddress, TLSConnectionSetup(
                store: tls, role: .turn, handshakeTimeout: .seconds(Int64(configuration.tlsHandshakeTimeoutSeconds)),
                publicBaseURL: configuration.effectivePublicBaseURL, logger: logger, metricsFactory: metrics.factory))
        }
        let turn = TURNService(configuration: turnConfiguration, listen: turnAddress, relay: relay,
                               tlsListener: tlsListener, acceptor: acceptor, group: eventLoopGroup, logger: logger,
                               metricsFactory: metrics.factory)
        self.hub = hub
        self.turnAddress = turnAddress
        self.turnTLSAddress = turnTLSAddress
        self.tls = tls
        self.app = RingletServerApp(
            configuration: configuration, store: store, metrics: metrics, logger: logger, now: now,
            services: [hub, turn],
            registerWebSocketRoutes: { hub.register(on: $0) },
            onAuthorizationChange: { await hub.authorizationChanged($0) },
            onlineDevices: { await hub.onlineDevices(among: $0) },
            devAppID: devAppID, tls: tls, turnOverHTTPS: acceptor
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

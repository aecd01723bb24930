import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import RingletCore
import RingletNIO
import RingletStore
import RingletTURN
import RingletWebPush
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
    /// How the descriptor limit was shared out (logged at start).
    public let descriptorBudget: DescriptorBudget
    /// The store's housekeeping (also run by the service group).
    public let janitor: StoreJanitor
    /// The Web Push delivery service, when push is on.
    public let push: PushService?
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
    ///   - descriptorLimit: the descriptor limit to fit the connection caps and the allocation quota into
    ///     (default: the process's, after raising its soft limit to the hard one).
    ///   - vapidKey: the server's VAPID key (``ServerBootstrap/vapidKey(store:)``); nil turns Web Push off.
    ///   - pushConfiguration: changes to the push service's defaults (tests and benchmarks); subject and
    ///     endpoint policy come from `configuration`.
    /// - Throws: ``ServerConfigurationError`` when the TURN address is not an IP literal and port, or when the
    ///   certificate or key cannot be served (unreadable, expired, not yet valid, a key of another certificate).
    public init(configuration: ServerConfiguration, store: any Store, turnSecret: String,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "ringlet.server"),
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                devAppID: String? = nil, descriptorLimit: Int? = nil, vapidKey: VAPIDKey? = nil,
                pushConfiguration: (inout PushService.Configuration) -> Void = { _ in })
        throws(ServerConfigurationError)
    {
        var configuration = configuration
        let (limits, budget) = DescriptorBudget.fit(configuration.limits,
                                                    descriptorLimit: descriptorLimit ?? DescriptorBudget.raiseSoftLimit())
        configuration.limits = limits
        descriptorBudget = budget
        let turnAddress = try configuration.turnAddress()
        let ip = turnAddress.ip
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
        var routerConfiguration = CallRouter.Configuration(
            ringTimeoutMs: Int64(configuration.ringTimeoutSeconds) * 1000,
            stunURLs: urls.stun, turnURLs: urls.turn, turnSecret: Array(turnSecret.utf8)
        )
        routerConfiguration.noticeBurst = limits.noticeBurst
        routerConfiguration.noticesPerMinute = limits.noticesPerMinute
        routerConfiguration.noticeTextBytes = limits.noticeTextBytes
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
        let authLimiter = AuthFailureLimiter(burst: limits.authFailureBurst, perMinute: limits.authFailuresPerMinute,
                                             metricsFactory: metrics.factory)
        let hub = SignalingHub(store: store, configuration: routerConfiguration, metricsFactory: metrics.factory,
                               logger: logger, clock: now, limits: limits, authLimiter: authLimiter, push: pushSink)
        let turnConfiguration = Self.turnConfiguration(configuration, secret: turnSecret, turnIP: ip)
        var tcpLimits = TURNRelayServer.TCPLimits()
        tcpLimits.maxConnections = limits.turnTCPMaxConnections
        tcpLimits.maxConnectionsPerIP = limits.turnTCPMaxConnectionsPerIP
        tcpLimits.idleWithoutAllocation = .seconds(Int64(limits.turnTCPIdleSeconds))
        tcpLimits.writeStall = .seconds(Int64(limits.writeStallSeconds))
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
                               metricsFactory: metrics.factory, tcpLimits: tcpLimits)
        let janitor = StoreJanitor(store: store, limits: limits, metricsFactory: metrics.factory, logger: logger,
                                   clock: now)
        self.hub = hub
        self.janitor = janitor
        self.turnAddress = turnAddress
        self.push = push
        var services: [any Service] = [hub, turn, janitor]
        if let push { services.append(push) }
        self.turnTLSAddress = turnTLSAddress
        self.tls = tls
        self.app = RingletServerApp(
            configuration: configuration, store: store, metrics: metrics, logger: logger, now: now,
            services: services,
            registerWebSocketRoutes: { hub.register(on: $0) },
            onAuthorizationChange: { await hub.authorizationChanged($0) },
            onlineDevices: { await hub.onlineDevices(among: $0) },
            onRevocation: { await hub.revoke($0) },
            authLimiter: authLimiter,
            devAppID: devAppID, push: push,
            rejectCall: { await hub.rejectCall(userID: $0, callID: $1, endpoint: $2) },
            tls: tls, turnOverHTTPS: acceptor
        )
    }

    /// The TURN server's configuration from the server's: the secret, the peer policy (loopback and private
    /// peers as configured; the server's own addresses and service ports always refused), quotas, bandwidth and
    /// the reflection limit.
    ///
    /// The own addresses are every listener's IP (HTTP, TURN, TURN over TLS, metrics), every interface's when one
    /// of them listens on all (`--turn 0.0.0.0`), and the external IP of 1:1 NAT (`--turn-external-ip`), where
    /// relays are announced: a peer there is refused unless it is the relayed address of one of this server's
    /// allocations (two clients of this server relaying to each other, delivered locally).
    static func turnConfiguration(_ configuration: ServerConfiguration, secret: String, turnIP: IPAddress)
        -> TURNServer.Configuration
    {
        let limits = configuration.limits
        var turn = TURNServer.Configuration(sharedSecret: Array(secret.utf8))
        turn.realm = "ringlet"
        turn.allowLoopbackPeers = configuration.allowLoopbackPeers
        turn.allowPrivatePeers = configuration.allowPrivatePeers
        turn.maxAllocations = limits.turnMaxAllocations
        turn.maxAllocationsPerUser = limits.turnUserQuota
        turn.allocationBytesPerSecond = limits.turnAllocationBytesPerSecond
        turn.totalBytesPerSecond = limits.turnTotalBytesPerSecond
        turn.unauthenticatedAnswersPerSecond = Double(limits.turnUnauthenticatedPerSecond)
        turn.unauthenticatedAnswerBurst = Double(limits.turnUnauthenticatedBurst)
        let listeners = [configuration.http, configuration.turn] + (configuration.turnTLS.map { [$0] } ?? [])
            + (configuration.metrics.map { [$0] } ?? [])
        var ownIPs = ownAddresses(of: listeners, turnIP: turnIP)
        if let external = configuration.turnExternalIP.flatMap(IPAddress.init), !ownIPs.contains(external) {
            ownIPs.append(external)
        }
        for ip in ownIPs {
            for listener in listeners {
                if let port = UInt16(exactly: listener.port), port != 0 {
                    turn.deniedPeerAddresses.insert(TransportAddress(ip, port))
                }
            }
        }
        turn.ownAddresses = Set(ownIPs.filter { !(configuration.allowLoopbackPeers && $0.isLoopback) })
        return turn
    }

    /// The server's own IP addresses: each listener's, and every interface's (``InterfaceAddresses``) when one
    /// listens on all of them (or on a name).
    static func ownAddresses(of listeners: [ServerConfiguration.HostPort], turnIP: IPAddress) -> [IPAddress] {
        var ips: Set<IPAddress> = turnIP.isUnspecified ? [] : [turnIP]
        var everyInterface = turnIP.isUnspecified
        for listener in listeners {
            if let ip = IPAddress(listener.host), !ip.isUnspecified {
                ips.insert(ip)
            } else {
                everyInterface = true
            }
        }
        if everyInterface { ips.formUnion(InterfaceAddresses.current()) }
        return ips.sorted { $0.description < $1.description }
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

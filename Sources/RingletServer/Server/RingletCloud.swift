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
    /// How the descriptor limit was shared out (logged at start).
    public let descriptorBudget: DescriptorBudget
    /// The store's housekeeping (also run by the service group).
    public let janitor: StoreJanitor
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
    ///   - descriptorLimit: the descriptor limit to fit the connection caps and the allocation quota into
    ///     (default: the process's, after raising its soft limit to the hard one).
    ///   - vapidKey: the server's VAPID key (``ServerBootstrap/vapidKey(store:)``); nil turns Web Push off.
    ///   - pushConfiguration: changes to the push service's defaults (tests and benchmarks); subject and
    ///     endpoint policy come from `configuration`.
    /// - Throws: `ServerConfigurationError` when the TURN address is not an IP literal or is unspecified.
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
        let metrics = ServerMetrics()
        let hostPort = configuration.turn.description
        var routerConfiguration = CallRouter.Configuration(
            ringTimeoutMs: Int64(configuration.ringTimeoutSeconds) * 1000,
            stunURLs: ["stun:\(hostPort)"],
            turnURLs: ["turn:\(hostPort)?transport=udp", "turn:\(hostPort)?transport=tcp"],
            turnSecret: Array(turnSecret.utf8)
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
        let turn = TURNService(configuration: turnConfiguration, listen: turnAddress, relayIP: ip,
                               group: eventLoopGroup, logger: logger, metricsFactory: metrics.factory,
                               tcpLimits: tcpLimits)
        let janitor = StoreJanitor(store: store, limits: limits, metricsFactory: metrics.factory, logger: logger,
                                   clock: now)
        self.hub = hub
        self.janitor = janitor
        self.turnAddress = turnAddress
        self.push = push
        var services: [any Service] = [hub, turn, janitor]
        if let push { services.append(push) }
        self.app = RingletServerApp(
            configuration: configuration, store: store, metrics: metrics, logger: logger, now: now,
            services: services,
            registerWebSocketRoutes: { hub.register(on: $0) },
            onAuthorizationChange: { await hub.authorizationChanged($0) },
            onlineDevices: { await hub.onlineDevices(among: $0) },
            onRevocation: { await hub.revoke($0) },
            authLimiter: authLimiter,
            devAppID: devAppID,
            push: push,
            rejectCall: { await hub.rejectCall(userID: $0, callID: $1, endpoint: $2) }
        )
    }

    /// The TURN server's configuration from the server's: the secret, the peer policy (loopback and private
    /// peers as configured; the server's own addresses and service ports always refused), quotas, bandwidth and
    /// the reflection limit.
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
        let listeners = [configuration.http, configuration.turn] + (configuration.metrics.map { [$0] } ?? [])
        let ownIPs = ownAddresses(of: listeners, turnIP: turnIP)
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

    /// The server's own IP addresses: each listener's, and every interface's when one listens on all of them
    /// (or on a name).
    static func ownAddresses(of listeners: [ServerConfiguration.HostPort], turnIP: IPAddress) -> [IPAddress] {
        var ips: Set<IPAddress> = [turnIP]
        var everyInterface = false
        for listener in listeners {
            if let ip = IPAddress(listener.host), !ip.isUnspecified {
                ips.insert(ip)
            } else {
                everyInterface = true
            }
        }
        if everyInterface, let devices = try? System.enumerateDevices() {
            for device in devices {
                if let text = device.address?.ipAddress, let ip = IPAddress(text) { ips.insert(ip) }
            }
        }
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

public import Logging
public import Metrics
public import NIOCore
public import RingletCore
public import RingletNIO
public import RingletTURN
public import ServiceLifecycle

/// The STUN/TURN server of `ringlet serve` as a swift-service-lifecycle `Service`: it starts a
/// ``TURNRelayServer`` in `run()`, reports its counters as metrics once a second, and on graceful shutdown (or
/// cancellation) closes every socket and returns.
///
/// Metrics (created with the injected factory, never the global `MetricsSystem`):
/// `ringlet_turn_allocations` (gauge), `ringlet_turn_relayed_packets_total` and
/// `ringlet_turn_relayed_bytes_total` (counters, both directions), `ringlet_turn_dropped_total{reason}`
/// (`rate_limited`: answers to unauthenticated sources over their rate; `bandwidth`; `no_permission`),
/// `ringlet_turn_tcp_refused_total{reason}` (`connection_cap`, `per_ip_cap`, `idle`, `write_stall`) and
/// `ringlet_turn_tcp_connections` (gauge).
public struct TURNService: Service {
    /// The core's configuration (shared secret, realm, quotas, peer policy).
    public let configuration: TURNServer.Configuration
    /// Where to listen on UDP and TCP (port 0: any free port).
    public let listen: TransportAddress
    /// The IP relay sockets bind to.
    public let relayIP: IPAddress
    let group: any EventLoopGroup
    let logger: Logger
    let metricsFactory: any MetricsFactory
    let onStarted: (@Sendable (TURNRelayServer) -> Void)?
    /// The limits of TURN-over-TCP connections.
    public let tcpLimits: TURNRelayServer.TCPLimits

    /// Makes the service; nothing is bound until `run()`.
    /// - Parameters:
    ///   - onStarted: called once the sockets are bound (e.g. to log or publish the chosen port).
    public init(configuration: TURNServer.Configuration, listen: TransportAddress, relayIP: IPAddress,
                group: any EventLoopGroup, logger: Logger, metricsFactory: any MetricsFactory,
                tcpLimits: TURNRelayServer.TCPLimits = TURNRelayServer.TCPLimits(),
                onStarted: (@Sendable (TURNRelayServer) -> Void)? = nil)
    {
        self.tcpLimits = tcpLimits
        self.configuration = configuration
        self.listen = listen
        self.relayIP = relayIP
        self.group = group
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.onStarted = onStarted
    }

    /// Serves until graceful shutdown or cancellation, then shuts the server down.
    /// - Throws: the start errors of ``TURNRelayServer/start(configuration:listen:relayIP:group:logger:)``.
    public func run() async throws {
        let server = try await TURNRelayServer.start(configuration: configuration, listen: listen, relayIP: relayIP,
                                                     group: group, logger: logger, tcpLimits: tcpLimits)
        onStarted?(server)
        let metrics = TURNMetrics(factory: metricsFactory)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                metrics.update(await server.counters(), tcp: server.tcpCountersSnapshot())
                try await Task.sleep(for: .seconds(1))
            }
        }
        metrics.update(await server.counters(), tcp: server.tcpCountersSnapshot())
        await server.shutdown()
    }
}

/// The TURN metrics, fed from successive ``TURNServer/Counters`` snapshots.
final class TURNMetrics: @unchecked Sendable {
    // @unchecked Sendable: `last` is touched only by the one task running `TURNService.run()`.
    let allocations: Gauge
    let packets: Counter
    let bytes: Counter
    let tcpOpen: Gauge
    let dropped: [String: Counter]
    let tcpRefused: [String: Counter]
    var last = TURNServer.Counters()
    var lastTCP = TURNRelayServer.TCPCounters()

    init(factory: any MetricsFactory) {
        allocations = Gauge(label: "ringlet_turn_allocations", factory: factory)
        packets = Counter(label: "ringlet_turn_relayed_packets_total", factory: factory)
        bytes = Counter(label: "ringlet_turn_relayed_bytes_total", factory: factory)
        tcpOpen = Gauge(label: "ringlet_turn_tcp_connections", factory: factory)
        var dropped: [String: Counter] = [:]
        for reason in ["rate_limited", "bandwidth", "no_permission"] {
            dropped[reason] = Counter(label: "ringlet_turn_dropped_total", dimensions: [("reason", reason)], factory: factory)
        }
        self.dropped = dropped
        var refused: [String: Counter] = [:]
        for reason in ["connection_cap", "per_ip_cap", "idle", "write_stall"] {
            refused[reason] = Counter(label: "ringlet_turn_tcp_refused_total", dimensions: [("reason", reason)],
                                      factory: factory)
        }
        tcpRefused = refused
    }

    func update(_ now: TURNServer.Counters, tcp: TURNRelayServer.TCPCounters) {
        func add(_ counter: Counter?, _ new: UInt64, _ old: UInt64) {
            if new > old { counter?.increment(by: Int64(clamping: new - old)) }
        }
        add(dropped["rate_limited"], now.droppedRateLimited, last.droppedRateLimited)
        add(dropped["bandwidth"], now.droppedBandwidth, last.droppedBandwidth)
        add(dropped["no_permission"], now.droppedNoPermission, last.droppedNoPermission)
        add(tcpRefused["connection_cap"], tcp.refusedTotal, lastTCP.refusedTotal)
        add(tcpRefused["per_ip_cap"], tcp.refusedPerIP, lastTCP.refusedPerIP)
        add(tcpRefused["idle"], tcp.closedIdle, lastTCP.closedIdle)
        add(tcpRefused["write_stall"], tcp.closedStalled, lastTCP.closedStalled)
        tcpOpen.record(tcp.open)
        lastTCP = tcp
        allocations.record(now.allocations)
        let packetsNow = now.clientToPeerPackets &+ now.peerToClientPackets
        let packetsBefore = last.clientToPeerPackets &+ last.peerToClientPackets
        let bytesNow = now.clientToPeerBytes &+ now.peerToClientBytes
        let bytesBefore = last.clientToPeerBytes &+ last.peerToClientBytes
        if packetsNow > packetsBefore { packets.increment(by: Int64(clamping: packetsNow - packetsBefore)) }
        if bytesNow > bytesBefore { bytes.increment(by: Int64(clamping: bytesNow - bytesBefore)) }
        last = now
    }
}

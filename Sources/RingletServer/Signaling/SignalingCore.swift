import Logging
import Metrics
import RingletSignaling
import RingletStore

/// What a connection's writer task sends next.
enum SessionOutgoing: Sendable {
    case message(ServerMessage)
    /// Send a close frame with this kind and reason, then stop.
    case close(SessionCloseKind, String)
}

/// The WebSocket close codes the hub uses (RFC 6455 §7.4.1).
enum SessionCloseKind: Sendable {
    /// 1000: the server closes for a normal reason (replaced, shutdown).
    case normal
    /// 1008: policy violation (unauthenticated, bad authentication, malformed message).
    case policy
    /// 1009: message too big.
    case tooLarge
}

/// The call router confined to one actor, with the sessions' outgoing queues and the metrics.
actor SignalingCore {
    private var router: CallRouter
    private var outgoing: [SessionID: AsyncStream<SessionOutgoing>.Continuation] = [:]
    private var nextID: UInt64 = 1
    private let logger: Logger
    private let deviceSessions: Gauge
    private let userSessions: Gauge
    private let metricsFactory: any MetricsFactory
    /// Where `.push` outputs go (the push service's non-blocking `enqueue`); nil: push is off.
    private let push: (@Sendable (PushIntent) -> Void)?

    init(router: CallRouter, metricsFactory: any MetricsFactory, logger: Logger,
         push: (@Sendable (PushIntent) -> Void)? = nil) {
        self.router = router
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.push = push
        deviceSessions = Gauge(label: "ringlet_sessions", dimensions: [("kind", "device")], factory: metricsFactory)
        userSessions = Gauge(label: "ringlet_sessions", dimensions: [("kind", "user")], factory: metricsFactory)
        deviceSessions.record(0)
        userSessions.record(0)
    }

    func makeSessionID() -> SessionID {
        defer { nextID &+= 1 }
        return SessionID(rawValue: nextID)
    }

    func open(_ id: SessionID, identity: SessionIdentity, outgoing continuation: AsyncStream<SessionOutgoing>.Continuation,
              now: Int64) {
        outgoing[id] = continuation
        router.sessionOpened(id, identity: identity, now: now)
        drain()
    }

    func close(_ id: SessionID, now: Int64) {
        guard outgoing.removeValue(forKey: id) != nil else { return }
        router.sessionClosed(id, now: now)
        drain()
    }

    func handle(_ id: SessionID, _ message: ClientMessage, now: Int64) {
        router.handle(id, message, now: now)
        drain()
    }

    func authorizationChanged(_ record: AuthorizationRecord, now: Int64) {
        router.authorizationChanged(record, now: now)
        drain()
    }

    /// The service worker's decline over HTTP.
    func rejectCall(userID: String, callID: String, endpoint: String?, now: Int64) -> CallRejectOutcome {
        let outcome = router.rejectCall(userID: userID, callID: callID, endpoint: endpoint, now: now)
        drain()
        return outcome
    }

    /// Which of `sns` have an open device session.
    func onlineDevices(among sns: [String]) -> Set<String> {
        router.onlineDevices(among: sns)
    }

    /// Runs the router's timer if its deadline has come; returns the next deadline.
    func tick(now: Int64) -> Int64? {
        if let deadline = router.pollTimeout(), deadline <= now {
            router.handleTimeout(now: now)
            drain()
        }
        return router.pollTimeout()
    }

    /// Closes every session (graceful shutdown).
    func closeAll(now: Int64) {
        for (id, continuation) in outgoing {
            continuation.yield(.close(.normal, "server shutting down"))
            continuation.finish()
            router.sessionClosed(id, now: now)
        }
        outgoing.removeAll()
        drain()
    }

    private func drain() {
        while let output = router.pollOutput() {
            switch output {
            case .send(let id, let message):
                outgoing[id]?.yield(.message(message))
            case .close(let id, let reason):
                if let continuation = outgoing.removeValue(forKey: id) {
                    continuation.yield(.close(.normal, reason.code))
                    continuation.finish()
                }
            case .event(.callEnded(let record)):
                Counter(label: "ringlet_calls_total", dimensions: [("outcome", record.outcome.rawValue)],
                        factory: metricsFactory).increment()
            case .event(.callStarted), .event(.storeFailed):
                break
            case .push(let intent):
                push?(intent)
            }
        }
        let counts = router.sessionCounts
        deviceSessions.record(counts.devices)
        userSessions.record(counts.users)
    }
}

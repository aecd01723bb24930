import Logging
import Metrics
import RingletSignaling
import RingletStore

/// The call router confined to one actor, with the sessions' outgoing queues and the metrics.
actor SignalingCore {
    private var router: CallRouter
    private var outgoing: [SessionID: SessionOutbox] = [:]
    private var nextID: UInt64 = 1
    private let logger: Logger
    private let deviceSessions: Gauge
    private let userSessions: Gauge
    private let metricsFactory: any MetricsFactory
    private let slowConsumers: Counter
    private let credentialCloses: Counter
    /// Where `.push` outputs go (the push service's non-blocking `enqueue`); nil: push is off.
    private let push: (@Sendable (PushIntent) -> Void)?

    init(router: CallRouter, metricsFactory: any MetricsFactory, logger: Logger,
         push: (@Sendable (PushIntent) -> Void)? = nil) {
        self.router = router
        self.logger = logger
        self.metricsFactory = metricsFactory
        slowConsumers = Counter(label: "ringlet_signaling_closed_total", dimensions: [("reason", "slow_consumer")],
                                factory: metricsFactory)
        credentialCloses = Counter(label: "ringlet_signaling_closed_total", dimensions: [("reason", "credentials")],
                                   factory: metricsFactory)
        self.push = push
        deviceSessions = Gauge(label: "ringlet_sessions", dimensions: [("kind", "device")], factory: metricsFactory)
        userSessions = Gauge(label: "ringlet_sessions", dimensions: [("kind", "user")], factory: metricsFactory)
        deviceSessions.record(0)
        userSessions.record(0)
        // Every outcome is a series from the start (a rate over a series that appears late reads as nothing).
        for outcome in CallRecord.Outcome.allCases where outcome != .ringing && outcome != .active {
            Counter(label: "ringlet_calls_total", dimensions: [("outcome", Self.outcomeLabel(outcome))],
                    factory: metricsFactory).increment(by: 0)
        }
    }

    /// A call outcome as the metrics say it: `peer_gone` is `dropped` (what the web app's History says).
    static func outcomeLabel(_ outcome: CallRecord.Outcome) -> String {
        outcome == .peerGone ? "dropped" : outcome.rawValue
    }

    func makeSessionID() -> SessionID {
        defer { nextID &+= 1 }
        return SessionID(rawValue: nextID)
    }

    func open(_ id: SessionID, identity: SessionIdentity, credential: SessionCredential, outbox: SessionOutbox,
              now: Int64) {
        outgoing[id] = outbox
        router.sessionOpened(id, identity: identity, credential: credential, now: now)
        drain(now: now)
    }

    func close(_ id: SessionID, now: Int64) {
        guard outgoing.removeValue(forKey: id) != nil else { return }
        router.sessionClosed(id, now: now)
        drain(now: now)
    }

    func handle(_ id: SessionID, _ message: ClientMessage, now: Int64) {
        let started = ContinuousClock.now
        router.handle(id, message, now: now)
        drain(now: now)
        // A call request's ring (or join_notify) is in the callees' outboxes now.
        if let direction = rang {
            Timer(label: "ringlet_ring_latency_seconds", dimensions: [("direction", direction)], factory: metricsFactory)
                .recordNanoseconds(Self.nanoseconds(started.duration(to: .now)))
            rang = nil
        }
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds &* 1_000_000_000 &+ d.components.attoseconds / 1_000_000_000
    }

    /// Set by ``drain(now:)`` when a call started ringing (its direction).
    private var rang: String?

    func authorizationChanged(_ record: AuthorizationRecord, now: Int64) {
        router.authorizationChanged(record, now: now)
        drain(now: now)
    }

    func revoke(_ revocation: CredentialRevocation, now: Int64) {
        router.revoke(revocation, now: now)
        drain(now: now)
    }

    func recheck(now: Int64) {
        router.recheckSessions(now: now)
        drain(now: now)
    }

    /// The service worker's decline over HTTP.
    func rejectCall(userID: String, callID: String, endpoint: String?, now: Int64) -> CallRejectOutcome {
        let outcome = router.rejectCall(userID: userID, callID: callID, endpoint: endpoint, now: now)
        drain(now: now)
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
            drain(now: now)
        }
        return router.pollTimeout()
    }

    /// Closes every session (graceful shutdown).
    func closeAll(now: Int64) {
        for (id, outbox) in outgoing {
            outbox.put(.close(.normal, "server shutting down"))
            outbox.finish()
            router.sessionClosed(id, now: now)
        }
        outgoing.removeAll()
        drain(now: now)
    }

    private func drain(now: Int64) {
        var overflowed: [SessionID] = []
        while let output = router.pollOutput() {
            switch output {
            case .send(let id, let message):
                if let outbox = outgoing[id], !outbox.put(.message(message)), outbox.overflowed {
                    overflowed.append(id)
                }
            case .close(let id, let reason):
                if let outbox = outgoing.removeValue(forKey: id) {
                    if reason.rejectsCredentials {
                        credentialCloses.increment()
                        outbox.put(.message(.error(ErrorMessage(code: SignalingError.Code(rawValue: reason.code),
                                                                message: reason.message))))
                        outbox.put(.close(.policy, reason.code))
                    } else {
                        outbox.put(.close(.normal, reason.code))
                    }
                    outbox.finish()
                    logger.info("signaling session closed by the server",
                                metadata: ["session": "\(id)", "reason": "\(reason.code)"])
                }
            case .event(.callEnded(let record)):
                Counter(label: "ringlet_calls_total", dimensions: [("outcome", Self.outcomeLabel(record.outcome))],
                        factory: metricsFactory).increment()
                if let answered = record.answeredAt, answered >= record.startedAt {
                    Timer(label: "ringlet_call_setup_seconds", dimensions: [("direction", record.direction.rawValue)],
                          factory: metricsFactory)
                        .recordMilliseconds(answered - record.startedAt)
                }
            case .event(.callStarted(let record)):
                rang = record.direction.rawValue
            case .event(.storeFailed):
                break
            case .push(let intent):
                push?(intent)
            }
        }
        // A session whose socket does not take its messages is closed (its outbox already closed the
        // connection); its calls end as for a lost peer.
        for id in overflowed where outgoing.removeValue(forKey: id) != nil {
            slowConsumers.increment()
            logger.info("signaling session closed: it does not read", metadata: ["session": "\(id)", "reason": "slow_consumer"])
            router.sessionClosed(id, now: now)
        }
        if !overflowed.isEmpty { drain(now: now) }
        let counts = router.sessionCounts
        deviceSessions.record(counts.devices)
        userSessions.record(counts.users)
    }
}

import Logging
import Metrics
import RingletSignaling
import RingletStore

/// The call router confined to one actor, with the sessions' outgoing queues and the metrics. It never waits
/// for the store: reads, writes and messages to other nodes go to ``SignalingEffects``, and their results come
/// back as calls on this actor.
actor SignalingCore {
    private var router: CallRouter
    private var outgoing: [SessionID: SessionOutbox] = [:]
    private var nextID: UInt64 = 1
    private let effects: SignalingEffects
    private let logger: Logger
    private let deviceSessions: Gauge
    private let userSessions: Gauge
    private let metricsFactory: any MetricsFactory
    private let slowConsumers: Counter
    private let credentialCloses: Counter
    private var callCounters: [CallRecord.Outcome: Counter] = [:]
    /// Call requests (`call`, `call_device`) of this node's sessions waiting for their `call_result`: when each
    /// reached the server and which way it calls (``ringLatency(_:_:)``).
    private var ringRequests: [RingRequest: (received: ContinuousClock.Instant, direction: CallRecord.Direction)] = [:]
    /// Where `.push` outputs go (the push service's non-blocking `enqueue`); nil: push is off.
    private let push: (@Sendable (PushIntent) -> Void)?
    /// Unix ms, for the inputs that come back from effects and other nodes.
    private let clock: @Sendable () -> Int64

    init(router: CallRouter, effects: SignalingEffects, metricsFactory: any MetricsFactory, logger: Logger,
         clock: @escaping @Sendable () -> Int64, push: (@Sendable (PushIntent) -> Void)? = nil) {
        self.router = router
        self.clock = clock
        self.effects = effects
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
            let counter = Counter(label: "ringlet_calls_total", dimensions: [("outcome", Self.outcomeLabel(outcome))],
                                  factory: metricsFactory)
            counter.increment(by: 0)
            callCounters[outcome] = counter
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

    func open(_ id: SessionID, identity: SessionIdentity, credential: SessionCredential, profile: SessionProfile,
              outbox: SessionOutbox, now: Int64) {
        outgoing[id] = outbox
        router.sessionOpened(id, identity: identity, credential: credential, profile: profile, now: now)
        if outgoing[id] != nil { effects.cluster?.sessionOpened(id, identity: identity) }
        drain(now: now)
    }

    func close(_ id: SessionID, now: Int64) {
        guard outgoing.removeValue(forKey: id) != nil else { return }
        router.sessionClosed(id, now: now)
        sessionGone(id)
        drain(now: now)
    }

    func handle(_ id: SessionID, _ message: ClientMessage, now: Int64) {
        switch message {
        case .call(let request):
            ringRequests[RingRequest(session: id, requestId: request.requestId)] = (.now, .deviceToUser)
        case .callDevice(let request):
            ringRequests[RingRequest(session: id, requestId: request.requestId)] = (.now, .userToDevice)
        default:
            break
        }
        router.handle(id, message, now: now)
        drain(now: now)
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds &* 1_000_000_000 &+ d.components.attoseconds / 1_000_000_000
    }

    func loaded(_ id: EffectID, _ result: CallRouter.LoadResult) {
        let now = clock()
        router.loaded(id, result, now: now)
        drain(now: now)
    }

    func persisted(_ results: [(EffectID, CallWriteResult)]) {
        let now = clock()
        for (id, result) in results { router.persisted(id, result, now: now) }
        drain(now: now)
    }

    func handleNode(from node: NodeID, _ messages: [NodeMessage]) {
        let now = clock()
        for message in messages { router.handleNode(from: node, message, now: now) }
        drain(now: now)
    }

    func nodeGone(_ node: NodeID) {
        let now = clock()
        router.nodeGone(node, now: now)
        drain(now: now)
    }

    func authorizationChanged(_ record: AuthorizationRecord, openID: String, deviceName: String, now: Int64) {
        router.authorizationChanged(record, openID: openID, deviceName: deviceName, now: now)
        drain(now: now)
    }

    func revoke(_ revocation: CredentialRevocation, now: Int64) {
        router.revoke(revocation, now: now)
        drain(now: now)
    }

    /// The sessions whose credentials are re-checked against the store.
    func sessionsToRecheck() -> [(SessionID, SessionIdentity, SessionCredential)] {
        router.sessionsToRecheck
    }

    /// Closes sessions the re-check found standing on a credential that was taken back or expired.
    func closeSessions(_ closes: [(SessionID, CallRouter.CloseReason)], now: Int64) {
        for (id, reason) in closes { router.closeSession(id, reason, now: now) }
        drain(now: now)
    }

    /// The service worker's decline over HTTP.
    func rejectCall(userID: String, callID: String, endpoint: String?, now: Int64) -> CallRejectOutcome {
        let outcome = router.rejectCall(userID: userID, callID: callID, endpoint: endpoint, now: now)
        drain(now: now)
        return outcome
    }

    /// Which of `sns` have an open device session on this node.
    func onlineDevices(among sns: [String]) -> Set<String> {
        router.onlineDevices(among: sns)
    }

    /// Calls this node routes now (starting, ringing or active).
    var callsInProgress: Int { router.callsInProgress }

    /// Open sessions on this node.
    var sessionCount: Int { outgoing.count }

    /// Runs the router's timer if its deadline has come; returns the next deadline.
    func tick(now: Int64) -> Int64? {
        if let deadline = router.pollTimeout(), deadline <= now {
            router.handleTimeout(now: now)
            drain(now: now)
        }
        return router.pollTimeout()
    }

    /// Closes every session (graceful shutdown) with `reason`.
    func closeAll(now: Int64, reason: String = "server shutting down") {
        for (id, outbox) in outgoing.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            outbox.put(.close(.normal, reason))
            outbox.finish()
            router.sessionClosed(id, now: now)
            sessionGone(id)
        }
        outgoing.removeAll()
        drain(now: now)
    }

    private func drain(now: Int64) {
        var overflowed: [SessionID] = []
        while let output = router.pollOutput() {
            switch output {
            case .send(let id, let message):
                if !ringRequests.isEmpty { ringLatency(id, message) }
                if let outbox = outgoing[id], !outbox.put(.message(message)), outbox.overflowed {
                    overflowed.append(id)
                }
            case .sendText(let id, let text):
                if let outbox = outgoing[id], !outbox.put(.text(text)), outbox.overflowed {
                    overflowed.append(id)
                }
            case .close(let id, let reason):
                if let outbox = outgoing.removeValue(forKey: id) {
                    sessionGone(id)
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
                callCounter(record.outcome).increment()
                if let answered = record.answeredAt, answered >= record.startedAt {
                    Timer(label: "ringlet_call_setup_seconds", dimensions: [("direction", record.direction.rawValue)],
                          factory: metricsFactory)
                        .recordMilliseconds(answered - record.startedAt)
                }
            case .event(.callStarted), .event(.storeFailed):
                break
            case .push(let intent):
                push?(intent)
            case .load(let load):
                effects.load(load)
            case .persist(let write):
                effects.persist(write)
            case .forward(let node, let message):
                effects.forward(message, to: node)
            }
        }
        // A session whose socket does not take its messages is closed (its outbox already closed the
        // connection); its calls end as for a lost peer.
        for id in overflowed where outgoing.removeValue(forKey: id) != nil {
            slowConsumers.increment()
            logger.info("signaling session closed: it does not read", metadata: ["session": "\(id)", "reason": "slow_consumer"])
            router.sessionClosed(id, now: now)
            sessionGone(id)
        }
        if !overflowed.isEmpty { drain(now: now) }
        let counts = router.sessionCounts
        deviceSessions.record(counts.devices)
        userSessions.record(counts.users)
    }

    /// A call request of a session of this node.
    private struct RingRequest: Hashable {
        let session: SessionID
        let requestId: String
    }

    /// `message` to session `id` may answer one of its call requests: an `ok` `call_result` comes once the call
    /// is durable and right after its `ring` (or `join_notify`) was handed out in the same drain, so the time
    /// from the request to now is its ring latency (reads and the group-committed start included). A refusal
    /// (a failed `call_result`, an error) just forgets the request.
    private func ringLatency(_ id: SessionID, _ message: ServerMessage) {
        let requestId: String?
        var rang = false
        switch message {
        case .callResult(let result):
            requestId = result.requestId
            rang = result.code == .ok
        case .error(let error):
            requestId = error.requestId
        default:
            return
        }
        guard let requestId,
              let request = ringRequests.removeValue(forKey: RingRequest(session: id, requestId: requestId)), rang
        else { return }
        Timer(label: "ringlet_ring_latency_seconds", dimensions: [("direction", request.direction.rawValue)],
              factory: metricsFactory)
            .recordNanoseconds(Self.nanoseconds(request.received.duration(to: .now)))
    }

    /// A session of this node is gone: the other nodes' presence table forgets it (through the cluster link), and
    /// so do its call requests (their answers will not be sent).
    private func sessionGone(_ id: SessionID) {
        effects.cluster?.sessionClosed(id)
        guard !ringRequests.isEmpty else { return }
        ringRequests = ringRequests.filter { $0.key.session != id }
    }

    private func callCounter(_ outcome: CallRecord.Outcome) -> Counter {
        if let counter = callCounters[outcome] { return counter }
        let counter = Counter(label: "ringlet_calls_total", dimensions: [("outcome", Self.outcomeLabel(outcome))],
                              factory: metricsFactory)
        callCounters[outcome] = counter
        return counter
    }
}

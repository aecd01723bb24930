import RingletStore

/// One message for one subscription.
struct PushDelivery: Sendable {
    let intent: PushIntent
    let subscription: PushSubscriptionRecord
}

/// The delivery queue, one lane per subscription: a lane's messages go out one after another, in order (so a
/// `ring_stop` never overtakes its `ring`), and a new message with the same topic replaces one still waiting in
/// the lane (as RFC 8030 §5.4 topics do at the push service). Workers take whole lanes; a lane is never worked
/// by two at once.
///
/// Bounded: at most `perLane` waiting messages per subscription and `total` in all; beyond that a message is
/// dropped (the caller counts it).
actor PushLanes {
    struct Lane {
        var waiting: [PushDelivery] = []
        /// In `ready` (waiting for a worker) or taken by one.
        var scheduled = false
    }

    enum SubmitResult: Equatable { case queued, replaced, dropped }

    private var lanes: [String: Lane] = [:]
    private var ready: [String] = []
    private var idle: [CheckedContinuation<String?, Never>] = []
    private var closed = false
    private(set) var waitingCount = 0
    let perLane: Int
    let total: Int

    init(perLane: Int, total: Int) {
        self.perLane = max(1, perLane)
        self.total = max(1, total)
    }

    /// Queues `delivery` in its subscription's lane.
    func submit(_ delivery: PushDelivery) -> SubmitResult {
        guard !closed else { return .dropped }
        let id = delivery.subscription.id
        var lane = lanes[id] ?? Lane()
        var result = SubmitResult.queued
        if let topic = delivery.intent.topic,
           let index = lane.waiting.firstIndex(where: { $0.intent.topic == topic }) {
            lane.waiting[index] = delivery
            result = .replaced
        } else {
            guard lane.waiting.count < perLane, waitingCount < total else { return .dropped }
            lane.waiting.append(delivery)
            waitingCount += 1
        }
        let wasIdle = !lane.scheduled
        lane.scheduled = true
        lanes[id] = lane
        if wasIdle {
            ready.append(id)
            if !idle.isEmpty {
                let worker = idle.removeFirst()
                let taken = takeReady()
                worker.resume(returning: taken)
            }
        }
        return result
    }

    /// A lane with work for the calling worker (marked busy), waiting until there is one; nil once closed and
    /// drained.
    func takeLane() async -> String? {
        if let id = takeReady() { return id }
        if closed { return nil }
        return await withCheckedContinuation { idle.append($0) }
    }

    private func takeReady() -> String? {
        guard !ready.isEmpty else { return nil }
        return ready.removeFirst()
    }

    /// The lane's next message, or nil when it is empty (then the lane is released).
    func next(in id: String) -> PushDelivery? {
        guard var lane = lanes[id] else { return nil }
        guard !lane.waiting.isEmpty else {
            lanes[id] = nil
            return nil
        }
        let delivery = lane.waiting.removeFirst()
        waitingCount -= 1
        lanes[id] = lane
        return delivery
    }

    /// Whether a newer message with `topic` waits in the lane (the one in hand is superseded).
    func isSuperseded(lane id: String, topic: String?) -> Bool {
        guard let topic else { return false }
        return lanes[id]?.waiting.contains { $0.intent.topic == topic } ?? false
    }

    /// Drops everything waiting in the lane (its subscription is gone); returns how many.
    func discard(lane id: String) -> Int {
        let count = lanes[id]?.waiting.count ?? 0
        lanes[id]?.waiting.removeAll()
        waitingCount -= count
        return count
    }

    /// No more submissions; idle workers are released (busy ones finish their lanes).
    func close() {
        closed = true
        for worker in idle { worker.resume(returning: takeReady()) }
        idle.removeAll()
    }

    /// Whether ``close()`` was called.
    var isClosed: Bool { closed }
}

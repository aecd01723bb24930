import Metrics
import RingletStore
import Synchronization

/// Group commit of the call router's writes (docs/signaling.md, "Effects"): writes are queued without waiting,
/// and one loop applies everything queued in one store transaction (``Store/applyCallWrites(_:)``), so that
/// while one batch is being made durable the next one gathers. A call start or an answer therefore waits for
/// one commit it shares with every other write of its batch, never for a commit of its own; the load sets the
/// batch size.
///
/// Metrics: `ringlet_store_writes_total` (writes applied), `ringlet_store_batches_total` (transactions), and
/// `ringlet_store_write_failures_total`.
final class StoreWriter: Sendable {
    /// The most writes in one transaction. Default 512.
    let maximumBatch: Int
    private let pending = Mutex<[CallRouter.Persist]>([])
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let writes: Counter
    private let batches: Counter
    private let failures: Counter

    init(maximumBatch: Int = 512, metricsFactory: any MetricsFactory) {
        self.maximumBatch = max(1, maximumBatch)
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        writes = Counter(label: "ringlet_store_writes_total", factory: metricsFactory)
        batches = Counter(label: "ringlet_store_batches_total", factory: metricsFactory)
        failures = Counter(label: "ringlet_store_write_failures_total", factory: metricsFactory)
    }

    /// Queues a write; never waits.
    func submit(_ write: CallRouter.Persist) {
        pending.withLock { $0.append(write) }
        wake.yield()
    }

    /// Writes queued and not yet taken.
    var queued: Int { pending.withLock { $0.count } }

    /// No more writes will come: ``run(store:reply:)`` returns once it has applied what is queued.
    func finish() {
        wake.finish()
    }

    /// Applies batches until ``finish()`` and everything queued is written; hands the results of the writes
    /// that wait for one to `reply`, in order.
    func run(store: any Store, reply: @Sendable ([(EffectID, CallWriteResult)]) async -> Void) async {
        for await _ in wakes {
            await flush(store: store, reply: reply)
        }
        await flush(store: store, reply: reply)
    }

    private func flush(store: any Store, reply: @Sendable ([(EffectID, CallWriteResult)]) async -> Void) async {
        while true {
            let batch: [CallRouter.Persist] = pending.withLock { queue in
                let taken = Array(queue.prefix(maximumBatch))
                queue.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            let results = await store.applyCallWrites(batch.map(\.write))
            writes.increment(by: Int64(batch.count))
            batches.increment()
            var answers: [(EffectID, CallWriteResult)] = []
            for (write, result) in zip(batch, results) {
                if case .failed = result { failures.increment() }
                if let id = write.id { answers.append((id, result)) }
            }
            if !answers.isEmpty { await reply(answers) }
        }
    }
}

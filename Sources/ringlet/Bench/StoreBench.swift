import ArgumentParser
import Foundation
import RingletLab
import RingletStore

/// `ringlet bench store`: what the call router's durable writes cost (docs/store.md, "The call router's reads and
/// writes"; docs/benchmarks.md). Each call is two writes, its start (`ringing`, busy and quota rules) and its finish,
/// applied with ``Store/applyCallWrites(_:)`` the two ways a server could:
///
/// - `single`: one transaction per write, one after the other: what a router that writes each call itself,
///   synchronously, pays (one commit, one flush, per write);
/// - `grouped`: `--batch` writes per transaction, as the signaling hub's group committer applies them under load.
///
/// On SQLite with its production settings (WAL, `synchronous=FULL`, in a temporary folder on this machine's disk),
/// and on a throwaway Debian PostgreSQL started for the run with production durability (`fsync=on`,
/// `synchronous_commit=on`, on a Unix socket). Rounds interleave the two ways; figures are writes per second
/// (min/median/max over rounds) and the ratio grouped / single per round.
struct StoreBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "The call router's durable writes: one transaction per write vs group commit, SQLite and PostgreSQL (JSON)."
    )

    @Option(help: "Calls per way per round (each is a start and a finish).") var calls = 500
    @Option(help: "Writes per transaction in the grouped way (the hub's writer takes up to 512).") var batch = 64
    @Option(help: "Rounds.") var rounds = 3
    @Option(help: "Stores: sqlite, postgresql or both.") var stores = "both"

    func validate() throws {
        guard (10...100_000).contains(calls) else { throw ValidationError("--calls is 10…100000") }
        guard (2...512).contains(batch) else { throw ValidationError("--batch is 2…512") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds is 1…20") }
        guard ["sqlite", "postgresql", "both"].contains(stores) else {
            throw ValidationError("--stores is sqlite, postgresql or both")
        }
    }

    func run() async throws {
        var report: [String: Any] = ["calls": calls, "batch": batch, "rounds": rounds]
        if stores != "postgresql" {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-bench-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let store = try SQLiteStore(path: folder.appendingPathComponent("ringlet.sqlite").path)
            report["sqlite"] = try await measure(store)
            try await store.close()
        }
        if stores != "sqlite" {
            let server = try await PostgresServer.start(PostgresServer.Options(durable: true))
            do {
                let (store, pool) = try await server.store(prefix: "bench", maximumConnections: 2)
                report["postgresql"] = try await measure(store)
                pool.cancel()
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
        let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Rounds of both ways on `store`; the report of one store.
    func measure(_ store: any Store) async throws -> [String: Any] {
        let appID = "app_bench"
        try await store.insertApp(AppRecord(id: appID, name: "Bench", secretHash: "00", releaseApproved: true,
                                            callQuota: nil, createdAt: 1))
        var single: [Double] = []
        var grouped: [Double] = []
        var errors = 0
        for round in 0..<rounds {
            for way in ["single", "grouped"] {
                let writes = (0..<calls).map { index in
                    CallRecord(id: "call_\(round)_\(way)_\(index)", appID: appID, sn: "SN_\(index)", userID: "usr_\(index)",
                               direction: .deviceToUser, kind: .video, channel: .release, outcome: .ringing,
                               startedAt: Int64(index))
                }
                let starts = writes.map { CallWrite.start($0, takeQuota: false, node: nil) }
                let finishes = writes.map { call -> CallWrite in
                    var ended = call
                    ended.outcome = .completed
                    ended.answeredAt = call.startedAt + 10
                    ended.endedAt = call.startedAt + 20
                    return .finish(ended)
                }
                let size = way == "single" ? 1 : batch
                let clock = ContinuousClock()
                let started = clock.now
                for phase in [starts, finishes] {
                    for chunk in stride(from: 0, to: phase.count, by: size) {
                        let results = await store.applyCallWrites(Array(phase[chunk..<min(chunk + size, phase.count)]))
                        errors += results.filter { $0 != .done }.count
                    }
                }
                let elapsed = (clock.now - started).components
                let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                let rate = Double(2 * calls) / max(seconds, 1e-9)
                if way == "single" { single.append(rate) } else { grouped.append(rate) }
            }
        }
        func summary(_ rates: [Double]) -> [String: Double] {
            let sorted = rates.sorted()
            return ["min": rounded(sorted.first ?? 0), "median": rounded(sorted[sorted.count / 2]),
                    "max": rounded(sorted.last ?? 0)]
        }
        let ratios = zip(grouped, single).map { $0 / $1 }.sorted()
        return [
            "store": store.summary,
            "single_writes_per_s": summary(single),
            "grouped_writes_per_s": summary(grouped),
            "grouped_over_single": ["min": rounded(ratios.first ?? 0, places: 2),
                                    "median": rounded(ratios[ratios.count / 2], places: 2),
                                    "max": rounded(ratios.last ?? 0, places: 2)],
            "errors": errors,
        ]
    }
}

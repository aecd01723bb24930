#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Metrics
import Synchronization

extension ServerMetrics {
    /// The `# HELP` text of every series `ringlet serve` exports, by metric name (docs/server.md "Metrics" has
    /// the same table). Components create their counters through swift-metrics, which carries no help text, so
    /// ``annotated(_:)`` adds these lines to what the registry renders; a series missing here has no HELP line,
    /// and `ServerMetricsTests` fails.
    public static let help: [String: String] = [
        "ringlet_calls_total": "Calls ended, by outcome (completed, rejected, busy, timeout, cancelled, failed: "
            + "the device was offline, dropped: a party's connection was lost, revoked, interrupted).",
        "ringlet_ring_latency_seconds": "From a call request reaching the server to its ring handed to the "
            + "callee's sessions and push queue (user to device: the join_notify to the device), by direction.",
        "ringlet_call_setup_seconds": "From a call's start to its answer, for answered calls, by direction "
            + "(recorded when the call ends).",
        "ringlet_sessions": "Open signaling sessions, by kind (device, user).",
        "ringlet_signaling_closed_total": "Signaling sessions closed by the server, by reason.",
        "ringlet_signaling_rate_limited_total": "Signaling messages refused over a session's message rate.",
        "ringlet_auth_failures_total": "Failed authentications (bad or expired tokens, app secrets, tickets, "
            + "sign-in codes, device signatures), by where (http, signaling).",
        "ringlet_refused_total": "Requests refused before they were looked at, by reason.",
        "ringlet_http_connections": "Open HTTP connections.",
        "ringlet_http_closed_total": "HTTP connections closed by the server's limits, by reason.",
        "ringlet_purged_total": "Expired records purged by the janitor, by kind.",
        "ringlet_store_writes_total": "Call router writes applied to the store (starts, answers, ends, attempts, "
            + "notices).",
        "ringlet_store_batches_total": "Store transactions of group-committed call router writes.",
        "ringlet_store_write_failures_total": "Call router writes the store failed.",
        "ringlet_turn_allocations": "Live TURN allocations.",
        "ringlet_turn_relayed_packets_total": "Packets relayed by the TURN server.",
        "ringlet_turn_relayed_bytes_total": "Bytes relayed by the TURN server.",
        "ringlet_turn_tcp_connections": "Open TURN connections over TCP.",
        "ringlet_turn_dropped_total": "Datagrams the TURN server dropped, by reason.",
        "ringlet_turn_tcp_refused_total": "TURN TCP connections refused, by reason.",
        "ringlet_push_sent_total": "Web Push messages accepted by push services, by type.",
        "ringlet_push_latency_seconds": "From a push being queued to the push service accepting it, by type.",
        "ringlet_push_failed_total": "Web Push messages given up, by reason.",
        "ringlet_push_retries_total": "Web Push deliveries retried.",
        "ringlet_push_superseded_total": "Queued pushes replaced by a newer one for the same call.",
        "ringlet_push_expired_subscriptions_total": "Push subscriptions deleted because the push service said "
            + "they expired (404, 410).",
        "ringlet_push_queue_depth": "Pushes waiting in the delivery queue.",
        "process_resident_memory_bytes": "Resident memory of the server process (VmRSS).",
        "process_virtual_memory_bytes": "Virtual memory of the server process (VmSize).",
        "process_open_fds": "Open file descriptors of the server process.",
        "process_max_fds": "The server process's limit on open file descriptors (soft RLIMIT_NOFILE).",
        "process_cpu_seconds_total": "CPU time of the server process, user and system.",
        "process_start_time_seconds": "When the server process started, seconds since the Unix epoch.",
    ]

    /// `text` (the registry's exposition) with a `# HELP` line, from ``help``, before each `# TYPE` line that has
    /// none.
    public static func annotated(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 4096)
        var previous: Substring = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst("# TYPE ".count).prefix { $0 != " " }
                if !previous.hasPrefix("# HELP \(name) "), let help = help[String(name)] {
                    out += "# HELP \(name) \(help)\n"
                }
            }
            out += line
            out += "\n"
            previous = line
        }
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }
}

/// The `process_*` series of the Prometheus client conventions, read from `/proc/self` when `/metrics` is
/// rendered: resident and virtual memory, open and allowed descriptors, CPU time, start time.
final class ProcessMetrics: Sendable {
    private let resident: Gauge
    private let virtual: Gauge
    private let openDescriptors: Gauge
    private let maximumDescriptors: Gauge
    private let cpuSeconds: FloatingPointCounter
    private let cpuCounted = Mutex(0.0)
    private let startTime: Gauge

    init(factory: any MetricsFactory) {
        resident = Gauge(label: "process_resident_memory_bytes", factory: factory)
        virtual = Gauge(label: "process_virtual_memory_bytes", factory: factory)
        openDescriptors = Gauge(label: "process_open_fds", factory: factory)
        maximumDescriptors = Gauge(label: "process_max_fds", factory: factory)
        cpuSeconds = FloatingPointCounter(label: "process_cpu_seconds_total", factory: factory)
        startTime = Gauge(label: "process_start_time_seconds", factory: factory)
        if let start = Self.startTimeSeconds() { startTime.record(start) }
        update()
    }

    /// Reads the process's figures now.
    func update() {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard parts.count >= 2, let kilobytes = Double(parts[1]) else { continue }
                if parts[0] == "VmRSS:" { resident.record(kilobytes * 1024) }
                if parts[0] == "VmSize:" { virtual.record(kilobytes * 1024) }
            }
        }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            // The directory listing itself holds one descriptor while it is read.
            openDescriptors.record(max(0, entries.count - 1))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maximumDescriptors.record(Double(limit.rlim_cur)) }
        var usage = rusage()
        if getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 {
            let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1_000_000
            let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1_000_000
            let total = user + system
            let delta = cpuCounted.withLock { counted -> Double in
                defer { counted = max(counted, total) }
                return max(0, total - counted)
            }
            if delta > 0 { cpuSeconds.increment(by: delta) }
        }
    }

    /// The process's start time: boot time (`btime` of /proc/stat) plus field 22 of /proc/self/stat (clock ticks).
    private static func startTimeSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let bootLine = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(bootLine.dropFirst("btime ".count))
        else { return nil }
        // After the command name: field 3 (state) onwards; the start time is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        let perSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        return boot + ticks / (perSecond > 0 ? perSecond : 100)
    }
}

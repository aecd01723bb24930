#if canImport(Glibc)
import Glibc
#endif

/// How the process's descriptors are shared out (docs/security.md, "Descriptors"): one table serves HTTP and
/// WebSocket connections, TURN relay sockets (one per allocation), TURN-over-TCP connections and SQLite, so the
/// caps on the first three must leave room for the rest, whatever `ulimit -n` is.
///
/// At start the soft limit is raised to the hard one (``raiseSoftLimit()``); ``fit(_:descriptorLimit:)`` then
/// keeps ``reserved`` descriptors for the process itself (SQLite's files and readers, event loops, listeners,
/// standard streams) and, when the three caps add up to more than the rest, scales them down in proportion.
public struct DescriptorBudget: Sendable, Hashable, CustomStringConvertible {
    /// Descriptors kept for everything that is not a connection or a relay. 128.
    public static let reserved = 128

    /// The descriptor limit the caps were fitted to.
    public let descriptorLimit: Int
    /// The effective caps.
    public let httpConnections: Int
    public let turnTCPConnections: Int
    public let turnAllocations: Int
    /// Whether the configured caps had to be lowered.
    public let scaled: Bool

    /// The limits with their three descriptor-holding caps fitted into `descriptorLimit`.
    public static func fit(_ limits: ServerLimits, descriptorLimit: Int) -> (ServerLimits, DescriptorBudget) {
        let available = max(3, descriptorLimit - reserved)
        let wanted = [limits.httpMaxConnections, limits.turnTCPMaxConnections, limits.turnMaxAllocations]
        let total = wanted.reduce(0, +)
        var fitted = wanted
        if total > available {
            let share = Double(available) / Double(total)
            fitted = wanted.map { max(1, Int(Double($0) * share)) }
        }
        var result = limits
        result.httpMaxConnections = fitted[0]
        result.httpMaxConnectionsPerIP = min(limits.httpMaxConnectionsPerIP, fitted[0])
        result.turnTCPMaxConnections = fitted[1]
        result.turnTCPMaxConnectionsPerIP = min(limits.turnTCPMaxConnectionsPerIP, fitted[1])
        result.turnMaxAllocations = fitted[2]
        return (result, DescriptorBudget(descriptorLimit: descriptorLimit, httpConnections: fitted[0],
                                         turnTCPConnections: fitted[1], turnAllocations: fitted[2],
                                         scaled: total > available))
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (capped at 1 048 576) and returns the soft limit now in
    /// force.
    public static func raiseSoftLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        let ceiling = min(limit.rlim_max, 1 << 20)
        if limit.rlim_cur < ceiling {
            var raised = limit
            raised.rlim_cur = ceiling
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    public var description: String {
        "descriptors \(descriptorLimit): http connections \(httpConnections), turn tcp \(turnTCPConnections), "
            + "turn allocations \(turnAllocations)\(scaled ? " (scaled down to fit)" : "")"
    }
}

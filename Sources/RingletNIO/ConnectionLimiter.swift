import NIOConcurrencyHelpers

/// Counts the open connections of a listener, in total and per client IP, and refuses new ones past either cap
/// (docs/security.md, "Limits"). Shared by every connection of the listener; thread-safe.
///
/// A connection is ``admit(_:)``ted when it opens and ``release(_:)``d when it closes; the counts never go below
/// zero. The per-IP table holds only addresses with a connection open, so its size is bounded by the total cap.
public final class ConnectionLimiter: Sendable {
    /// Why a connection was refused.
    public enum Refusal: Sendable, Hashable {
        /// The listener has `maximumTotal` connections open.
        case total
        /// That address has `maximumPerIP` connections open.
        case perIP
    }

    private struct State {
        var total = 0
        var perIP: [String: Int] = [:]
        var refusedTotal: UInt64 = 0
        var refusedPerIP: UInt64 = 0
    }

    /// Connections open at most.
    public let maximumTotal: Int
    /// Connections open from one IP address at most.
    public let maximumPerIP: Int
    private let state = NIOLockedValueBox(State())

    /// A limiter with these caps (each at least 1).
    public init(maximumTotal: Int, maximumPerIP: Int) {
        self.maximumTotal = max(1, maximumTotal)
        self.maximumPerIP = max(1, min(maximumPerIP, maximumTotal))
    }

    /// Counts a new connection from `ip` (nil: an address the caller could not read, counted in the total only);
    /// nil when admitted, else why it must be closed (and it is not counted).
    public func admit(_ ip: String?) -> Refusal? {
        state.withLockedValue { s in
            guard s.total < maximumTotal else {
                s.refusedTotal &+= 1
                return .total
            }
            if let ip {
                guard s.perIP[ip, default: 0] < maximumPerIP else {
                    s.refusedPerIP &+= 1
                    return .perIP
                }
                s.perIP[ip, default: 0] += 1
            }
            s.total += 1
            return nil
        }
    }

    /// A connection admitted from `ip` closed.
    public func release(_ ip: String?) {
        state.withLockedValue { s in
            s.total = max(0, s.total - 1)
            if let ip, let count = s.perIP[ip] {
                s.perIP[ip] = count > 1 ? count - 1 : nil
            }
        }
    }

    /// Connections open now.
    public var open: Int { state.withLockedValue { $0.total } }

    /// Connections refused since start: for the total cap, for the per-IP cap.
    public var refused: (total: UInt64, perIP: UInt64) {
        state.withLockedValue { ($0.refusedTotal, $0.refusedPerIP) }
    }
}

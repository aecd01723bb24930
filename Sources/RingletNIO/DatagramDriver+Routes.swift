#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import RingletCore

extension DatagramDriver {
    /// How long a destination's route check is trusted.
    static var routeCacheLifetime: Int64 { 10_000_000_000 }

    /// Whether the kernel has a route to `destination`, checked once per destination IP and cached for
    /// `routeCacheLifetime`: `connect()` on a probe UDP socket fails at once with ENETUNREACH when there is no
    /// route, and sends nothing. On the loop (whose thread is in the driver's network namespace, if any).
    ///
    /// Why: NIO treats ENETUNREACH from `sendmmsg` as fatal for a datagram channel, closes it and fails the rest of
    /// its batch — an ICE check toward a peer's unreachable private candidate would take the engine's TURN and media
    /// traffic down with it. Such datagrams are dropped here and counted as `unroutable` instead.
    func hasRoute(to destination: TransportAddress, now: Instant) -> Bool {
        if let cached = routeCache[destination.ip], now.nanoseconds &- cached.checkedAt < Self.routeCacheLifetime {
            return cached.routable
        }
        let routable = Self.probeRoute(destination)
        if routeCache.count >= 4096 { routeCache.removeAll(keepingCapacity: true) }
        routeCache[destination.ip] = (routable, now.nanoseconds)
        return routable
    }

    private static func probeRoute(_ destination: TransportAddress) -> Bool {
        let family = destination.ip.family == .v4 ? AF_INET : AF_INET6
        #if canImport(Glibc)
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let fd = socket(family, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return true }  // cannot tell: let the send decide
        defer { _ = SwiftGlibc.close(fd) }
        let result = destination.socketAddress.withSockAddr { address, length in
            SwiftGlibc.connect(fd, address, socklen_t(length))
        }
        if result == 0 { return true }
        switch errno {
        case ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL: return false
        default: return true
        }
    }
}

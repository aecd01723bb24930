#if canImport(Glibc)
import Glibc
#endif
import RingletCore
import RingletNIO

/// The local IP addresses a peer connection can gather host candidates on (RFC 8445 §5.1.1.1).
public enum LocalInterfaces {
    /// The addresses of the interfaces that are up, from `getifaddrs`: IPv4 always, IPv6 when `includeIPv6`
    /// (link-local IPv6 addresses are left out: they need a scope). Loopback addresses only when no other
    /// address exists (a host with only `lo` up, as in the tests' network namespaces) or when
    /// `includeLoopback`.
    public static func addresses(includeIPv6: Bool = false, includeLoopback: Bool = false) -> [IPAddress] {
        var other: [IPAddress] = []
        var loopback: [IPAddress] = []
        for ip in InterfaceAddresses.current() where includeIPv6 || ip.family == .v4 {
            if ip.isLoopback { loopback.append(ip) } else { other.append(ip) }
        }
        if other.isEmpty { return loopback.isEmpty ? [.loopbackV4] : loopback.filter { $0.family == .v4 } }
        return includeLoopback ? other + loopback : other
    }

    /// The host-candidate addresses for a client of the server at `serverHost`: loopback when the server is on
    /// loopback (everything runs on this machine: the demo, a local server), else ``addresses(includeIPv6:includeLoopback:)``.
    public static func addresses(forServer serverHost: String) -> [IPAddress] {
        if let ip = IPAddress(serverHost), ip.isLoopback { return [ip.family == .v4 ? .loopbackV4 : .loopbackV6] }
        if serverHost == "localhost" { return [.loopbackV4] }
        return addresses()
    }
}

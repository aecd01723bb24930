#if canImport(Glibc)
import Glibc
#endif
public import RingletCore

/// The IP addresses of this host's interfaces that are up, from `getifaddrs` (in the calling thread's network
/// namespace).
public enum InterfaceAddresses {
    /// Every address of an interface that is up, in the kernel's order, without duplicates; link-local IPv6
    /// addresses are left out (they need a scope id to be used).
    public static func current() -> [IPAddress] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(first) }
        var addresses: [IPAddress] = []
        var node: UnsafeMutablePointer<ifaddrs>? = first
        while let n = node {
            defer { node = n.pointee.ifa_next }
            guard n.pointee.ifa_flags & UInt32(IFF_UP) != 0, let sa = n.pointee.ifa_addr else { continue }
            let family = Int32(sa.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var storage = sockaddr_storage()
            let size = family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: size)) }
            guard let ip = TransportAddress(storage: storage)?.ip, !(ip.family == .v6 && ip.isLinkLocal),
                  !addresses.contains(ip) else { continue }
            addresses.append(ip)
        }
        return addresses
    }
}

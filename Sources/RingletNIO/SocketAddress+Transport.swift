#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import RingletCore

extension TransportAddress {
    /// Converts a NIO socket address (IPv4 or IPv6); nil for Unix-domain addresses.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            let a = v4.address
            self.init(IPAddress(v4: UInt32(bigEndian: a.sin_addr.s_addr)), UInt16(bigEndian: a.sin_port))
        case .v6(let v6):
            var a = v6.address
            let ip = withUnsafeBytes(of: &a.sin6_addr) { IPAddress(bytes: $0) }
            guard let ip else { return nil }
            self.init(ip, UInt16(bigEndian: a.sin6_port))
        default:
            return nil
        }
    }

    /// The NIO socket address for this transport address (no string parsing, no DNS).
    var socketAddress: SocketAddress {
        switch ip.family {
        case .v4:
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = (ip.v4Value ?? 0).bigEndian
            return SocketAddress(a, host: "")
        case .v6:
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            let bytes = ip.bytes
            withUnsafeMutableBytes(of: &a.sin6_addr) { raw in
                for i in 0..<min(raw.count, bytes.count) { raw[i] = bytes[i] }
            }
            return SocketAddress(a, host: "")
        }
    }
}

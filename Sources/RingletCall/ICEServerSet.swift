#if canImport(Glibc)
import Glibc
#endif
import RingletCore
import RingletEngine
import RingletSignaling

/// The STUN and TURN servers of one peer connection, from the `iceServers` the signaling hands out (W3C
/// `RTCIceServer`), with host names resolved to addresses.
public struct ICEServerSet: Hashable, Sendable {
    /// STUN servers (server-reflexive candidates).
    public var stunServers: [TransportAddress] = []
    /// TURN servers with their credentials (relayed candidates).
    public var turnServers: [PeerConnection.TURNServerConfiguration] = []
    /// The TURN servers of `turns:` URLs (TURN over TLS, RFC 8656 §3.1): their entries in ``turnServers`` use TCP,
    /// and the shell runs TLS on those connections, verifying the certificate against `serverName` (the URL's
    /// host name; nil for an IP literal, which is checked against the certificate's IP addresses).
    public var tlsServers: [TLSServer] = []
    /// URLs that were left out, with the reason (`stuns:`, TURN over DTLS, unresolvable hosts, TURN without
    /// credentials).
    public var skipped: [String] = []

    /// A TURN server reached over TLS.
    public struct TLSServer: Hashable, Sendable {
        /// The server's address (one the host name resolved to).
        public var address: TransportAddress
        /// The name the certificate must carry (also sent as SNI); nil when the URL named an IP address.
        public var serverName: String?

        /// Makes an entry.
        public init(address: TransportAddress, serverName: String?) {
            self.address = address
            self.serverName = serverName
        }
    }

    /// An empty set.
    public init() {}

    /// Resolves `servers`: every usable URL becomes a STUN or TURN entry (each address a name resolves to).
    /// - Parameter resolve: host name → addresses (``HostResolver/resolve(_:)`` by default; tests pass literals).
    public init(_ servers: [ICEServer], resolve: (String) -> [IPAddress] = HostResolver.resolve) {
        for server in servers {
            for text in server.urls {
                let url: ICEServerURL
                do {
                    url = try ICEServerURL(parsing: text)
                } catch {
                    skipped.append("\(text): \(error.message)")
                    continue
                }
                if url.scheme == .stuns {
                    skipped.append("\(text): STUN over TLS is not supported (use turns: for TLS)")
                    continue
                }
                let tls = url.scheme == .turns
                if tls, url.transportGiven, url.transport == .udp {
                    skipped.append("\(text): TURN over DTLS is not supported (turns: runs over TCP)")
                    continue
                }
                let addresses = resolve(url.host)
                guard !addresses.isEmpty else {
                    skipped.append("\(text): host did not resolve")
                    continue
                }
                for ip in addresses {
                    let address = TransportAddress(ip, url.port)
                    if url.scheme == .stun {
                        if !stunServers.contains(address) { stunServers.append(address) }
                    } else if let username = server.username, let credential = server.credential {
                        turnServers.append(.init(address: address, transport: tls ? .tcp : url.transport,
                                                 username: username, password: credential))
                        if tls {
                            tlsServers.append(TLSServer(address: address,
                                                        serverName: IPAddress(url.host) == nil ? url.host : nil))
                        }
                    } else {
                        skipped.append("\(text): TURN without credentials")
                    }
                }
            }
        }
    }
}

/// Host name resolution for STUN/TURN and signaling servers.
public enum HostResolver {
    /// The IPv4 and IPv6 addresses of `host`: a literal as it is, a name through `getaddrinfo` (blocking: call it
    /// off the event loop). Empty when the name does not resolve.
    public static func resolve(_ host: String) -> [IPAddress] {
        if let ip = IPAddress(host) { return [ip] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if let sa = n.pointee.ai_addr, let ip = ipAddress(of: sa), !addresses.contains(ip) { addresses.append(ip) }
            node = n.pointee.ai_next
        }
        return addresses
    }

    static func ipAddress(of sa: UnsafeMutablePointer<sockaddr>) -> IPAddress? {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                IPAddress(v4: UInt32(bigEndian: sin.pointee.sin_addr.s_addr))
            }
        case AF_INET6:
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                withUnsafeBytes(of: sin6.pointee.sin6_addr) { IPAddress(bytes: $0) }
            }
        default:
            return nil
        }
    }
}

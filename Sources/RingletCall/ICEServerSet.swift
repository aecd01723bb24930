#if canImport(Glibc)
import Glibc
#endif
import RingletCore
import RingletEngine
import RingletSignaling

/// One `stun:`, `stuns:`, `turn:` or `turns:` URL (RFC 7064, RFC 7065): scheme, host, port and transport.
public struct ICEServerURL: Hashable, Sendable {
    /// The URL scheme.
    public enum Scheme: String, Hashable, Sendable {
        case stun, stuns, turn, turns
    }

    /// The scheme.
    public let scheme: Scheme
    /// The host: a name, an IPv4 literal, or an IPv6 literal without brackets.
    public let host: String
    /// The port (3478 by default, 5349 for the TLS schemes).
    public let port: UInt16
    /// The transport to the server (`?transport=tcp`; UDP otherwise).
    public let transport: TransportProtocol

    /// Parses a URL such as `turn:turn.example:3478?transport=udp` or `stun:[::1]:3478`.
    /// - Throws: `invalidURL` for another scheme, an empty host, a bad port or transport.
    public init(parsing text: String) throws(CallClientError) {
        guard let colon = text.firstIndex(of: ":"), let scheme = Scheme(rawValue: text[..<colon].lowercased()) else {
            throw CallClientError(.invalidURL, "not a stun:, stuns:, turn: or turns: URL")
        }
        var rest = Substring(text[text.index(after: colon)...])
        var transport: TransportProtocol = .udp
        if let q = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: q)...].lowercased()
            rest = rest[..<q]
            switch query {
            case "transport=udp": transport = .udp
            case "transport=tcp": transport = .tcp
            default: throw CallClientError(.invalidURL, "unknown query \"\(query)\" (only transport=udp|tcp)")
            }
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw CallClientError(.invalidURL, "unclosed IPv6 literal") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw CallClientError(.invalidURL, "text after the IPv6 literal")
            }
        } else if let c = rest.lastIndex(of: ":") {
            host = rest[..<c]
            portText = rest[rest.index(after: c)...]
        } else {
            host = rest
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@") else {
            throw CallClientError(.invalidURL, "no host")
        }
        var port: UInt16 = (scheme == .stuns || scheme == .turns) ? 5349 : 3478
        if let portText {
            guard let p = UInt16(portText), p > 0 else { throw CallClientError(.invalidURL, "bad port") }
            port = p
        }
        if scheme == .stun || scheme == .stuns, transport == .tcp {
            throw CallClientError(.invalidURL, "STUN URLs take no transport")
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.transport = transport
    }
}

/// The STUN and TURN servers of one peer connection, from the `iceServers` the signaling hands out (W3C
/// `RTCIceServer`), with host names resolved to addresses.
public struct ICEServerSet: Hashable, Sendable {
    /// STUN servers (server-reflexive candidates).
    public var stunServers: [TransportAddress] = []
    /// TURN servers with their credentials (relayed candidates).
    public var turnServers: [PeerConnection.TURNServerConfiguration] = []
    /// URLs that were left out, with the reason (TLS schemes, unresolvable hosts, TURN without credentials).
    public var skipped: [String] = []

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
                guard url.scheme == .stun || url.scheme == .turn else {
                    skipped.append("\(text): TLS to STUN/TURN servers is not supported")
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
                        turnServers.append(.init(address: address, transport: url.transport, username: username,
                                                 password: credential))
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

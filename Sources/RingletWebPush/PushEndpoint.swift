import RingletCore

/// A push resource URL (RFC 8030 §5: where the application server POSTs a push message), checked before it is
/// stored or used.
///
/// Accepted: `https://HOST[:PORT]/PATH` with a DNS name or an IP literal as HOST, no user information, no
/// fragment, only printable ASCII, at most ``Policy/maximumLength`` bytes. Refused unless the policy allows
/// them: `http://` (only to a loopback address, for tests on one machine), and IP literals in loopback, private
/// or link-local ranges (a subscription must not make the server POST into its own network).
public struct PushEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// What an endpoint may be.
    public struct Policy: Hashable, Sendable {
        /// Whether `http://` to a loopback address (127.0.0.0/8, `[::1]`, `localhost`) is accepted, and
        /// loopback IP literals over `https://` too. Only `ringlet serve --dev` turns this on. Default false.
        public var allowLoopback: Bool
        /// The longest endpoint accepted, bytes. Default 1024 (the push services' endpoints are 150–400).
        public var maximumLength: Int

        /// The production policy: `https://` only, no loopback, at most 1024 bytes.
        public init(allowLoopback: Bool = false, maximumLength: Int = 1024) {
            self.allowLoopback = allowLoopback
            self.maximumLength = maximumLength
        }
    }

    /// The URL as given (after the checks).
    public let url: String
    /// `https` or `http`, lowercase.
    public let scheme: String
    /// The host, lowercase, without brackets for IPv6.
    public let host: String
    /// The port, or nil for the scheme's default.
    public let port: Int?

    /// Checks `text` against `policy`.
    ///
    /// - Throws: `WebPushError.invalidEndpoint` saying what is wrong.
    public init(_ text: String, policy: Policy = Policy()) throws(WebPushError) {
        func invalid(_ why: String) -> WebPushError { WebPushError(.invalidEndpoint, why) }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw invalid("the endpoint is empty") }
        guard bytes.count <= policy.maximumLength else {
            throw invalid("the endpoint is longer than \(policy.maximumLength) bytes")
        }
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw invalid("the endpoint has a character that is not printable ASCII")
        }
        guard !bytes.contains(UInt8(ascii: "#")) else { throw invalid("the endpoint has a fragment") }
        let lower = text.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") {
            scheme = "https"
        } else if lower.hasPrefix("http://") {
            scheme = "http"
        } else {
            throw invalid("the endpoint is not an https:// URL")
        }
        let rest = bytes.dropFirst(scheme.utf8.count + 3)
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? rest.endIndex
        let authority = Array(rest[rest.startIndex..<authorityEnd])
        guard !authority.contains(UInt8(ascii: "@")) else { throw invalid("the endpoint has user information") }
        let (host, port) = try Self.splitAuthority(authority)
        let ip = IPAddress(host)
        let isLoopback = host == "localhost" || (ip?.isLoopback ?? false)
        if scheme == "http" {
            guard policy.allowLoopback, isLoopback else {
                throw invalid("plain http:// is only accepted to a loopback address in development mode")
            }
        }
        if let ip {
            if isLoopback {
                guard policy.allowLoopback else { throw invalid("the endpoint is a loopback address") }
            } else if ip.isPrivate || ip.isLinkLocal || ip.isUnspecified {
                throw invalid("the endpoint is a private, link-local or unspecified address")
            }
        } else if isLoopback, !policy.allowLoopback {
            throw invalid("the endpoint is a loopback address")
        }
        self.url = text
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Host and port of an authority (`host`, `host:port`, `[v6]`, `[v6]:port`); the host lowercased.
    static func splitAuthority(_ authority: [UInt8]) throws(WebPushError) -> (String, Int?) {
        func invalid(_ why: String) -> WebPushError { WebPushError(.invalidEndpoint, why) }
        var hostBytes: ArraySlice<UInt8>
        var portBytes: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw invalid("an IPv6 host without ]") }
            hostBytes = authority[1..<close]
            let after = authority[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { throw invalid("text after the IPv6 host") }
                portBytes = after.dropFirst()
            }
            guard IPAddress(String(decoding: hostBytes, as: UTF8.self))?.family == .v6 else {
                throw invalid("the bracketed host is not an IPv6 address")
            }
        } else {
            if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
                hostBytes = authority[..<colon]
                portBytes = authority[(colon + 1)...]
            } else {
                hostBytes = authority[...]
            }
            let allowed = hostBytes.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
            guard allowed else { throw invalid("the host has a character other than letters, digits, - and .") }
            guard hostBytes.count <= 253 else { throw invalid("the host is longer than 253 bytes") }
        }
        guard !hostBytes.isEmpty else { throw invalid("the endpoint has no host") }
        var port: Int?
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5,
                  portBytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let value = Int(String(decoding: portBytes, as: UTF8.self)), (1...65_535).contains(value)
            else { throw invalid("the port is not a number from 1 to 65535") }
            port = value
        }
        return (String(decoding: hostBytes, as: UTF8.self).lowercased(), port)
    }

    /// `scheme://host[:port]`, the default port left out: the VAPID audience (RFC 8292 §2, the origin of the push
    /// resource).
    public var origin: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        let defaultPort = scheme == "https" ? 443 : 80
        if let port, port != defaultPort { return "\(scheme)://\(hostText):\(port)" }
        return "\(scheme)://\(hostText)"
    }

    public var description: String { origin + "/…" }
}

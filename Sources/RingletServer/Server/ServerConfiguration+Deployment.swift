import RingletCore

extension ServerConfiguration.HostPort {
    /// Whether the host is a loopback address (127.0.0.0/8, ::1) or `localhost`: reachable from this host only.
    public var isLoopback: Bool { host == "localhost" || IPAddress(host)?.isLoopback == true }

    /// Whether the host is `0.0.0.0` or `::`: every address of that family.
    public var isWildcard: Bool { IPAddress(host)?.isUnspecified == true }
}

extension ServerConfiguration {
    /// The rules of a deployment (docs/deploy.md): TLS settings go together, `--dev` stays on loopback, a
    /// server reachable from a network speaks TLS itself or sits behind a TLS-terminating proxy, and the public
    /// addresses it hands out are well formed.
    func validateDeployment() throws(ServerConfigurationError) {
        if (tlsCertificateFile == nil) != (tlsKeyFile == nil) {
            throw ServerConfigurationError("--tls-cert and --tls-key go together (the certificate chain and its key)")
        }
        guard (1...120).contains(tlsHandshakeTimeoutSeconds) else {
            throw ServerConfigurationError("tlsHandshakeTimeoutSeconds must be from 1 to 120")
        }
        guard (0...63_072_000).contains(hstsMaxAgeSeconds) else {
            throw ServerConfigurationError("hstsMaxAgeSeconds must be from 0 to 63072000")
        }
        if case .address = turnTLSListener, !servesTLS {
            throw ServerConfigurationError("--turn-tls needs a certificate: give --tls-cert and --tls-key")
        }
        for (name, address) in [("turn", turn)] + (turnTLS.map { [("turn-tls", $0)] } ?? []) {
            guard IPAddress(address.host) != nil else {
                throw ServerConfigurationError(
                    "\(name) must be an IP address (0.0.0.0 or :: for every address) and a port: \(address)")
            }
        }
        let binds = [("http", http), ("turn", turn)] + (turnTLS.map { [("turn-tls", $0)] } ?? [])
        if dev, let (name, address) = binds.first(where: { !$0.1.isLoopback }) {
            throw ServerConfigurationError(
                "--dev listens on loopback only (127.0.0.1 or ::1), but \(name) is \(address): development mode makes "
                    + "a demo app and prints its secret and the admin token. Run without --dev to serve a network "
                    + "(docs/deploy.md)")
        }
        if !http.isLoopback, !servesTLS, !behindProxy {
            throw ServerConfigurationError(
                "refusing to serve plain HTTP on \(http), which is not a loopback address: browsers allow camera "
                    + "and microphone only on HTTPS pages, and tokens, secrets and the calls' SDP would cross the "
                    + "network in clear. Give --tls-cert and --tls-key, or --behind-proxy when a TLS-terminating "
                    + "reverse proxy sits in front (docs/deploy.md)")
        }
        if publicBaseURL == nil, behindProxy || !http.isLoopback {
            throw ServerConfigurationError(
                "--public-base-url is required \(behindProxy ? "behind a proxy" : "on \(http)"): the address people "
                    + "reach the server at (e.g. https://ringlet.example.com), used in sign-in links and iceServers")
        }
        if servesTLS || behindProxy, let publicBaseURL, !publicBaseURL.hasPrefix("https://") {
            throw ServerConfigurationError(
                "publicBaseURL must start with https:// when the server is reached over TLS: \(publicBaseURL)")
        }
        if let publicBaseURL, Self.host(ofURL: publicBaseURL) == nil {
            throw ServerConfigurationError("publicBaseURL has no host: \(publicBaseURL)")
        }
        for proxy in trustedProxies {
            guard IPNetwork(proxy) != nil else {
                throw ServerConfigurationError("trusted proxy \"\(proxy)\" is not an IP address or CIDR network")
            }
        }
        if let turnExternalIP {
            guard let ip = IPAddress(turnExternalIP), !ip.isUnspecified else {
                throw ServerConfigurationError("turnExternalIP must be an IP address: \(turnExternalIP)")
            }
        }
        if let turnRelayPorts {
            guard turnRelayPorts.lowerBound >= 1024, turnRelayPorts.upperBound <= 65_535,
                  turnRelayPorts.count >= 2 else {
                throw ServerConfigurationError("turnRelayPorts must be LOW-HIGH within 1024-65535 (two ports at least)")
            }
        }
        if let turnHost, turnHost.isEmpty || turnHost.contains(where: { $0 == "/" || $0 == "?" || $0.isWhitespace }) {
            throw ServerConfigurationError("turnHost must be a host name or IP address: \(turnHost)")
        }
    }

    /// The STUN and TURN URLs every call's `iceServers` lists (RFC 7064, RFC 7065): `stun:H:P`,
    /// `turn:H:P?transport=udp`, `turn:H:P?transport=tcp` and, with TURN over TLS, `turns:T:P?transport=tcp`.
    ///
    /// `H` is ``turnHost``, else ``turnExternalIP``, else the TURN listening IP when it is one address, else the
    /// host of ``effectivePublicBaseURL``; `T` (the name a TLS client checks the certificate against) is
    /// ``turnHost``, else the host of ``effectivePublicBaseURL``. Ports are the listening ones (`turnPort`,
    /// `turnTLSPort` override them when the listeners were bound to port 0).
    public func iceServerURLs(turnPort: Int? = nil, turnTLSPort: Int? = nil) -> (stun: [String], turn: [String]) {
        let publicHost = Self.host(ofURL: effectivePublicBaseURL) ?? "127.0.0.1"
        let host = turnHost ?? turnExternalIP ?? (turn.isWildcard ? publicHost : turn.host)
        let plain = HostPort(host: host, port: turnPort ?? turn.port).description
        var turnURLs = ["turn:\(plain)?transport=udp", "turn:\(plain)?transport=tcp"]
        if let turnTLS {
            let secure = HostPort(host: turnHost ?? publicHost, port: turnTLSPort ?? turnTLS.port).description
            turnURLs.append("turns:\(secure)?transport=tcp")
        }
        return (["stun:\(plain)"], turnURLs)
    }

    /// The host of an `http(s)://host[:port][/…]` URL (an IPv6 literal without brackets), or nil.
    public static func host(ofURL url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        var rest = url[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            let host = rest[rest.index(after: rest.startIndex)..<close]
            return host.isEmpty ? nil : String(host)
        }
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return rest.isEmpty ? nil : String(rest)
    }
}

import Foundation
import RingletCore
import RingletWebPush

/// Everything `ringlet serve` can be told, with documented defaults, validated once (docs/server.md).
///
/// Filled from, highest precedence first: command-line flags, environment variables (`RINGLET_*`), an optional
/// JSON file (`--config FILE` or `RINGLET_CONFIG`), the defaults below. See ``resolve(flags:environment:)``.
public struct ServerConfiguration: Sendable, Hashable {
    /// A `HOST:PORT` pair (`[::1]:8080` for IPv6).
    public struct HostPort: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `HOST:PORT`, `[V6]:PORT` or `:PORT` (host 127.0.0.1).
        public init(parsing text: String) throws(ServerConfigurationError) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                  (0...65_535).contains(port)
            else { throw ServerConfigurationError("\"\(text)\" is not HOST:PORT") }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.host = host.isEmpty ? "127.0.0.1" : host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The folder holding `ringlet.sqlite` (and, with ``dev``, `dev-credentials.json`). Default `./ringlet-data`.
    public var dataDir: String = "./ringlet-data"
    /// Where the store is: nil for the embedded SQLite file in ``dataDir`` (the default), or a `postgres://` URL
    /// (docs/store.md, "PostgreSQL"): `postgres://user@host:5432/db?sslmode=require`, or `?host=/socket/folder`.
    /// The password is best given in `PGPASSWORD`, not in the URL (the URL may be on the command line).
    public var store: String?
    /// Where the HTTP API, `/metrics` and the WebSocket signaling listen. Default `127.0.0.1:8080`.
    public var http = HostPort(host: "127.0.0.1", port: 8080)
    /// Where STUN/TURN listens on UDP and TCP; `0.0.0.0` (or `::`) listens on every address of that family.
    /// Default: the host of ``http`` at port 3478 (so `--http 0.0.0.0:…` alone puts TURN on every address too).
    public var turn: HostPort {
        get { turnOverride ?? HostPort(host: http.host, port: 3478) }
        set { turnOverride = newValue }
    }
    /// ``turn`` when it was set; nil follows ``http``'s host.
    public var turnOverride: HostPort?
    /// Where TURN over TLS (`turns:`, RFC 8656 §3.1) listens, with the certificate of ``tlsCertificateFile``:
    /// see ``TURNTLSListener``. Default ``TURNTLSListener/automatic``.
    public var turnTLSListener = TURNTLSListener.automatic
    /// Where TURN over TLS listens, or nil for none: ``turnTLSListener`` resolved (automatic: with TLS, the host
    /// of ``turn`` at port 5349; without TLS none). When it equals ``http``, TURN over TLS is served beside HTTPS
    /// on that one port (docs/deploy.md, "One address, port 443").
    public var turnTLS: HostPort? {
        switch turnTLSListener {
        case .off: nil
        case .address(let address): address
        case .automatic: servesTLS ? HostPort(host: turn.host, port: 5349) : nil
        }
    }
    /// The public IP of this host when it sits behind 1:1 NAT (a cloud VM): TURN puts it in
    /// XOR-RELAYED-ADDRESS and `iceServers` name it (unless ``turnHost``). Default none (the local address).
    public var turnExternalIP: String?
    /// The host name or IP that `iceServers` URLs name. Default: ``turnExternalIP``, else the TURN listening IP
    /// when it is one address, else the host of ``effectivePublicBaseURL``. `turns:` URLs name the host of
    /// ``effectivePublicBaseURL`` unless this is set (a TLS client checks the certificate against it).
    public var turnHost: String?
    /// The UDP ports relay sockets are taken from, e.g. 49152…65535 (a firewall rule can open just these).
    /// Default none: the kernel's ephemeral ports.
    public var turnRelayPorts: ClosedRange<Int>?
    /// The PEM certificate chain (leaf first) that HTTPS, WSS and TURN over TLS present. Default none.
    public var tlsCertificateFile: String?
    /// The PEM private key of ``tlsCertificateFile``. Required with it.
    public var tlsKeyFile: String?
    /// How long a client may take to finish its TLS handshake before the connection is closed. Default 10 s,
    /// 1...120.
    public var tlsHandshakeTimeoutSeconds = 10
    /// `max-age` of the `Strict-Transport-Security` header on HTTPS answers. Default 31536000 (one year);
    /// 0 sends none.
    public var hstsMaxAgeSeconds = 31_536_000
    /// The server sits behind a TLS-terminating reverse proxy: it may then listen on a non-loopback address
    /// without TLS, and it believes `X-Forwarded-For` / `X-Forwarded-Proto` from ``trustedProxies`` only.
    /// Default false.
    public var behindProxy = false
    /// The addresses (IPs or CIDR networks) of the reverse proxies whose `X-Forwarded-*` headers are believed,
    /// with ``behindProxy``. Default `127.0.0.1` and `::1`.
    public var trustedProxies: [String] = ["127.0.0.1", "::1"]
    /// The TURN REST shared secret. Required unless ``dev`` (then one is generated and kept in the store) or
    /// ``turnSecretFile`` gives it.
    public var turnSecret: String?
    /// A file holding the TURN REST shared secret (its first line), so that the secret is not on the command
    /// line, where every user can read it in /proc. Read by ``resolve(flags:environment:)``.
    public var turnSecretFile: String?
    /// Whether TURN may relay to loopback peers (tests on one machine); the server's own service ports stay
    /// refused. Default false.
    public var allowLoopbackPeers = false
    /// Whether TURN may relay to private (RFC 1918, 100.64/10, fc00::/7) and link-local peers. The cloud
    /// metadata address 169.254.169.254 and the server's own addresses stay refused. Default false.
    public var allowPrivatePeers = false
    /// Where `/metrics` is served on its own, without credentials (an address only the monitoring can reach).
    /// Default none: `/metrics` is served on ``http`` and needs the admin token.
    public var metrics: HostPort?
    /// Development mode: a demo app, and the admin token printed at every start. Default false.
    public var dev = false
    /// How long a call rings before it times out, seconds (the seed's 60 s). Default 60, 1...3600.
    public var ringTimeoutSeconds = 60
    /// The address people reach the server at (sign-in links, the web app). Default `http://<http>`, with an
    /// unspecified host (0.0.0.0, ::) shown as 127.0.0.1.
    public var publicBaseURL: String?
    /// The largest HTTP request body, bytes. Default 65536 (64 KiB), 1024...16 MiB.
    public var maxBodySize = 64 * 1024
    /// Resource limits, rate limits and retention (docs/security.md).
    public var limits = ServerLimits()
    /// A fixed admin token (`rla_…`); when set its hash replaces the stored one at start. Default none: the
    /// server generates one on first start (docs/server.md, "Admin token").
    public var adminToken: String?
    /// The VAPID `sub` claim of Web Push (`mailto:…` or `https://…`, docs/push.md): how push services reach the
    /// operator. Required unless ``dev`` (then ``developmentVAPIDSubject``).
    public var vapidSubject: String?

    /// The subject `--dev` uses when none is given.
    public static let developmentVAPIDSubject = "mailto:ringlet-dev@example.com"

    /// ``vapidSubject``, or in dev mode ``developmentVAPIDSubject``; nil only for an invalid configuration.
    public var effectiveVAPIDSubject: VAPIDSubject? {
        try? VAPIDSubject(vapidSubject ?? (dev ? Self.developmentVAPIDSubject : ""))
    }

    /// The defaults.
    public init() {}

    /// The SQLite file in ``dataDir``.
    public var databasePath: String { (dataDir as NSString).appendingPathComponent("ringlet.sqlite") }

    /// Whether ``http`` serves HTTPS and WSS (a certificate is configured).
    public var servesTLS: Bool { tlsCertificateFile != nil }

    /// ``publicBaseURL`` (without a trailing slash) or the default made from ``http``: `https://` with TLS,
    /// else `http://`.
    public var effectivePublicBaseURL: String {
        if var publicBaseURL {
            while publicBaseURL.hasSuffix("/") { publicBaseURL.removeLast() }
            return publicBaseURL
        }
        let host = ["0.0.0.0", "::", ""].contains(http.host) ? "127.0.0.1" : http.host
        return "\(servesTLS ? "https" : "http")://\(HostPort(host: host, port: http.port))"
    }

    /// Which Web Push endpoints subscriptions may name: https only, and in dev mode also http:// to a loopback
    /// address (tests with a local stand-in push service).
    public var pushEndpointPolicy: PushEndpoint.Policy { PushEndpoint.Policy(allowLoopback: dev) }

    /// ``turn`` as an address to listen on: an IP literal (0.0.0.0 or :: for every address) and a port (not 0).
    public func turnAddress() throws(ServerConfigurationError) -> TransportAddress {
        guard let ip = IPAddress(turn.host), let port = UInt16(exactly: turn.port), port != 0 else {
            throw ServerConfigurationError("turn must be an IP address (0.0.0.0 or :: for every address) and a port: \(turn)")
        }
        return TransportAddress(ip, port)
    }

    /// Checks every rule; the server calls it once before starting.
    public func validate() throws(ServerConfigurationError) {
        guard !dataDir.isEmpty else { throw ServerConfigurationError("dataDir is empty") }
        if let store, !(store.hasPrefix("postgres://") || store.hasPrefix("postgresql://")) {
            throw ServerConfigurationError("store must be a postgres:// URL (leave it out for SQLite in dataDir)")
        }
        guard (1...3600).contains(ringTimeoutSeconds) else {
            throw ServerConfigurationError("ringTimeoutSeconds must be from 1 to 3600")
        }
        guard (1024...16 * 1024 * 1024).contains(maxBodySize) else {
            throw ServerConfigurationError("maxBodySize must be from 1024 to 16777216")
        }
        if let turnSecret, turnSecret.isEmpty { throw ServerConfigurationError("turnSecret is empty") }
        _ = try turnAddress()
        try limits.validate()
        if turnSecret == nil, !dev { throw ServerConfigurationError("--turn-secret or --turn-secret-file is required (or --dev)") }
        if let adminToken, !adminToken.hasPrefix("rla_") || adminToken.utf8.count < 20 {
            throw ServerConfigurationError("adminToken must start with rla_ and be at least 20 characters")
        }
        if let publicBaseURL, !(publicBaseURL.hasPrefix("http://") || publicBaseURL.hasPrefix("https://")) {
            throw ServerConfigurationError("publicBaseURL must start with http:// or https://")
        }
        // The deployment's rules first: where the server listens and how it is reached decide the rest.
        try validateDeployment()
        if let vapidSubject {
            do {
                _ = try VAPIDSubject(vapidSubject)
            } catch {
                throw ServerConfigurationError("--vapid-subject: \(error.message)")
            }
        } else if !dev {
            throw ServerConfigurationError(
                "--vapid-subject is required (or --dev): mailto:you@your-domain or https://your-domain, "
                    + "the contact Web Push services see (Apple's refuses others)")
        }
    }
}

/// Where TURN over TLS listens (`--turn-tls HOST:PORT|off`).
public enum TURNTLSListener: Sendable, Hashable {
    /// With a certificate, the TURN host at port 5349; without one, none.
    case automatic
    /// None, even with a certificate.
    case off
    /// This address (a certificate is required).
    case address(ServerConfiguration.HostPort)
}

/// A configuration that cannot be used: what is wrong.
public struct ServerConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "configuration: \(message)" }
}

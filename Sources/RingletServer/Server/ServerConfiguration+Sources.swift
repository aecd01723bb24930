import Foundation

extension ServerConfiguration {
    /// Values from one source (flags, environment or file); nil means "not given here".
    ///
    /// The JSON file uses these field names: `{"dataDir": "…", "http": "127.0.0.1:8080", "turn": "…",
    /// "turnSecret": "…", "turnSecretFile": "…", "allowLoopbackPeers": false, "allowPrivatePeers": false,
    /// "metrics": "127.0.0.1:9090", "dev": false, "ringTimeoutSeconds": 60, "publicBaseURL": "…",
    /// "maxBodySize": 65536, "adminToken": "rla_…", "turnUserQuota": 16, "vapidSubject": "mailto:…",
    /// "limits": {…}, "tlsCert": "/etc/…/fullchain.pem", "tlsKey": "/etc/…/privkey.pem", "turnTLS": "0.0.0.0:5349"
    /// (or "off"), "turnExternalIP": "203.0.113.7", "turnHost": "turn.example.com", "turnRelayPorts": "49152-65535",
    /// "behindProxy": false, "trustedProxies": ["127.0.0.1", "::1"], "tlsHandshakeTimeoutSeconds": 10,
    /// "hstsMaxAgeSeconds": 31536000, "store": "postgres://…"}` (`limits`: any field of ``ServerLimits``; absent ones
    /// keep their defaults).
    public struct Overrides: Codable, Sendable, Hashable {
        public var dataDir: String?
        public var http: String?
        public var turn: String?
        public var turnSecret: String?
        public var allowLoopbackPeers: Bool?
        public var dev: Bool?
        public var ringTimeoutSeconds: Int?
        public var publicBaseURL: String?
        public var maxBodySize: Int?
        public var adminToken: String?
        public var turnSecretFile: String?
        public var allowPrivatePeers: Bool?
        public var metrics: String?
        /// ``ServerLimits/turnUserQuota``.
        public var turnUserQuota: Int?
        /// The file's `limits` object (flags and environment set single limits only).
        public var limits: ServerLimits?
        public var vapidSubject: String?
        public var tlsCert: String?
        public var tlsKey: String?
        /// `HOST:PORT` or `off`.
        public var turnTLS: String?
        public var turnExternalIP: String?
        public var turnHost: String?
        /// `LOW-HIGH`.
        public var turnRelayPorts: String?
        public var behindProxy: Bool?
        public var trustedProxies: [String]?
        public var tlsHandshakeTimeoutSeconds: Int?
        public var hstsMaxAgeSeconds: Int?
        /// The JSON file to read (flags and environment only).
        public var configFile: String?
        /// ``ServerConfiguration/store``.
        public var store: String?

        public init(
            dataDir: String? = nil, http: String? = nil, turn: String? = nil, turnSecret: String? = nil,
            allowLoopbackPeers: Bool? = nil, dev: Bool? = nil, ringTimeoutSeconds: Int? = nil,
            publicBaseURL: String? = nil, maxBodySize: Int? = nil, adminToken: String? = nil, configFile: String? = nil,
            turnSecretFile: String? = nil, allowPrivatePeers: Bool? = nil, metrics: String? = nil,
            turnUserQuota: Int? = nil, limits: ServerLimits? = nil, vapidSubject: String? = nil,
            tlsCert: String? = nil, tlsKey: String? = nil, turnTLS: String? = nil, turnExternalIP: String? = nil,
            turnHost: String? = nil, turnRelayPorts: String? = nil, behindProxy: Bool? = nil,
            trustedProxies: [String]? = nil, tlsHandshakeTimeoutSeconds: Int? = nil, hstsMaxAgeSeconds: Int? = nil,
            store: String? = nil
        ) {
            self.store = store
            self.turnSecretFile = turnSecretFile
            self.allowPrivatePeers = allowPrivatePeers
            self.metrics = metrics
            self.turnUserQuota = turnUserQuota
            self.limits = limits
            self.vapidSubject = vapidSubject
            self.dataDir = dataDir
            self.http = http
            self.turn = turn
            self.turnSecret = turnSecret
            self.allowLoopbackPeers = allowLoopbackPeers
            self.dev = dev
            self.ringTimeoutSeconds = ringTimeoutSeconds
            self.publicBaseURL = publicBaseURL
            self.maxBodySize = maxBodySize
            self.adminToken = adminToken
            self.tlsCert = tlsCert
            self.tlsKey = tlsKey
            self.turnTLS = turnTLS
            self.turnExternalIP = turnExternalIP
            self.turnHost = turnHost
            self.turnRelayPorts = turnRelayPorts
            self.behindProxy = behindProxy
            self.trustedProxies = trustedProxies
            self.tlsHandshakeTimeoutSeconds = tlsHandshakeTimeoutSeconds
            self.hstsMaxAgeSeconds = hstsMaxAgeSeconds
            self.configFile = configFile
        }

        /// The `RINGLET_*` variables: `RINGLET_DATA_DIR`, `RINGLET_HTTP`, `RINGLET_TURN`, `RINGLET_TURN_SECRET`,
        /// `RINGLET_ALLOW_LOOPBACK_PEERS`, `RINGLET_DEV` (`1`/`true`/`0`/`false`), `RINGLET_RING_TIMEOUT`,
        /// `RINGLET_PUBLIC_BASE_URL`, `RINGLET_MAX_BODY_SIZE`, `RINGLET_ADMIN_TOKEN`, `RINGLET_CONFIG`,
        /// `RINGLET_TURN_SECRET_FILE`, `RINGLET_ALLOW_PRIVATE_PEERS`, `RINGLET_METRICS`, `RINGLET_TURN_USER_QUOTA`,
        /// `RINGLET_VAPID_SUBJECT`, `RINGLET_TLS_CERT`, `RINGLET_TLS_KEY`, `RINGLET_TURN_TLS`,
        /// `RINGLET_TURN_EXTERNAL_IP`, `RINGLET_TURN_HOST`, `RINGLET_TURN_RELAY_PORTS`, `RINGLET_BEHIND_PROXY`,
        /// `RINGLET_TRUSTED_PROXIES` (comma-separated), `RINGLET_TLS_HANDSHAKE_TIMEOUT`, `RINGLET_HSTS_MAX_AGE`,
        /// `RINGLET_STORE`.
        public init(environment: [String: String]) throws(ServerConfigurationError) {
            func bool(_ key: String) throws(ServerConfigurationError) -> Bool? {
                guard let text = environment[key] else { return nil }
                switch text.lowercased() {
                case "1", "true", "yes": return true
                case "0", "false", "no", "": return false
                default: throw ServerConfigurationError("\(key) must be true or false")
                }
            }
            func int(_ key: String) throws(ServerConfigurationError) -> Int? {
                guard let text = environment[key] else { return nil }
                guard let value = Int(text) else { throw ServerConfigurationError("\(key) must be an integer") }
                return value
            }
            self.init(
                dataDir: environment["RINGLET_DATA_DIR"], http: environment["RINGLET_HTTP"],
                turn: environment["RINGLET_TURN"], turnSecret: environment["RINGLET_TURN_SECRET"],
                allowLoopbackPeers: try bool("RINGLET_ALLOW_LOOPBACK_PEERS"), dev: try bool("RINGLET_DEV"),
                ringTimeoutSeconds: try int("RINGLET_RING_TIMEOUT"), publicBaseURL: environment["RINGLET_PUBLIC_BASE_URL"],
                maxBodySize: try int("RINGLET_MAX_BODY_SIZE"), adminToken: environment["RINGLET_ADMIN_TOKEN"],
                configFile: environment["RINGLET_CONFIG"], turnSecretFile: environment["RINGLET_TURN_SECRET_FILE"],
                allowPrivatePeers: try bool("RINGLET_ALLOW_PRIVATE_PEERS"), metrics: environment["RINGLET_METRICS"],
                turnUserQuota: try int("RINGLET_TURN_USER_QUOTA"), vapidSubject: environment["RINGLET_VAPID_SUBJECT"],
                tlsCert: environment["RINGLET_TLS_CERT"], tlsKey: environment["RINGLET_TLS_KEY"],
                turnTLS: environment["RINGLET_TURN_TLS"], turnExternalIP: environment["RINGLET_TURN_EXTERNAL_IP"],
                turnHost: environment["RINGLET_TURN_HOST"], turnRelayPorts: environment["RINGLET_TURN_RELAY_PORTS"],
                behindProxy: try bool("RINGLET_BEHIND_PROXY"),
                trustedProxies: environment["RINGLET_TRUSTED_PROXIES"].map {
                    $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                },
                tlsHandshakeTimeoutSeconds: try int("RINGLET_TLS_HANDSHAKE_TIMEOUT"),
                hstsMaxAgeSeconds: try int("RINGLET_HSTS_MAX_AGE"),
                store: environment["RINGLET_STORE"]
            )
        }

        /// Reads a JSON configuration file.
        public init(file path: String) throws(ServerConfigurationError) {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw ServerConfigurationError("cannot read \(path)")
            }
            do {
                self = try JSONDecoder().decode(Overrides.self, from: data)
            } catch {
                throw ServerConfigurationError("\(path) is not a valid configuration file (JSON): \(error)")
            }
        }

        /// These values over `base`: each one given here wins.
        func applied(to base: ServerConfiguration) throws(ServerConfigurationError) -> ServerConfiguration {
            var result = base
            if let dataDir { result.dataDir = dataDir }
            if let http { result.http = try HostPort(parsing: http) }
            if let turn { result.turn = try HostPort(parsing: turn) }
            if let turnSecret { result.turnSecret = turnSecret }
            if let allowLoopbackPeers { result.allowLoopbackPeers = allowLoopbackPeers }
            if let dev { result.dev = dev }
            if let ringTimeoutSeconds { result.ringTimeoutSeconds = ringTimeoutSeconds }
            if let publicBaseURL { result.publicBaseURL = publicBaseURL }
            if let maxBodySize { result.maxBodySize = maxBodySize }
            if let adminToken { result.adminToken = adminToken }
            if let turnSecretFile {
                result.turnSecretFile = turnSecretFile
                if turnSecret == nil { result.turnSecret = nil }
            }
            if let allowPrivatePeers { result.allowPrivatePeers = allowPrivatePeers }
            if let metrics { result.metrics = try HostPort(parsing: metrics) }
            if let limits { result.limits = limits }
            if let turnUserQuota { result.limits.turnUserQuota = turnUserQuota }
            if let vapidSubject { result.vapidSubject = vapidSubject }
            if let tlsCert { result.tlsCertificateFile = tlsCert }
            if let tlsKey { result.tlsKeyFile = tlsKey }
            if let turnTLS {
                result.turnTLSListener = turnTLS.lowercased() == "off" ? .off : .address(try HostPort(parsing: turnTLS))
            }
            if let turnExternalIP { result.turnExternalIP = turnExternalIP }
            if let turnHost { result.turnHost = turnHost }
            if let turnRelayPorts { result.turnRelayPorts = try Self.portRange(turnRelayPorts) }
            if let behindProxy { result.behindProxy = behindProxy }
            if let trustedProxies { result.trustedProxies = trustedProxies }
            if let tlsHandshakeTimeoutSeconds { result.tlsHandshakeTimeoutSeconds = tlsHandshakeTimeoutSeconds }
            if let hstsMaxAgeSeconds { result.hstsMaxAgeSeconds = hstsMaxAgeSeconds }
            if let store { result.store = store }
            return result
        }

        /// `LOW-HIGH`.
        static func portRange(_ text: String) throws(ServerConfigurationError) -> ClosedRange<Int> {
            let parts = text.split(separator: "-", maxSplits: 1)
            guard parts.count == 2, let low = Int(parts[0].trimmingCharacters(in: .whitespaces)),
                  let high = Int(parts[1].trimmingCharacters(in: .whitespaces)), low <= high
            else { throw ServerConfigurationError("\"\(text)\" is not a port range LOW-HIGH") }
            return low...high
        }
    }

    /// The configuration from flags over environment over file over defaults, validated.
    ///
    /// The file is the flags' `configFile`, else the environment's `RINGLET_CONFIG`, else none.
    public static func resolve(flags: Overrides, environment: [String: String]) throws(ServerConfigurationError)
        -> ServerConfiguration
    {
        let env = try Overrides(environment: environment)
        var configuration = ServerConfiguration()
        if let path = flags.configFile ?? env.configFile {
            configuration = try Overrides(file: path).applied(to: configuration)
        }
        configuration = try env.applied(to: configuration)
        configuration = try flags.applied(to: configuration)
        if let path = configuration.turnSecretFile, configuration.turnSecret == nil {
            configuration.turnSecret = try readSecretFile(path)
        }
        try configuration.validate()
        return configuration
    }

    /// The first line of a secret file, without its line end; refused when empty or unreadable.
    static func readSecretFile(_ path: String) throws(ServerConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerConfigurationError("cannot read the TURN secret file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let secret = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard !secret.isEmpty else { throw ServerConfigurationError("the TURN secret file \(path) is empty") }
        return secret
    }

    /// The API's settings from this configuration.
    public var apiConfiguration: APIRoutes.Configuration {
        var configuration = APIRoutes.Configuration(maxBodySize: maxBodySize, publicBaseURL: effectivePublicBaseURL)
        configuration.ticketMaxUsers = limits.ticketMaxUsers
        configuration.signInCodeLifetimeMs = Int64(limits.signInCodeSeconds) * 1000
        return configuration
    }
}

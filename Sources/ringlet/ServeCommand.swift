import ArgumentParser
import Foundation
import Logging
import NIOCore
import RingletServer
import RingletStore

/// `ringlet serve`: the cloud service (docs/server.md).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the cloud service: HTTP API, WebSocket signaling, STUN/TURN, metrics.",
        discussion: """
            Settings come from flags, then RINGLET_* environment variables, then the JSON file given by --config \
            (or RINGLET_CONFIG), then defaults (docs/server.md). SIGINT or SIGTERM stops it gracefully.
            """
    )

    @Option(name: .customLong("data-dir"), help: "The data folder (ringlet.sqlite). Default ./ringlet-data.")
    var dataDir: String?
    @Option(help: "A postgres:// URL to keep everything in PostgreSQL (password in PGPASSWORD). Default: SQLite in --data-dir.")
    var store: String?
    @Option(help: "HOST:PORT for HTTP and WebSocket. Default 127.0.0.1:8080.")
    var http: String?
    @Option(help: "HOST:PORT for STUN/TURN over UDP and TCP; 0.0.0.0 for every address. Default: the --http host, port 3478.")
    var turn: String?
    @Option(name: .customLong("turn-secret"),
            help: "The TURN REST shared secret (visible to other users in /proc: prefer --turn-secret-file).")
    var turnSecret: String?
    @Option(name: .customLong("turn-secret-file"), help: "A file whose first line is the TURN REST shared secret.")
    var turnSecretFile: String?
    @Flag(name: .customLong("allow-loopback-peers"),
          help: "Let TURN relay to loopback addresses (tests on one machine); the server's own ports stay refused.")
    var allowLoopbackPeers = false
    @Flag(name: .customLong("allow-private-peers"),
          help: "Let TURN relay to private and link-local addresses (the cloud metadata address stays refused).")
    var allowPrivatePeers = false
    @Option(name: .customLong("turn-user-quota"), help: "TURN allocations one user may hold at once. Default 16.")
    var turnUserQuota: Int?
    @Option(help: "HOST:PORT to serve /metrics on, without credentials. Default: /metrics on --http, admin token required.")
    var metrics: String?
    @Flag(help: "Development mode: a demo app; the admin token printed at every start.")
    var dev = false
    @Option(help: "A JSON configuration file.")
    var config: String?
    @Option(name: .customLong("ring-timeout"), help: "Seconds a call rings before it times out. Default 60.")
    var ringTimeout: Int?
    @Option(name: .customLong("vapid-subject"),
            help: "Web Push contact: mailto:you@your-domain or https://your-domain (required unless --dev).")
    var vapidSubject: String?
    @Option(name: .customLong("public-base-url"),
            help: "The address people reach the server at, e.g. https://ringlet.example.com (required off loopback).")
    var publicBaseURL: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (leaf first): serve HTTPS, WSS and TURN over TLS.")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?
    @Option(name: .customLong("turn-tls"),
            help: "HOST:PORT for TURN over TLS (turns:), or off. Default with a certificate: the TURN host, port 5349; the --http address shares that port.")
    var turnTLS: String?
    @Option(name: .customLong("turn-external-ip"), help: "The public IP behind 1:1 NAT, for relayed addresses and iceServers.")
    var turnExternalIP: String?
    @Option(name: .customLong("turn-host"), help: "The host name iceServers URLs name. Default: see docs/deploy.md.")
    var turnHost: String?
    @Option(name: .customLong("turn-relay-ports"), help: "LOW-HIGH: the UDP ports relays use. Default: ephemeral.")
    var turnRelayPorts: String?
    @Flag(name: .customLong("behind-proxy"),
          help: "A TLS-terminating reverse proxy sits in front: plain HTTP is allowed off loopback, and X-Forwarded-For/Proto are believed from --trusted-proxy addresses.")
    var behindProxy = false
    @Option(name: .customLong("trusted-proxy"),
            help: "An address or CIDR network of a trusted reverse proxy (repeatable). Default 127.0.0.1 and ::1.")
    var trustedProxy: [String] = []

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
            return handler
        }
        let logger = Logger(label: "ringlet.serve")
        let flags = ServerConfiguration.Overrides(
            dataDir: dataDir, http: http, turn: turn, turnSecret: turnSecret,
            allowLoopbackPeers: allowLoopbackPeers ? true : nil, dev: dev ? true : nil, ringTimeoutSeconds: ringTimeout,
            publicBaseURL: publicBaseURL, configFile: config, turnSecretFile: turnSecretFile,
            allowPrivatePeers: allowPrivatePeers ? true : nil, metrics: metrics, turnUserQuota: turnUserQuota, vapidSubject: vapidSubject,
            tlsCert: tlsCert, tlsKey: tlsKey, turnTLS: turnTLS, turnExternalIP: turnExternalIP, turnHost: turnHost,
            turnRelayPorts: turnRelayPorts, behindProxy: behindProxy ? true : nil,
            trustedProxies: trustedProxy.isEmpty ? nil : trustedProxy, store: store
        )
        if turnSecret != nil {
            logger.warning("--turn-secret on the command line is visible to every user of this machine; use --turn-secret-file")
        }
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        try ServerBootstrap.prepareDataDirectory(configuration)
        let store: any Store
        // PostgreSQL's connection pool runs beside the server's service group and stops after it, so that the
        // writes the signaling hub makes while it shuts down still reach the database.
        var pool: Task<Void, Never>?
        defer { pool?.cancel() }
        if let url = configuration.store {
            let postgres = try PostgresStore(url: url, logger: Logger(label: "ringlet.store"))
            pool = Task { await postgres.run() }
            try await postgres.migrate()
            store = postgres
        } else {
            store = try SQLiteStore(path: configuration.databasePath)
        }
        let migrations = try await store.appliedMigrations().joined(separator: ",")
        logger.info("store", metadata: ["store": "\(store.summary)", "migrations": "\(migrations)"])
        let identifiers = Identifiers.system
        let now = Int64(Date().timeIntervalSince1970 * 1000)

        // Secrets are printed only once every setting was accepted (a refused one says why and prints none).
        var secrets: [String] = []
        switch try await ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: identifiers) {
        case .generated(let token): secrets.append(try ServerBootstrap.revealAdminToken(token, configuration: configuration))
        case .dev(let token): secrets.append("admin token: \(token)")
        case .configured, .existing: break
        }
        let interrupted = try await ServerBootstrap.closeInterruptedCalls(store: store, now: now)
        if interrupted > 0 {
            logger.warning("closed calls left open by an earlier crash", metadata: ["calls": "\(interrupted)", "outcome": "interrupted"])
        }
        var demoAppID: String?
        var demoDevice: String?
        if configuration.dev,
           let demo = try await ServerBootstrap.ensureDemoApp(
               store: store, configuration: configuration, identifiers: identifiers, now: now)
        {
            secrets.append("demo app: id=\(demo.app.id) secret=\(demo.secret) model=\(demo.model.id)")
            demoAppID = demo.app.id
            demoDevice = Self.demoDeviceLine(configuration)
        }
        let turnSecret = try await ServerBootstrap.turnSecret(store: store, configuration: configuration, identifiers: identifiers)

        let vapidKey = try await ServerBootstrap.vapidKey(store: store)
        let server: RingletCloud
        do {
            server = try RingletCloud(configuration: configuration, store: store, turnSecret: turnSecret, logger: logger,
                                      devAppID: demoAppID, vapidKey: vapidKey)
        } catch {
            throw ValidationError(error.description)
        }
        logger.info("limits", metadata: ["budget": "\(server.descriptorBudget)"])
        if server.descriptorBudget.descriptorLimit < DescriptorBudget.recommendedOpenFiles {
            logger.warning("""
                open files limit is \(server.descriptorBudget.descriptorLimit): every device and browser session, \
                TURN relay and TURN TCP/TLS connection holds one; raise it to \(DescriptorBudget.recommendedOpenFiles) \
                or more (LimitNOFILE in contrib/systemd/ringlet.service, docs/deploy.md)
                """)
        } else {
            logger.info("open files limit \(server.descriptorBudget.descriptorLimit)")
        }
        if let certificate = server.tls?.certificate {
            for warning in certificate.warnings(host: ServerConfiguration.host(ofURL: configuration.effectivePublicBaseURL)) {
                logger.warning("\(warning)")
            }
        }
        for line in secrets { say(line) }
        let base = configuration.effectivePublicBaseURL
        let metricsAddress = configuration.metrics
        let scheme = configuration.servesTLS ? "https" : "http"
        let demoLine = demoDevice
        try await server.run { channel in
            let port = channel.localAddress?.port ?? configuration.http.port
            say("listening on \(scheme)://\(ServerConfiguration.HostPort(host: configuration.http.host, port: port))")
            say("STUN/TURN on udp and tcp \(server.turnAddress)")
            if let metricsAddress { say("metrics on http://\(metricsAddress)/metrics") }
            if let tls = server.turnTLSAddress { say("TURN over TLS on \(tls)") }
            say("web app: \(base)/app/")
            say("API: \(base)/v1/ (OpenAPI document: \(base)/v1/openapi.yaml)")
            if let demoLine { say("demo device (in another terminal, next to this folder): \(demoLine)") }
        }
        say("stopped")
    }
}

extension Serve {
    /// The SN of the demo device `serve --dev` prints a command line for.
    static let demoSN = "DOOR-1"

    /// A ready `ringlet device` command for a demo device of the dev server, to run in the same folder: the
    /// device takes the server, app and model from the data folder's `dev-credentials.json`, and its ticket is
    /// issued when the line runs (docs/quickstart.md).
    static func demoDeviceLine(_ configuration: ServerConfiguration) -> String {
        let folder = configuration.dataDir == ServerConfiguration().dataDir ? ""
            : " --data-dir \(shellQuoted(configuration.dataDir))"
        return "ringlet device\(folder.replacingOccurrences(of: "--data-dir", with: "--dev-data-dir")) --sn \(demoSN)"
            + " --ticket \"$(ringlet admin ticket issue\(folder) --sn \(demoSN) --name 'Front door' --field ticket)\""
    }

    /// `text` quoted for a POSIX shell when it needs it.
    static func shellQuoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@".contains($0) }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Prints a line to standard output at once (tests and scripts read it while the server runs).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

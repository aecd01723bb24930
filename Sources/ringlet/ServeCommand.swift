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
    @Option(help: "HOST:PORT for STUN/TURN over UDP and TCP. Default 127.0.0.1:3478.")
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
            configFile: config, turnSecretFile: turnSecretFile, allowPrivatePeers: allowPrivatePeers ? true : nil,
            metrics: metrics, turnUserQuota: turnUserQuota, vapidSubject: vapidSubject, store: store
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

        switch try await ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: identifiers) {
        case .generated(let token): say(try ServerBootstrap.revealAdminToken(token, configuration: configuration))
        case .dev(let token): say("admin token: \(token)")
        case .configured, .existing: break
        }
        let interrupted = try await ServerBootstrap.closeInterruptedCalls(store: store, now: now)
        if interrupted > 0 {
            logger.warning("closed calls left open by an earlier crash", metadata: ["calls": "\(interrupted)", "outcome": "interrupted"])
        }
        var demoAppID: String?
        if configuration.dev,
           let demo = try await ServerBootstrap.ensureDemoApp(
               store: store, configuration: configuration, identifiers: identifiers, now: now)
        {
            say("demo app: id=\(demo.app.id) secret=\(demo.secret) model=\(demo.model.id)")
            demoAppID = demo.app.id
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
        let dev = configuration.dev
        let base = configuration.effectivePublicBaseURL
        let metricsAddress = configuration.metrics
        try await server.run { channel in
            let port = channel.localAddress?.port ?? configuration.http.port
            say("listening on http://\(ServerConfiguration.HostPort(host: configuration.http.host, port: port))")
            say("STUN/TURN on udp and tcp \(server.turnAddress)")
            if let metricsAddress { say("metrics on http://\(metricsAddress)/metrics") }
            if dev { say("web app: \(base)/app/") }
        }
        say("stopped")
    }
}

/// Prints a line to standard output at once (tests and scripts read it while the server runs).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

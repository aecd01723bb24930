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
    @Option(help: "HOST:PORT for HTTP and WebSocket. Default 127.0.0.1:8080.")
    var http: String?
    @Option(help: "HOST:PORT for STUN/TURN over UDP and TCP. Default 127.0.0.1:3478.")
    var turn: String?
    @Option(name: .customLong("turn-secret"), help: "The TURN REST shared secret (required unless --dev).")
    var turnSecret: String?
    @Flag(name: .customLong("allow-loopback-peers"), help: "Let TURN relay to loopback and private addresses.")
    var allowLoopbackPeers = false
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
            configFile: config, vapidSubject: vapidSubject
        )
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        try ServerBootstrap.prepareDataDirectory(configuration)
        let store = try SQLiteStore(path: configuration.databasePath)
        let identifiers = Identifiers.system
        let now = Int64(Date().timeIntervalSince1970 * 1000)

        switch try ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: identifiers) {
        case .generated(let token): say("admin token (shown once, keep it): \(token)")
        case .dev(let token): say("admin token: \(token)")
        case .configured, .existing: break
        }
        var demoAppID: String?
        if configuration.dev,
           let demo = try ServerBootstrap.ensureDemoApp(
               store: store, configuration: configuration, identifiers: identifiers, now: now)
        {
            say("demo app: id=\(demo.app.id) secret=\(demo.secret) model=\(demo.model.id)")
            demoAppID = demo.app.id
        }
        let turnSecret = try ServerBootstrap.turnSecret(store: store, configuration: configuration, identifiers: identifiers)

        let vapidKey = try ServerBootstrap.vapidKey(store: store)
        let server: RingletCloud
        do {
            server = try RingletCloud(configuration: configuration, store: store, turnSecret: turnSecret, logger: logger,
                                      devAppID: demoAppID, vapidKey: vapidKey)
        } catch {
            throw ValidationError(error.description)
        }
        let dev = configuration.dev
        let base = configuration.effectivePublicBaseURL
        try await server.run { channel in
            let port = channel.localAddress?.port ?? configuration.http.port
            say("listening on http://\(ServerConfiguration.HostPort(host: configuration.http.host, port: port))")
            say("STUN/TURN on udp and tcp \(server.turnAddress)")
            if dev { say("web app: \(base)/app/") }
        }
        say("stopped")
    }
}

/// Prints a line to standard output at once (tests and scripts read it while the server runs).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

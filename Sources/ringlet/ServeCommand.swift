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
            publicBaseURL: publicBaseURL, tlsCert: tlsCert, tlsKey: tlsKey, turnTLS: turnTLS,
            turnExternalIP: turnExternalIP, turnHost: turnHost, turnRelayPorts: turnRelayPorts,
            behindProxy: behindProxy ? true : nil, trustedProxies: trustedProxy.isEmpty ? nil : trustedProxy,
            configFile: config
        )
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        let files = ServerBootstrap.raiseOpenFilesLimit()
        if files.soft < ServerBootstrap.recommendedOpenFiles {
            logger.warning("""
                open files limit is \(files.soft): every device and browser session, TURN relay and TURN TCP/TLS \
                connection holds one; raise it to \(ServerBootstrap.recommendedOpenFiles) or more (LimitNOFILE in \
                contrib/systemd/ringlet.service, docs/deploy.md)
                """)
        } else {
            logger.info("open files limit \(files.soft)")
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

        let server: RingletCloud
        do {
            server = try RingletCloud(configuration: configuration, store: store, turnSecret: turnSecret, logger: logger,
                                      devAppID: demoAppID)
        } catch {
            throw ValidationError(error.description)
        }
        if let certificate = server.tls?.certificate {
            for warning in certificate.warnings(host: ServerConfiguration.host(ofURL: configuration.effectivePublicBaseURL)) {
                logger.warning("\(warning)")
            }
        }
        let dev = configuration.dev
        let base = configuration.effectivePublicBaseURL
        let scheme = configuration.servesTLS ? "https" : "http"
        try await server.run { channel in
            let port = channel.localAddress?.port ?? configuration.http.port
            say("listening on \(scheme)://\(ServerConfiguration.HostPort(host: configuration.http.host, port: port))")
            say("STUN/TURN on udp and tcp \(server.turnAddress)")
            if let tls = server.turnTLSAddress { say("TURN over TLS on \(tls)") }
            if dev { say("web app: \(base)/app/") }
        }
        say("stopped")
    }
}

/// Prints a line to standard output at once (tests and scripts read it while the server runs).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

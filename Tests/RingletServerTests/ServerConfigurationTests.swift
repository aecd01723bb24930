import Foundation
import RingletServer
import RingletStore
import RingletTestSupport
import Testing

@Suite("Server configuration: defaults, sources and precedence")
struct ServerConfigurationTests {
    /// A JSON configuration file in a fresh folder.
    func file(_ json: String) throws -> String {
        let folder = try temporaryFolder(prefix: "ringlet-config")
        let url = folder.appendingPathComponent("ringlet.json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    @Test("the defaults are documented values and need a TURN secret unless dev")
    func defaults() throws {
        let configuration = ServerConfiguration()
        #expect(configuration.http.description == "127.0.0.1:8080")
        #expect(configuration.turn.description == "127.0.0.1:3478")
        #expect(configuration.ringTimeoutSeconds == 60)
        #expect(configuration.maxBodySize == 65_536)
        #expect(configuration.effectivePublicBaseURL == "http://127.0.0.1:8080")
        #expect(throws: ServerConfigurationError.self) { try configuration.validate() }
        var dev = configuration
        dev.dev = true
        try dev.validate()
    }

    @Test("flags beat the environment, which beats the file, which beats the defaults")
    func precedence() throws {
        let path = try file("""
            {"dataDir": "/file", "http": "0.0.0.0:1000", "turn": "127.0.0.3:2000", "turnSecret": "file-secret",
             "ringTimeoutSeconds": 30, "maxBodySize": 2048, "allowLoopbackPeers": true}
            """)
        let environment = ["RINGLET_HTTP": "127.0.0.2:1001", "RINGLET_TURN_SECRET": "env-secret", "RINGLET_RING_TIMEOUT": "40",
                           "RINGLET_CONFIG": path, "RINGLET_DEV": "1"]
        let flags = ServerConfiguration.Overrides(turnSecret: "flag-secret", ringTimeoutSeconds: 50)
        let configuration = try ServerConfiguration.resolve(flags: flags, environment: environment)
        #expect(configuration.dataDir == "/file")                    // file only
        #expect(configuration.http.description == "127.0.0.2:1001")  // env over file
        #expect(configuration.turn.description == "127.0.0.3:2000")  // file
        #expect(configuration.turnSecret == "flag-secret")           // flag over env over file
        #expect(configuration.ringTimeoutSeconds == 50)
        #expect(configuration.maxBodySize == 2048)
        #expect(configuration.allowLoopbackPeers)
        #expect(configuration.dev)                                   // env
        #expect(configuration.ringTimeoutSeconds == 50)
    }

    @Test("Web Push's VAPID subject: required without --dev (with how to give it), from flag, environment or file; --dev has a default")
    func vapidSubject() throws {
        do {
            _ = try ServerConfiguration.resolve(flags: .init(turnSecret: "s"), environment: [:])
            Issue.record("started without a VAPID subject")
        } catch {
            #expect(error.message.contains("--vapid-subject is required"), "\(error.message)")
        }
        let fromFlag = try ServerConfiguration.resolve(flags: .init(turnSecret: "s", vapidSubject: "mailto:ops@ringlet.example"),
                                                       environment: ["RINGLET_VAPID_SUBJECT": "https://env.example.com"])
        #expect(fromFlag.effectiveVAPIDSubject?.value == "mailto:ops@ringlet.example")
        let fromEnvironment = try ServerConfiguration.resolve(
            flags: .init(turnSecret: "s"), environment: ["RINGLET_VAPID_SUBJECT": "https://env.example.com"])
        #expect(fromEnvironment.effectiveVAPIDSubject?.value == "https://env.example.com")
        let fromFile = try ServerConfiguration.resolve(
            flags: .init(turnSecret: "s", configFile: try file(#"{"vapidSubject": "mailto:file@example.org"}"#)),
            environment: [:])
        #expect(fromFile.effectiveVAPIDSubject?.value == "mailto:file@example.org")
        let dev = try ServerConfiguration.resolve(flags: .init(dev: true), environment: [:])
        #expect(dev.effectiveVAPIDSubject?.value == ServerConfiguration.developmentVAPIDSubject)
        #expect(dev.pushEndpointPolicy.allowLoopback && !fromFlag.pushEndpointPolicy.allowLoopback)
    }

    @Test("the store is SQLite in the data folder unless a postgres:// URL comes from --store, RINGLET_STORE or the file")
    func storeSetting() throws {
        #expect(try ServerConfiguration.resolve(flags: .init(dev: true), environment: [:]).store == nil)
        let path = try file(#"{"store": "postgres://file@db/ringlet"}"#)
        let fromFile = try ServerConfiguration.resolve(flags: .init(dev: true, configFile: path), environment: [:])
        #expect(fromFile.store == "postgres://file@db/ringlet")
        let fromEnvironment = try ServerConfiguration.resolve(
            flags: .init(dev: true, configFile: path), environment: ["RINGLET_STORE": "postgresql://env@db/ringlet"])
        #expect(fromEnvironment.store == "postgresql://env@db/ringlet")
        let fromFlag = try ServerConfiguration.resolve(
            flags: .init(dev: true, store: "postgres://flag@db/ringlet"), environment: ["RINGLET_STORE": "postgres://env@db/x"])
        #expect(fromFlag.store == "postgres://flag@db/ringlet")
        #expect { try ServerConfiguration.resolve(flags: .init(dev: true, store: "mysql://db/x"), environment: [:]) }
            throws: { "\($0)".contains("postgres://") }
    }

    @Test("a flag's config file wins over RINGLET_CONFIG")
    func configFileChoice() throws {
        let envFile = try file(#"{"dataDir": "/env-file", "dev": true}"#)
        let flagFile = try file(#"{"dataDir": "/flag-file", "dev": true}"#)
        let configuration = try ServerConfiguration.resolve(
            flags: .init(configFile: flagFile), environment: ["RINGLET_CONFIG": envFile]
        )
        #expect(configuration.dataDir == "/flag-file")
    }

    @Test("bad values are refused with a message", arguments: [
        (["RINGLET_HTTP": "nonsense"], "HOST:PORT"), (["RINGLET_HTTP": "127.0.0.1:70000"], "HOST:PORT"),
        (["RINGLET_RING_TIMEOUT": "0"], "ringTimeout"), (["RINGLET_RING_TIMEOUT": "x"], "integer"),
        (["RINGLET_DEV": "perhaps"], "true or false"), (["RINGLET_MAX_BODY_SIZE": "10"], "maxBodySize"),
        (["RINGLET_ADMIN_TOKEN": "short"], "adminToken"), (["RINGLET_CONFIG": "/no/such/file.json"], "cannot read"),
        (["RINGLET_PUBLIC_BASE_URL": "ftp://x"], "publicBaseURL"),
        (["RINGLET_VAPID_SUBJECT": "mailto:ops@localhost"], "--vapid-subject"),
        (["RINGLET_VAPID_SUBJECT": "http://ringlet.example.com"], "--vapid-subject"),
    ])
    func badValues(environment: [String: String], message: String) {
        var environment = environment
        environment["RINGLET_DEV"] = environment["RINGLET_DEV"] ?? "true"
        expectRefused(environment, message)
    }

    /// `environment` is refused with an error whose message contains `message`.
    func expectRefused(_ environment: [String: String], _ message: String) {
        do {
            _ = try ServerConfiguration.resolve(flags: .init(), environment: environment)
            Issue.record("accepted \(environment)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("TLS, TURN over TLS, TURN's public address, relay ports and the proxy come from flags, RINGLET_* and the file")
    func deploymentSources() throws {
        let path = try file("""
            {"tlsCert": "/etc/ringlet/fullchain.pem", "tlsKey": "/etc/ringlet/privkey.pem", "turnExternalIP": "203.0.113.7",
             "turnRelayPorts": "49152-49999", "trustedProxies": ["10.0.0.0/8"], "hstsMaxAgeSeconds": 600,
             "publicBaseURL": "https://ringlet.example.com", "http": "0.0.0.0:443", "turnSecret": "x",
             "vapidSubject": "mailto:ops@ringlet.example.com"}
            """)
        let environment = ["RINGLET_CONFIG": path, "RINGLET_TURN_TLS": "0.0.0.0:443", "RINGLET_TLS_HANDSHAKE_TIMEOUT": "5",
                           "RINGLET_TURN_HOST": "turn.example.com"]
        let configuration = try ServerConfiguration.resolve(flags: .init(behindProxy: true), environment: environment)
        #expect(configuration.tlsCertificateFile == "/etc/ringlet/fullchain.pem")
        #expect(configuration.tlsKeyFile == "/etc/ringlet/privkey.pem")
        #expect(configuration.servesTLS && configuration.behindProxy)
        #expect(configuration.turn.description == "0.0.0.0:3478", "TURN follows --http's host when not given")
        #expect(configuration.turnTLS?.description == "0.0.0.0:443")
        #expect(configuration.turnExternalIP == "203.0.113.7")
        #expect(configuration.turnRelayPorts == 49152...49999)
        #expect(configuration.trustedProxies == ["10.0.0.0/8"])
        #expect(configuration.tlsHandshakeTimeoutSeconds == 5)
        #expect(configuration.hstsMaxAgeSeconds == 600)
        #expect(configuration.effectivePublicBaseURL == "https://ringlet.example.com")
        let urls = configuration.iceServerURLs()
        #expect(urls.stun == ["stun:turn.example.com:3478"])
        #expect(urls.turn == ["turn:turn.example.com:3478?transport=udp", "turn:turn.example.com:3478?transport=tcp",
                              "turns:turn.example.com:443?transport=tcp"])
    }

    @Test("iceServers name the external IP, else the TURN address, else the public host; turns: names the certificate's host")
    func iceServerHosts() throws {
        var configuration = ServerConfiguration()
        configuration.turnSecret = "x"
        configuration.vapidSubject = "mailto:ops@ringlet.example.com"
        #expect(configuration.iceServerURLs().turn == ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"])
        configuration.http = try .init(parsing: "0.0.0.0:443")
        configuration.publicBaseURL = "https://ringlet.example.com/"
        configuration.tlsCertificateFile = "c"
        configuration.tlsKeyFile = "k"
        #expect(configuration.effectivePublicBaseURL == "https://ringlet.example.com")
        #expect(configuration.iceServerURLs().turn == [
            "turn:ringlet.example.com:3478?transport=udp", "turn:ringlet.example.com:3478?transport=tcp",
            "turns:ringlet.example.com:5349?transport=tcp",
        ])
        configuration.turnExternalIP = "203.0.113.7"
        #expect(configuration.iceServerURLs().stun == ["stun:203.0.113.7:3478"])
        #expect(configuration.iceServerURLs().turn.last == "turns:ringlet.example.com:5349?transport=tcp")
        configuration.turnTLSListener = .off
        #expect(configuration.iceServerURLs().turn.count == 2)
        configuration.turnExternalIP = nil
        configuration.turn = try .init(parsing: "[::1]:3478")
        #expect(configuration.iceServerURLs().stun == ["stun:[::1]:3478"])
        try configuration.validate()
    }

    @Test("deployment rules are refused with a message that says what to do", arguments: [
        (["RINGLET_HTTP": "0.0.0.0:8080", "RINGLET_PUBLIC_BASE_URL": "https://x.test"], "refusing to serve plain HTTP"),
        (["RINGLET_HTTP": "192.0.2.1:8080", "RINGLET_PUBLIC_BASE_URL": "https://x.test"], "--tls-cert and --tls-key, or --behind-proxy"),
        (["RINGLET_DEV": "1", "RINGLET_HTTP": "0.0.0.0:8080"], "--dev listens on loopback only"),
        (["RINGLET_DEV": "1", "RINGLET_TURN": "0.0.0.0:3478"], "--dev listens on loopback only"),
        (["RINGLET_TLS_CERT": "/c.pem"], "--tls-cert and --tls-key go together"),
        (["RINGLET_TURN_TLS": "127.0.0.1:5349"], "--turn-tls needs a certificate"),
        (["RINGLET_BEHIND_PROXY": "1"], "--public-base-url is required behind a proxy"),
        (["RINGLET_BEHIND_PROXY": "1", "RINGLET_PUBLIC_BASE_URL": "http://x.test"], "must start with https://"),
        (["RINGLET_TLS_CERT": "/c", "RINGLET_TLS_KEY": "/k", "RINGLET_HTTP": "0.0.0.0:443"], "--public-base-url is required on 0.0.0.0:443"),
        (["RINGLET_TRUSTED_PROXIES": "10.0.0.0/33"], "is not an IP address or CIDR network"),
        (["RINGLET_TURN_EXTERNAL_IP": "cloud"], "turnExternalIP must be an IP address"),
        (["RINGLET_TURN_RELAY_PORTS": "80-90"], "turnRelayPorts must be LOW-HIGH within 1024-65535"),
        (["RINGLET_TURN_RELAY_PORTS": "9-"], "is not a port range"),
        (["RINGLET_TURN": "turn.example.com:3478"], "turn must be an IP address"),
        (["RINGLET_TLS_HANDSHAKE_TIMEOUT": "0"], "tlsHandshakeTimeoutSeconds"),
    ])
    func deploymentRules(environment: [String: String], message: String) {
        var environment = environment
        environment["RINGLET_TURN_SECRET"] = "s"
        expectRefused(environment, message)
    }

    @Test("a server behind a proxy or with TLS may listen on every address")
    func exposedBindsAllowed() throws {
        let proxied = try ServerConfiguration.resolve(flags: .init(http: "0.0.0.0:8080", turnSecret: "s",
                                                                   publicBaseURL: "https://ringlet.example.com",
                                                                   vapidSubject: "mailto:ops@ringlet.example.com",
                                                                   behindProxy: true), environment: [:])
        #expect(proxied.turn.description == "0.0.0.0:3478")
        #expect(proxied.turnTLS == nil)
        let direct = try ServerConfiguration.resolve(flags: .init(http: "0.0.0.0:443", turnSecret: "s",
                                                                  publicBaseURL: "https://ringlet.example.com",
                                                                  vapidSubject: "mailto:ops@ringlet.example.com",
                                                                  tlsCert: "/c", tlsKey: "/k"), environment: [:])
        #expect(direct.turnTLS?.description == "0.0.0.0:5349")
    }

    @Test("HOST:PORT parses IPv4, IPv6 in brackets and a bare port")
    func hostPort() throws {
        #expect(try ServerConfiguration.HostPort(parsing: "[::1]:3478") == .init(host: "::1", port: 3478))
        #expect(try ServerConfiguration.HostPort(parsing: ":9") == .init(host: "127.0.0.1", port: 9))
        #expect(try ServerConfiguration.HostPort(parsing: "0.0.0.0:0").port == 0)
        var configuration = ServerConfiguration()
        configuration.http = try .init(parsing: "0.0.0.0:8081")
        #expect(configuration.effectivePublicBaseURL == "http://127.0.0.1:8081")
    }
}

@Suite("Server bootstrap: admin token and dev mode")
struct ServerBootstrapTests {
    func configuration(dev: Bool) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.dataDir = try temporaryFolder(prefix: "ringlet-boot").path
        configuration.dev = dev
        configuration.turnSecret = "s"
        return configuration
    }

    @Test("the first start generates an admin token and stores only its hash; later starts print nothing")
    func firstStart() async throws {
        let store = try await APITestStore()
        let configuration = try configuration(dev: false)
        let first = try await ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: .system)
        guard case .generated(let token) = first else { Issue.record("no token: \(first)"); return }
        #expect(token.hasPrefix("rla_"))
        #expect(try await store.setting(APIRoutes.adminTokenHashSetting) == Identifiers.hash(token))
        #expect(try await ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: .system) == .existing)
        let files = try FileManager.default.contentsOfDirectory(atPath: configuration.dataDir)
        #expect(files.isEmpty, "no token file without --dev")
    }

    @Test("dev mode gives the same admin token at every start, kept in a 0600 file")
    func devToken() async throws {
        let store = try await APITestStore()
        let configuration = try configuration(dev: true)
        let first = try await ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: .system)
        let second = try await ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: .system)
        guard case .dev(let token) = first else { Issue.record("not dev: \(first)"); return }
        #expect(second == .dev(token))
        let path = (configuration.dataDir as NSString).appendingPathComponent(ServerBootstrap.devCredentialsFile)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("a configured admin token replaces the stored hash")
    func configuredToken() async throws {
        let store = try await APITestStore()
        var configuration = try configuration(dev: false)
        configuration.adminToken = "rla_configured-token-123456"
        #expect(try await ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: .system) == .configured)
        #expect(try await store.setting(APIRoutes.adminTokenHashSetting) == Identifiers.hash("rla_configured-token-123456"))
    }

    @Test("dev mode creates one demo app with a model and gives its secret again at the next start")
    func demoApp() async throws {
        let store = try await APITestStore()
        let configuration = try configuration(dev: true)
        let first = try #require(try await ServerBootstrap.ensureDemoApp(store: store, configuration: configuration,
                                                                   identifiers: .system, now: 1))
        #expect(first.app.releaseApproved)
        #expect(Identifiers.hash(first.secret) == first.app.secretHash)
        let second = try await ServerBootstrap.ensureDemoApp(store: store, configuration: configuration, identifiers: .system, now: 2)
        #expect(second == first)
        #expect(try await store.apps().count == 1)
        #expect(try await store.models(appID: first.app.id).count == 1)
    }
}

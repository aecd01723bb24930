import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RingletCore
import RingletStore
import RingletWebPush

/// What the server does with its data folder and store on start: the admin token, the TURN secret in dev mode,
/// and the demo app in dev mode (docs/server.md, "Admin token" and "Development mode").
public enum ServerBootstrap {
    /// The settings key of the generated TURN secret (dev mode without `--turn-secret`).
    public static let turnSecretSetting = "turnSecret"
    /// The file in the data folder (mode 0600) that keeps the dev admin token and demo app secret, so that
    /// `--dev` can print them at every start. Never written without `--dev`.
    public static let devCredentialsFile = "dev-credentials.json"

    /// What happened to the admin token.
    public enum AdminToken: Sendable, Hashable {
        /// A new token was made; print it once (it is not stored, only its hash).
        case generated(String)
        /// Dev mode: the token kept in the dev credentials file (print it).
        case dev(String)
        /// The configuration's token was installed.
        case configured
        /// A token exists from an earlier start; nothing to print.
        case existing
    }

    /// The demo app of dev mode.
    public struct DemoApp: Sendable, Hashable {
        public var app: AppRecord
        public var model: ModelRecord
        /// Its secret (kept in the dev credentials file).
        public var secret: String
    }

    /// What dev mode keeps in ``devCredentialsFile``.
    struct DevCredentials: Codable {
        var adminToken: String?
        var demoAppID: String?
        var demoAppSecret: String?
        /// The demo model and the server's address: `ringlet admin` next to this folder needs no flags.
        var demoModelID: String?
        var server: String?
    }

    /// Makes sure the store holds an admin token hash, following the configuration.
    ///
    /// - With ``ServerConfiguration/adminToken``: its hash is stored (replacing any other).
    /// - Else with none stored: a token is generated, its hash stored, and it is returned to be printed once.
    /// - In dev mode the token is also kept in the dev credentials file; a later dev start returns it again.
    public static func ensureAdminToken(
        store: any Store, configuration: ServerConfiguration, identifiers: Identifiers
    ) async throws -> AdminToken {
        let key = APIRoutes.adminTokenHashSetting
        if let token = configuration.adminToken {
            try await store.setSetting(key, Identifiers.hash(token))
            return .configured
        }
        let stored = try await store.setting(key)
        if configuration.dev {
            var credentials = readDevCredentials(configuration)
            if let token = credentials.adminToken, let stored, Identifiers.hash(token) == stored { return .dev(token) }
            // No token yet, or the kept one is not the stored one any more: a new one, kept for later dev starts.
            let token = identifiers.secret("rla_")
            try await store.setSetting(key, Identifiers.hash(token))
            credentials.adminToken = token
            try writeDevCredentials(credentials, configuration)
            return .dev(token)
        }
        guard stored == nil else { return .existing }
        let token = identifiers.secret("rla_")
        try await store.setSetting(key, Identifiers.hash(token))
        return .generated(token)
    }

    /// The TURN secret: the configured one, else (dev mode) the one kept in the store, generated on first use.
    public static func turnSecret(store: any Store, configuration: ServerConfiguration, identifiers: Identifiers)
        async throws -> String
    {
        if let secret = configuration.turnSecret { return secret }
        if let secret = try await store.setting(turnSecretSetting) { return secret }
        let secret = Identifiers.base64URL(identifiers.randomBytes(24))
        try await store.setSetting(turnSecretSetting, secret)
        return secret
    }

    /// The settings key of the VAPID private key (base64url of the 32-byte P-256 scalar).
    public static let vapidKeySetting = "vapidPrivateKey"

    /// The server's VAPID key (Web Push, docs/push.md): made on the first start and kept in the store's settings,
    /// so that browsers' subscriptions (made for its public key) stay valid across restarts.
    public static func vapidKey(store: any Store) async throws -> VAPIDKey {
        if let stored = try await store.setting(vapidKeySetting) {
            guard let bytes = Base64URL.decode(stored) else {
                throw ServerConfigurationError("the stored VAPID key is not base64url")
            }
            return try VAPIDKey(rawRepresentation: bytes)
        }
        let key = VAPIDKey()
        try await store.setSetting(vapidKeySetting, Base64URL.encode(key.rawRepresentation))
        return key
    }

    /// Dev mode: the demo app ("Demo", release approved, unlimited quota, model `demo-model`), created if the
    /// store has no app; nil when apps exist that are not the demo app recorded in the dev credentials file.
    public static func ensureDemoApp(
        store: any Store, configuration: ServerConfiguration, identifiers: Identifiers, now: Int64
    ) async throws -> DemoApp? {
        var credentials = readDevCredentials(configuration)
        if let id = credentials.demoAppID, let secret = credentials.demoAppSecret, let app = try await store.app(id: id),
           Identifiers.hash(secret) == app.secretHash
        {
            let model: ModelRecord
            if let first = try await store.models(appID: id).first {
                model = first
            } else {
                model = ModelRecord(id: "demo-model-\(id.suffix(6))", appID: id, name: "Demo model", createdAt: now)
                try await store.insertModel(model)
            }
            try keepDemoAddress(&credentials, model: model.id, configuration)
            return DemoApp(app: app, model: model, secret: secret)
        }
        guard try await store.apps().isEmpty else { return nil }
        let secret = identifiers.secret("rls_")
        let app = AppRecord(
            id: identifiers.id("app_", hexDigits: 16), name: "Demo", secretHash: Identifiers.hash(secret),
            releaseApproved: true, callQuota: nil, createdAt: now
        )
        try await store.insertApp(app)
        let model = ModelRecord(id: "demo-model", appID: app.id, name: "Demo model", createdAt: now)
        if try await store.model(id: model.id) == nil { try await store.insertModel(model) }
        credentials.demoAppID = app.id
        credentials.demoAppSecret = secret
        try writeDevCredentials(credentials, configuration)
        try keepDemoAddress(&credentials, model: model.id, configuration)
        return DemoApp(app: app, model: model, secret: secret)
    }

    /// Records the demo model and the server's address in the dev credentials file (when they changed).
    private static func keepDemoAddress(_ credentials: inout DevCredentials, model: String,
                                        _ configuration: ServerConfiguration) throws {
        let server = configuration.effectivePublicBaseURL
        guard credentials.demoModelID != model || credentials.server != server else { return }
        credentials.demoModelID = model
        credentials.server = server
        try writeDevCredentials(credentials, configuration)
    }

    /// The file a generated admin token goes to when there is no terminal to show it on.
    public static let adminTokenFile = "admin-token"

    /// Shows a freshly generated admin token without letting it reach a log (docs/security.md, "What is
    /// logged"): it is written to the controlling terminal (`/dev/tty`), which is not standard output — a service
    /// manager that captures standard output into a journal never sees it. Without a terminal (a service) it is
    /// written to `<data-dir>/admin-token`, mode 0600. Returns the line to print on standard output instead,
    /// which says where the token went but not what it is.
    public static func revealAdminToken(_ token: String, configuration: ServerConfiguration) throws -> String {
        let line = "admin token (shown once, keep it): \(token)\n"
        let tty = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC)
        if tty >= 0 {
            defer { close(tty) }
            let written = line.utf8CString.withUnsafeBufferPointer { write(tty, $0.baseAddress, $0.count - 1) }
            if written == line.utf8.count { return "admin token shown on the terminal (not in this output)" }
        }
        let path = (configuration.dataDir as NSString).appendingPathComponent(adminTokenFile)
        try writePrivateFile(Data((token + "\n").utf8), to: path)
        return "admin token written to \(path) (mode 0600): keep it elsewhere and delete the file"
    }

    /// Ends the calls a crash left `ringing` or `active` (outcome `interrupted`, ended now); returns how many.
    /// A graceful stop ends its calls itself, so after one this finds none.
    public static func closeInterruptedCalls(store: any Store, now: Int64) async throws -> Int {
        try await store.closeUnfinishedCalls(outcome: .interrupted, now: now)
    }

    /// Creates the data folder (mode 0700) if needed.
    public static func prepareDataDirectory(_ configuration: ServerConfiguration) throws {
        try FileManager.default.createDirectory(
            atPath: configuration.dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
        )
    }

    static func devCredentialsPath(_ configuration: ServerConfiguration) -> String {
        (configuration.dataDir as NSString).appendingPathComponent(devCredentialsFile)
    }

    static func readDevCredentials(_ configuration: ServerConfiguration) -> DevCredentials {
        guard let data = FileManager.default.contents(atPath: devCredentialsPath(configuration)),
              let credentials = try? JSONDecoder().decode(DevCredentials.self, from: data)
        else { return DevCredentials() }
        return credentials
    }

    /// Writes the dev credentials file atomically with mode 0600.
    static func writeDevCredentials(_ credentials: DevCredentials, _ configuration: ServerConfiguration) throws {
        try writePrivateFile(try JSONEncoder().encode(credentials), to: devCredentialsPath(configuration))
    }

    /// Writes `data` to `path` atomically (a temporary file renamed over it) with mode 0600.
    static func writePrivateFile(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
        else { throw ServerConfigurationError("cannot write \(temporary)") }
        guard rename(temporary, path) == 0 else { throw ServerConfigurationError("cannot rename \(temporary)") }
    }
}

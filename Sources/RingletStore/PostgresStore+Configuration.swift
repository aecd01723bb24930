import Foundation

extension PostgresStore {
    /// Where and how to connect, parsed from a `postgres://` URL (docs/store.md, "PostgreSQL").
    ///
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require&passfile=FILE&pool=N]`, or
    /// a Unix socket folder as the host: `postgres://USER@/DATABASE?host=/var/run/postgresql`. The password comes
    /// from the URL, else from the first line of `passfile`, else from `PGPASSWORD` in the environment (a URL on
    /// the command line is readable by every user of the machine in /proc: prefer the file or the variable).
    public struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// How the connection uses TLS.
        public enum TLSMode: String, Sendable, Hashable {
            /// Never (loopback, a Unix socket).
            case disable
            /// TLS when the server offers it, verifying its certificate; plain otherwise. The default.
            case prefer
            /// TLS or no connection, verifying the certificate against the system's CAs.
            case require
        }

        /// The host name or IP address (nil with ``socketPath``).
        public var host: String?
        /// The TCP port. Default 5432.
        public var port: Int
        /// The Unix socket file (`<folder>/.s.PGSQL.<port>`), when the URL's `host` parameter names a folder.
        public var socketPath: String?
        public var username: String
        /// Never printed (``description`` leaves it out).
        public var password: String?
        public var database: String
        public var tls: TLSMode
        /// The most connections the store's pool opens (the LISTEN connection of a cluster node is extra).
        /// Default 16, 1...1000.
        public var maximumConnections: Int
        /// The longest a store call may take, waiting for a connection included (postgres-nio's pool keeps
        /// requests waiting up to 60 s while it cannot connect); then it fails with `database`. Default 30 s.
        public var requestTimeout: Duration = .seconds(30)

        public init(host: String? = "127.0.0.1", port: Int = 5432, socketPath: String? = nil, username: String,
                    password: String? = nil, database: String, tls: TLSMode = .prefer, maximumConnections: Int = 16) {
            self.host = host
            self.port = port
            self.socketPath = socketPath
            self.username = username
            self.password = password
            self.database = database
            self.tls = tls
            self.maximumConnections = maximumConnections
        }

        /// Parses a `postgres://` (or `postgresql://`) URL.
        ///
        /// - Parameter environment: where `PGPASSWORD` is looked up.
        /// - Throws: `StoreError.database` naming what is wrong (never the password).
        public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment)
            throws(StoreError)
        {
            guard let components = URLComponents(string: text),
                  components.scheme == "postgres" || components.scheme == "postgresql"
            else { throw StoreError(.database, "the store URL must start with postgres:// (\(Self.redact(text)))") }
            var query: [String: String] = [:]
            for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
            let known: Set<String> = ["sslmode", "passfile", "host", "pool"]
            if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
                throw StoreError(.database, "unknown store URL parameter \(unknown) (known: \(known.sorted().joined(separator: ", ")))")
            }
            guard let user = components.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
                throw StoreError(.database, "the store URL names no user (postgres://USER@HOST/DATABASE)")
            }
            let database = String(components.path.drop(while: { $0 == "/" })).removingPercentEncoding ?? ""
            guard !database.isEmpty, !database.contains("/") else {
                throw StoreError(.database, "the store URL names no database (postgres://USER@HOST/DATABASE)")
            }
            let port = components.port ?? 5432
            guard (1...65_535).contains(port) else { throw StoreError(.database, "the store URL's port is out of range") }
            var host = components.host.flatMap { $0.isEmpty ? nil : $0 }
            if let h = host, h.hasPrefix("["), h.hasSuffix("]") { host = String(h.dropFirst().dropLast()) }
            var socketPath: String?
            if let folder = query["host"], folder.hasPrefix("/") {
                socketPath = (folder as NSString).appendingPathComponent(".s.PGSQL.\(port)")
                host = nil
            } else if let named = query["host"], !named.isEmpty {
                host = named
            }
            guard host != nil || socketPath != nil else {
                throw StoreError(.database, "the store URL names no host and no socket folder (?host=/folder)")
            }
            var tls = TLSMode.prefer
            if let mode = query["sslmode"] {
                guard let parsed = TLSMode(rawValue: mode) else {
                    throw StoreError(.database, "sslmode must be disable, prefer or require")
                }
                tls = parsed
            }
            if socketPath != nil { tls = .disable }
            var maximumConnections = 16
            if let pool = query["pool"] {
                guard let n = Int(pool), (1...1000).contains(n) else {
                    throw StoreError(.database, "pool must be an integer from 1 to 1000")
                }
                maximumConnections = n
            }
            var password = components.password.flatMap { $0.removingPercentEncoding }
            if password == nil, let file = query["passfile"] {
                guard let data = FileManager.default.contents(atPath: file),
                      let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first
                else { throw StoreError(.database, "cannot read the password file \(file)") }
                password = String(line)
            }
            if password == nil { password = environment["PGPASSWORD"] }
            self.init(host: host, port: port, socketPath: socketPath, username: user, password: password,
                      database: database, tls: tls, maximumConnections: maximumConnections)
        }

        /// `user@host:port/database` or `user@socket/database`, without the password.
        public var description: String {
            let place = socketPath ?? "\(host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "?"):\(port)"
            return "\(username)@\(place)/\(database)"
        }

        /// The URL with any password replaced by `***` (for error messages).
        static func redact(_ url: String) -> String {
            guard var components = URLComponents(string: url) else { return "<unparsable URL>" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "<unparsable URL>"
        }
    }

    /// Whether `text` names a PostgreSQL store (`postgres://` or `postgresql://`).
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }
}

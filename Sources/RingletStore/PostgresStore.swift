import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The `Store` on PostgreSQL through postgres-nio, for one node or several sharing one database (docs/store.md,
/// "PostgreSQL").
///
/// - Lifecycle: a swift-service-lifecycle `Service`. Its connection pool works only while ``run()`` runs (in
///   the server's task group, or ``withStore(_:logger:_:)`` in tools and tests); ``migrate()`` then brings the
///   schema up to date. Nothing connects before that.
/// - Concurrency: a pool of at most ``Configuration/maximumConnections`` connections. A call that is one
///   statement runs as one (autocommit); a call of several statements runs in one transaction on one connection.
///   Read-modify-write calls lock what they read (`SELECT … FOR UPDATE`, an advisory lock per SN for
///   registration), so two nodes never both use one ticket or overdraw a quota.
/// - Durability: PostgreSQL's (a commit returns once its WAL is flushed, `synchronous_commit` as the server
///   has it); concurrent commits share one flush.
/// - Errors: unique violations (SQLSTATE 23505) become `StoreError.conflict`, foreign-key violations (23503)
///   `notFound`, everything else `database` with the server's message, never a statement's arguments.
///
/// Paged lists use a `seq` identity column where SQLite uses its rowid: ``PageCursor/rowID`` is that number.
public final class PostgresStore: Store, Service {
    /// The migrations this version knows, in the order they run.
    public static let migrations: [String] = ["v1"]

    /// Where the store connects.
    public let configuration: Configuration
    let client: PostgresClient
    let logger: Logger
    private let closed = Mutex(false)

    /// A store for `configuration`; it connects once ``run()`` runs.
    public init(configuration: Configuration, logger: Logger = Logger(label: "ringlet.store"),
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.logger = logger
        self.client = PostgresClient(configuration: Self.clientConfiguration(configuration),
                                     eventLoopGroup: eventLoopGroup, backgroundLogger: logger)
    }

    /// A store for a `postgres://` URL (see ``Configuration/init(url:environment:)``).
    public convenience init(url: String, logger: Logger = Logger(label: "ringlet.store")) throws(StoreError) {
        self.init(configuration: try Configuration(url: url), logger: logger)
    }

    public var summary: String { "postgresql \(configuration)" }

    /// Runs the connection pool until the task is cancelled or the service group shuts down gracefully.
    public func run() async {
        await client.run()
    }

    /// Runs `body` with the store running and migrated, then stops it.
    public static func withStore<R: Sendable>(
        _ configuration: Configuration, logger: Logger = Logger(label: "ringlet.store"),
        _ body: (PostgresStore) async throws -> R
    ) async throws -> R {
        let store = PostgresStore(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            return try await body(store)
        }
    }

    /// Refuses every later call (`database`); the pool's connections close when ``run()`` stops.
    public func close() async throws(StoreError) {
        closed.withLock { $0 = true }
    }

    func checkOpen(_ what: String) throws(StoreError) {
        if closed.withLock({ $0 }) { throw StoreError(.database, "\(what): the store is closed") }
    }

    // MARK: Connections

    static func clientConfiguration(_ configuration: Configuration) -> PostgresClient.Configuration {
        var client: PostgresClient.Configuration
        if let socket = configuration.socketPath {
            client = PostgresClient.Configuration(unixSocketPath: socket, username: configuration.username,
                                                  password: configuration.password, database: configuration.database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch configuration.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(.makeClientConfiguration())
            case .require: tls = .require(.makeClientConfiguration())
            }
            client = PostgresClient.Configuration(host: configuration.host ?? "127.0.0.1", port: configuration.port,
                                                  username: configuration.username, password: configuration.password,
                                                  database: configuration.database, tls: tls)
        }
        client.options.maximumConnections = configuration.maximumConnections
        client.options.minimumConnections = 0
        client.options.connectTimeout = .seconds(10)
        client.options.connectionIdleTimeout = .seconds(30)
        client.options.additionalStartupParameters = [("application_name", "ringlet")]
        return client
    }

    /// The configuration of a connection of its own (a cluster node's LISTEN connection).
    func connectionConfiguration() throws(StoreError) -> PostgresConnection.Configuration {
        var connection: PostgresConnection.Configuration
        if let socket = configuration.socketPath {
            connection = PostgresConnection.Configuration(unixSocketPath: socket, username: configuration.username,
                                                          password: configuration.password,
                                                          database: configuration.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch configuration.tls {
                case .disable: tls = .disable
                case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            } catch {
                throw StoreError(.database, "cannot set up TLS to PostgreSQL: \(error)")
            }
            connection = PostgresConnection.Configuration(
                host: configuration.host ?? "127.0.0.1", port: configuration.port, username: configuration.username,
                password: configuration.password, database: configuration.database, tls: tls)
        }
        connection.options.additionalStartupParameters = [("application_name", "ringlet-listen")]
        return connection
    }

    // MARK: Statements

    /// Runs one statement (atomic by itself) and returns its rows.
    @discardableResult
    func rows(_ what: String, _ query: PostgresQuery) async throws(StoreError) -> [PostgresRow] {
        try checkOpen(what)
        let client = self.client
        let logger = self.logger
        return try await withDeadline(what) { try await client.query(query, logger: logger).collect() }
    }

    /// Runs `body`, failing with `database` when it takes longer than ``Configuration/requestTimeout`` (it is
    /// then cancelled).
    func withDeadline<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws(StoreError)
        -> T
    {
        let timeout = configuration.requestTimeout
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw StoreError(.database, "\(what): no answer from PostgreSQL within \(timeout)")
                }
                return value
            }
        } catch {
            throw Self.storeError(error, what)
        }
    }

    /// Runs `body` in one transaction on one connection: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T)
        async throws(StoreError) -> T
    {
        try checkOpen(what)
        let logger = self.logger
        let client = self.client
        return try await withDeadline(what) {
            try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let value = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Maps an error to a `StoreError` (see the type's doc comment).
    static func storeError(_ error: any Error, _ what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? PSQLError else {
            return StoreError(.database, "\(what): \(type(of: error))")
        }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? "?"
            let message = info[.message] ?? "PostgreSQL error"
            switch state {
            case "23505": return StoreError(.conflict, "\(what): \(message)")
            case "23503": return StoreError(.notFound, "\(what): a record it refers to does not exist (\(message))")
            default: return StoreError(.database, "\(what): \(message) (SQLSTATE \(state))")
            }
        }
        let cause = error.underlying.map { " (\($0))" } ?? ""
        return StoreError(.database, "\(what): \(error.code)\(cause)")
    }
}

extension PostgresConnection {
    /// Runs one statement on this connection (inside a store transaction) and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }
}

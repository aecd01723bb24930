import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RingletNIO
import RingletStore
import Synchronization

/// A throwaway PostgreSQL server from Debian's packages (`postgresql`), for tests and benchmarks: `initdb` in a
/// fresh temporary folder, then `postgres` listening on a Unix socket in that folder only (no TCP port, so it is
/// reachable from every network namespace of the machine and from nothing else), both run as the `postgres` user
/// when this process is root.
///
/// The server runs under a small shell wrapper whose standard input is a pipe held by this process: when
/// ``stop()`` closes it, or this process ends in any way (a crash, SIGKILL), the wrapper sends the postmaster
/// SIGINT (fast shutdown), SIGKILL after 10 s, waits for it by pid and deletes the folder. So no server outlives
/// the test or bench that started it.
public final class PostgresServer: Sendable {
    /// Settings of a throwaway server.
    public struct Options: Sendable {
        /// Whether commits are flushed to disk (`fsync`, `synchronous_commit`) as in production. Default false:
        /// tests do not need their data after a power loss; benchmarks pass true.
        public var durable = false
        /// `max_connections`. Default 400 (tests run many stores at once).
        public var maxConnections = 400
        /// `shared_buffers`. Default 128MB.
        public var sharedBuffers = "128MB"

        public init(durable: Bool = false, maxConnections: Int = 400) {
            self.durable = durable
            self.maxConnections = maxConnections
        }
    }

    /// The folder holding the data directory, the socket and the log (deleted when the server stops).
    public let folder: String
    /// The socket's port number (the socket file is `<folder>/.s.PGSQL.<port>`).
    public let port = 5432
    /// The wrapper's process (its pid, for the record; the postmaster is its child).
    let wrapper: ChildProcess
    private let input: Mutex<Int32>
    private let databaseCounter = Atomic<Int>(0)

    private init(folder: String, wrapper: ChildProcess, input: Int32) {
        self.folder = folder
        self.wrapper = wrapper
        self.input = Mutex(input)
    }

    /// The server's log (the postmaster's standard error).
    public var logPath: String { folder + "/postgres.log" }

    /// The superuser's URL of `database` (`postgres://postgres@/DATABASE?host=FOLDER`).
    public func url(database: String) -> String {
        "postgres://postgres@/\(database)?host=\(folder)"
    }

    /// Starts a server and waits until it takes connections (at most 60 s).
    ///
    /// - Throws: `LabError` when PostgreSQL is not installed, `initdb` fails or the server does not come up (the
    ///   message carries the end of its log).
    public static func start(_ options: Options = Options()) async throws -> PostgresServer {
        let bin = try binaryFolder()
        let folder = try makeFolder(prefix: "ringlet-pg")
        let user = try ServiceUser.postgresIfRoot()
        try user?.own(folder)
        let initdb = try await Lab.run((user?.prefix ?? []) + ["\(bin)/initdb"], arguments: [
            "-D", folder + "/data", "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C",
        ], output: folder + "/initdb.log")
        guard initdb == 0 else {
            throw LabError("initdb failed (\(initdb)): \(Lab.tail(of: folder + "/initdb.log"))")
        }
        var settings = [
            // Plain values: `-c` takes them as they are (quotes would be part of the value).
            "listen_addresses=", "unix_socket_directories=\(folder)", "port=5432",
            "max_connections=\(options.maxConnections)", "shared_buffers=\(options.sharedBuffers)",
            "log_min_messages=warning", "max_locks_per_transaction=256",
        ]
        if !options.durable { settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"] }
        let server = ([user?.prefix ?? [], ["\(bin)/postgres", "-D", folder + "/data"]].flatMap { $0 }
            + settings.flatMap { ["-c", $0] }).map(Lab.shellQuoted).joined(separator: " ")
        // The wrapper: the server in the background, then wait for end of input (the parent closed the pipe or
        // died), then a fast shutdown by pid, SIGKILL after 10 s, and the folder deleted.
        let script = """
            \(server) 2>\(Lab.shellQuoted(folder + "/postgres.log")) &
            pid=$!
            cat >/dev/null
            kill -INT "$pid" 2>/dev/null
            i=0
            while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            rm -rf \(Lab.shellQuoted(folder))
            """
        let (wrapper, input) = try ChildProcess.spawnHeld(["/bin/sh", "-c", script], outputPath: "/dev/null")
        let postgres = PostgresServer(folder: folder, wrapper: wrapper, input: input)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if wrapper.exitStatus() != nil || Lab.tail(of: folder + "/postgres.log").contains("FATAL:") {
                let log = Lab.tail(of: folder + "/postgres.log")
                await postgres.stop()
                throw LabError("postgres exited at start: \(log)")
            }
            if FileManager.default.fileExists(atPath: "\(folder)/.s.PGSQL.5432"),
               (try? await postgres.psql("SELECT 1", database: "postgres")) == "1" {
                return postgres
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = Lab.tail(of: folder + "/postgres.log")
        await postgres.stop()
        throw LabError("postgres did not take connections within 60 s: \(log)")
    }

    /// Runs `sql` with `psql` as the superuser and returns its output (tuples only, unaligned, trimmed).
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        let output = try Lab.temporaryFile(prefix: "psql")
        defer { unlink(output) }
        let status = try await Lab.run(["psql"], arguments: [
            "-h", folder, "-p", "\(port)", "-U", "postgres", "-d", database, "-X", "-q", "-t", "-A",
            "-v", "ON_ERROR_STOP=1", "-c", sql,
        ], output: output)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw LabError("psql failed (\(status)): \(text.suffix(500))") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates an empty database with a fresh name and returns its URL.
    public func createDatabase(prefix: String = "ringlet") async throws -> String {
        let n = databaseCounter.add(1, ordering: .relaxed).newValue
        let name = "\(prefix)_\(n)_\(UInt32.random(in: 0 ... .max))"
        _ = try await psql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// A ``PostgresStore`` on a fresh database of this server, running and migrated (see
    /// ``startStore(url:maximumConnections:)``).
    public func store(prefix: String = "ringlet", maximumConnections: Int = 4) async throws
        -> (store: PostgresStore, pool: Task<Void, Never>)
    {
        try await Self.startStore(url: try await createDatabase(prefix: prefix), maximumConnections: maximumConnections)
    }

    /// A ``PostgresStore`` on `url`, running (its pool driven by the returned task: cancel it to stop the store;
    /// else it runs until the process ends) and migrated.
    ///
    /// - Parameter maximumConnections: the store's pool size (tests run many stores at once; default 4).
    public static func startStore(url: String, maximumConnections: Int = 4) async throws
        -> (store: PostgresStore, pool: Task<Void, Never>)
    {
        var configuration = try PostgresStore.Configuration(url: url)
        configuration.maximumConnections = maximumConnections
        let store = PostgresStore(configuration: configuration)
        let pool = Task { await store.run() }
        do {
            try await store.migrate()
        } catch {
            pool.cancel()
            throw error
        }
        return (store, pool)
    }

    /// Stops the server (fast shutdown) and waits for its wrapper to delete the folder (at most 20 s).
    public func stop() async {
        let fd = input.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 { close(fd) }
        let deadline = ContinuousClock.now + .seconds(20)
        while wrapper.exitStatus() == nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The server shared by every test of this process, started on first use (it stops when the process ends).
    public static func shared() async throws -> PostgresServer {
        try await SharedPostgres.instance.server()
    }

    /// The `bin` folder of the newest PostgreSQL under /usr/lib/postgresql.
    static func binaryFolder() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted()
        guard let version = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/postgres")
        else { throw LabError("PostgreSQL is not installed (scripts/install-deps.sh installs Debian's postgresql)") }
        return "\(root)/\(version)/bin"
    }

    static func makeFolder(prefix: String) throws -> String {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw LabError("mkdtemp failed: errno \(errno)") }
        return String(cString: made)
    }
}

/// The process-wide server of ``PostgresServer/shared()``.
private actor SharedPostgres {
    static let instance = SharedPostgres()
    private var starting: Task<PostgresServer, any Error>?

    func server() async throws -> PostgresServer {
        if let starting { return try await starting.value }
        let task = Task { try await PostgresServer.start() }
        starting = task
        return try await task.value
    }
}

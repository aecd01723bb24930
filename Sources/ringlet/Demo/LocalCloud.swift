import Foundation
import Logging
import NIOCore
import NIOPosix
import RingletCall
import RingletCore
import RingletServer
import RingletStore
import ServiceLifecycle

/// `ringlet serve --dev` inside this process, on 127.0.0.1 ports of its own and a data folder of its own, with
/// the demo app's credentials at hand and the provisioning calls of an app backend (over the HTTP API, with the
/// app secret). `ringlet demo` and `ringlet bench device` use it.
final class LocalCloud: Sendable {
    let base: String
    let appId: String
    let appSecret: String
    let modelId: String
    let turnAddress: TransportAddress
    private let task: Task<Void, any Error>
    private let group: ServiceGroup
    private let backendClient: AppBackendClient

    private init(base: String, appId: String, appSecret: String, modelId: String, turnAddress: TransportAddress,
                 task: Task<Void, any Error>, group: ServiceGroup, backend: AppBackendClient) {
        self.base = base
        self.appId = appId
        self.appSecret = appSecret
        self.modelId = modelId
        self.turnAddress = turnAddress
        self.task = task
        self.group = group
        self.backendClient = backend
    }

    /// Starts the service in `dataDir` and waits until it listens.
    static func start(dataDir: String, ringTimeoutSeconds: Int = 60, logger: Logger) async throws -> LocalCloud {
        var configuration = ServerConfiguration()
        configuration.dataDir = dataDir
        configuration.dev = true
        configuration.allowLoopbackPeers = true
        // One machine: the demo's own interfaces may have private addresses (the server's service ports stay refused).
        configuration.allowPrivatePeers = true
        configuration.ringTimeoutSeconds = ringTimeoutSeconds
        configuration.http = .init(host: "127.0.0.1", port: try FreePort.pick(tcp: true, udp: false))
        configuration.turn = .init(host: "127.0.0.1", port: try FreePort.pick(tcp: true, udp: true))
        try ServerBootstrap.prepareDataDirectory(configuration)
        let store = try SQLiteStore(path: configuration.databasePath)
        let identifiers = Identifiers.system
        _ = try await ServerBootstrap.ensureAdminToken(store: store, configuration: configuration, identifiers: identifiers)
        guard let demo = try await ServerBootstrap.ensureDemoApp(store: store, configuration: configuration,
                                                           identifiers: identifiers,
                                                           now: Int64(Date().timeIntervalSince1970 * 1000)) else {
            throw DemoError("the data folder holds apps other than the demo app")
        }
        let secret = try await ServerBootstrap.turnSecret(store: store, configuration: configuration, identifiers: identifiers)
        let cloud = try RingletCloud(configuration: configuration, store: store, turnSecret: secret, logger: logger)
        let (listening, continuation) = AsyncStream<Void>.makeStream()
        let group = cloud.makeServiceGroup { _ in continuation.yield() }
        let task = Task { try await group.run() }
        let ready = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in listening { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(20))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            continuation.finish()
            return first
        }
        guard ready else {
            task.cancel()
            throw DemoError("the cloud service did not start within 20 s")
        }
        let base = "http://127.0.0.1:\(configuration.http.port)"
        let backend = AppBackendClient(base: try HTTPJSONClient.BaseURL(parsing: base), appId: demo.app.id,
                                       secret: demo.secret, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        return LocalCloud(base: base, appId: demo.app.id, appSecret: demo.secret, modelId: demo.model.id,
                          turnAddress: cloud.turnAddress, task: task, group: group, backend: backend)
    }

    /// Stops the service.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    /// The demo app's backend (users, tokens, tickets, authorizations over the HTTP API).
    var backend: AppBackendClient { backendClient }
}

/// A demo or benchmark that could not go on.
struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A free 127.0.0.1 port, found by binding port 0 and closing again (TCP, UDP, or both on the same number).
enum FreePort {
    static func pick(tcp: Bool, udp: Bool) throws -> Int {
        for _ in 0..<50 {
            guard let port = bind(SOCK_STREAM, 0) ?? bind(SOCK_DGRAM, 0) else { continue }
            if tcp, bind(SOCK_STREAM, port) == nil { continue }
            if udp, bind(SOCK_DGRAM, port) == nil { continue }
            return port
        }
        throw DemoError("no free port")
    }

    /// Binds 127.0.0.1:`port` and closes; returns the port bound, nil when it was taken.
    private static func bind(_ type: __socket_type, _ port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: out.sin_port))
    }
}

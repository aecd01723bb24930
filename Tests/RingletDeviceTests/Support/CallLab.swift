import Foundation
import Glibc
import NIOCore
import NIOPosix
import RingletCall
import RingletCore
import RingletDevice
import RingletNIO
import RingletPhone
import RingletSignaling
import RingletTestSupport
import Testing

/// A private network namespace with only `lo` up, a real `ringlet serve --dev` process in it, and event loops in
/// it for the device SDK and the headless phone of a test: every socket of a call is a real socket on that
/// namespace's loopback, and the network can be cut there with nftables.
final class CallLab: @unchecked Sendable {
    // @unchecked Sendable: set up once in `start`; the child-process handle is only touched by the test's task.
    let namespace: NetworkNamespace
    let group: MultiThreadedEventLoopGroup
    let folder: URL
    private(set) var serve: RingletTestSupport.ChildProcess
    let base: String
    let modelId: String
    let backend: AppBackendClient

    static let ringTimeoutSeconds = 3

    private init(namespace: NetworkNamespace, group: MultiThreadedEventLoopGroup, folder: URL, serve: RingletTestSupport.ChildProcess,
                 base: String, modelId: String, backend: AppBackendClient) {
        self.namespace = namespace
        self.group = group
        self.folder = folder
        self.serve = serve
        self.base = base
        self.modelId = modelId
        self.backend = backend
    }

    /// Runs `body` with a fresh lab and tears it all down afterwards, even when `body` throws.
    static func with<R>(_ body: (CallLab) async throws -> R) async throws -> R {
        let lab = try await start()
        do {
            let r = try await body(lab)
            await lab.stop()
            return r
        } catch {
            await lab.stop()
            throw error
        }
    }

    static func start() async throws -> CallLab {
        guard geteuid() == 0 else { throw TestSupportError("the device call tests need root (network namespaces)") }
        let ns = try NetworkNamespace.create(name: "ringlet-dev-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        let folder = try temporaryFolder(prefix: "ringlet-devlab")
        do {
            let group = try await ns.makeEventLoopGroup()
            let serve = try launchServe(ns, folder, name: "serve")
            guard await serve.waitForLine(containing: "listening on", timeout: 60) != nil,
                  let demo = await serve.waitForLine(containing: "demo app:", timeout: 1) else {
                await serve.stop()
                throw TestSupportError("ringlet serve did not start: \(serve.errorText)")
            }
            let fields = Dictionary(uniqueKeysWithValues: demo.split(separator: " ").compactMap { part -> (String, String)? in
                let kv = part.split(separator: "=", maxSplits: 1)
                return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
            })
            guard let appId = fields["id"], let secret = fields["secret"], let model = fields["model"] else {
                await serve.stop()
                throw TestSupportError("unexpected demo app line: \(demo)")
            }
            let base = "http://127.0.0.1:8080"
            let backend = AppBackendClient(base: try HTTPJSONClient.BaseURL(parsing: base), appId: appId, secret: secret,
                                           eventLoopGroup: group)
            return CallLab(namespace: ns, group: group, folder: folder, serve: serve, base: base, modelId: model,
                           backend: backend)
        } catch {
            ns.delete()
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    static func launchServe(_ ns: NetworkNamespace, _ folder: URL, name: String) throws -> RingletTestSupport.ChildProcess {
        try RingletTestSupport.ChildProcess(
            "ip", arguments: Array(ns.exec([
                try ringletExecutable(), "serve", "--dev", "--data-dir", folder.appendingPathComponent("server").path,
                "--http", "127.0.0.1:8080", "--turn", "127.0.0.1:3478", "--allow-loopback-peers",
                "--ring-timeout", String(ringTimeoutSeconds),
            ]).dropFirst()),
            folder: folder, name: name)
    }

    /// Stops the server (SIGTERM, graceful).
    func stopServer() async {
        await serve.stop()
    }

    /// Starts the server again on the same data folder and ports.
    func restartServer() async throws {
        await serve.stop()
        serve = try Self.launchServe(namespace, folder, name: "serve-again-\(UInt16.random(in: 0...UInt16.max))")
        guard await serve.waitForLine(containing: "listening on", timeout: 60) != nil else {
            throw TestSupportError("ringlet serve did not start again: \(serve.errorText)")
        }
    }

    func stop() async {
        await serve.stop()
        try? await group.shutdownGracefully()
        namespace.delete()
        try? FileManager.default.removeItem(at: folder)
    }

    var appId: String { backend.appId }

    /// A user of the demo app with a session token.
    struct User {
        let id: String
        let openId: String
        let token: String
    }

    func user(_ name: String) async throws -> User {
        let u = try await backend.createUser(name: name)
        return User(id: u.id, openId: u.openId, token: try await backend.sessionToken(userId: u.id))
    }

    /// A fresh SN ticket for `sn`, authorized by every user in `authorizedBy`.
    func provision(sn: String, authorizedBy users: [User]) async throws -> String {
        let ticket = try await backend.ticket(sn: sn, modelId: modelId)
        for u in users { try await backend.authorize(token: u.token, sn: sn, ticket: ticket) }
        return ticket
    }

    /// A headless phone for `user`, running until the returned handle stops it.
    func phone(_ user: User, policy: RingletPhone.AnswerPolicy, relayOnly: Bool = false,
               configure: (inout RingletPhone.Configuration) -> Void = { _ in }) async throws -> PhoneHandle {
        var c = RingletPhone.Configuration(server: base, token: user.token)
        c.answerPolicy = policy
        c.iceTransportPolicy = relayOnly ? .relay : .all
        c.eventLoopGroup = group
        configure(&c)
        let phone = try RingletPhone(configuration: c)
        let handle = PhoneHandle(phone: phone)
        guard await poll(seconds: eventually, { handle.online }) else { throw TestSupportError("the phone did not come online") }
        return handle
    }

    /// Runs a command in the namespace (`nft`, `ip`) and waits for it.
    func run(_ argv: [String]) async throws {
        let p = try RingletTestSupport.ChildProcess("ip", arguments: Array(namespace.exec(argv).dropFirst()), folder: folder,
                                 name: "cmd-\(UInt32.random(in: 0...UInt32.max))")
        guard await p.wait(timeout: 10), p.terminationStatus == 0 else {
            throw TestSupportError("\(argv.joined(separator: " ")) failed: \(p.errorText)")
        }
    }

    /// Drops every UDP datagram in the namespace (media, STUN, TURN); signaling (TCP) goes on.
    func blockUDP() async throws {
        try await run(["nft", "add", "table", "inet", "ringlet_block"])
        try await run(["nft", "add", "chain", "inet", "ringlet_block", "input",
                 "{ type filter hook input priority 0 ; policy accept ; }"])
        try await run(["nft", "add", "rule", "inet", "ringlet_block", "input", "meta", "l4proto", "udp", "drop"])
    }
}

/// A phone and the events it saw.
final class PhoneHandle: @unchecked Sendable {
    // @unchecked Sendable: `events` is under `lock`; the tasks only run while the handle lives.
    let phone: RingletPhone
    private let lock = NSLock()
    private var seen: [RingletPhone.Event] = []
    private var tasks: [Task<Void, Never>] = []

    init(phone: RingletPhone) {
        self.phone = phone
        tasks.append(Task { await phone.run() })
        tasks.append(Task { [weak self] in
            for await e in phone.events { self?.lock.withLock { self?.seen.append(e) } }
        })
    }

    var events: [RingletPhone.Event] { lock.withLock { seen } }
    var online: Bool { events.contains { if case .online = $0 { true } else { false } } }

    /// The call ids it rang for.
    var rings: [String] { events.compactMap { if case .ringing(let r) = $0 { r.callId } else { nil } } }

    /// The `call_event`s it received, as `event`.
    var callEvents: [String] { events.compactMap { if case .callEvent(let e) = $0 { e.event.rawValue } else { nil } } }

    /// Why its ring stopped.
    var ringStops: [String] { events.compactMap { if case .ringStopped(let s) = $0 { s.reason.rawValue } else { nil } } }

    func stop() async {
        await phone.stop()
        for t in tasks { t.cancel() }
    }
}

/// How long a test waits for something that must happen: long, because the whole suite runs at once on two
/// cores and a starved run is slow, not wrong. Waiting ends as soon as the condition holds; where a time is part
/// of what is tested (the 5 s of a cut path, the ring timeout) the test measures it from the recorded times.
let eventually = 30.0

/// Polls `condition` every 20 ms for at most `seconds`.
func poll(seconds: Double, _ condition: () async -> Bool) async -> Bool {
    let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// Runs a blocking call on a thread of its own (facade methods block; the cooperative pool must stay free).
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in
        Thread.detachNewThread { c.resume(returning: body()) }
    }
}

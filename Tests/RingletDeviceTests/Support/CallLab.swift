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
import RingletWebTestSupport
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
    /// Whether the server was started with `--allow-loopback-peers` (kept across a restart).
    let allowLoopbackPeers: Bool

    static let ringTimeoutSeconds = 3
    static let tlsBase = "https://localhost:8443"

    private init(namespace: NetworkNamespace, group: MultiThreadedEventLoopGroup, folder: URL, serve: RingletTestSupport.ChildProcess,
                 base: String, modelId: String, backend: AppBackendClient, allowLoopbackPeers: Bool,
                 certificate: TestCA.Issued?, caFile: String?) {
        self.allowLoopbackPeers = allowLoopbackPeers
        self.namespace = namespace
        self.group = group
        self.folder = folder
        self.serve = serve
        self.base = base
        self.modelId = modelId
        self.backend = backend
        self.certificate = certificate
        self.caFile = caFile
    }

    /// With `tls`, the server's certificate (for `localhost`, from a CA made for the lab) and that CA's file, which
    /// devices and phones are told to trust: the server serves HTTPS and WSS on 127.0.0.1:8443 and TURN over TLS
    /// on 127.0.0.1:5349 besides TURN over UDP and TCP on 3478; clients name it `localhost` (an https:// server
    /// is named by the host name its certificate names), and `iceServers` say `turns:localhost:5349`.
    let certificate: TestCA.Issued?
    let caFile: String?

    /// Runs `body` with a fresh lab and tears it all down afterwards, even when `body` throws. The server keeps
    /// its default TURN peer policy unless `allowLoopbackPeers` (a relay-only call on one loopback needs it).
    static func with<R>(allowLoopbackPeers: Bool = false, tls: Bool = false, _ body: (CallLab) async throws -> R)
        async throws -> R
    {
        let lab = try await start(allowLoopbackPeers: allowLoopbackPeers, tls: tls)
        do {
            let r = try await body(lab)
            await lab.stop()
            return r
        } catch {
            await lab.stop()
            throw error
        }
    }

    static func start(allowLoopbackPeers: Bool = false, tls: Bool = false) async throws -> CallLab {
        guard geteuid() == 0 else { throw TestSupportError("the device call tests need root (network namespaces)") }
        let ns = try NetworkNamespace.create(name: "ringlet-dev-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        let folder = try temporaryFolder(prefix: "ringlet-devlab")
        do {
            let group = try await ns.makeEventLoopGroup()
            var certificate: TestCA.Issued?
            var caFile: String?
            if tls {
                let ca = try await TestCA.make(in: folder.appendingPathComponent("ca"))
                certificate = try await ca.issue(file: "server", dnsNames: ["localhost"])
                caFile = ca.certificatePath
            }
            let serve = try launchServe(ns, folder, name: "serve", allowLoopbackPeers: allowLoopbackPeers,
                                        certificate: certificate)
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
            let base = tls ? Self.tlsBase : "http://127.0.0.1:8080"
            let backend = AppBackendClient(base: try HTTPJSONClient.BaseURL(parsing: base), appId: appId, secret: secret,
                                           eventLoopGroup: group,
                                           tlsConfiguration: try ClientTLS.configuration(trusting: caFile))
            return CallLab(namespace: ns, group: group, folder: folder, serve: serve, base: base, modelId: model,
                           backend: backend, allowLoopbackPeers: allowLoopbackPeers, certificate: certificate,
                           caFile: caFile)
        } catch {
            ns.delete()
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    static func launchServe(_ ns: NetworkNamespace, _ folder: URL, name: String, allowLoopbackPeers: Bool,
                            certificate: TestCA.Issued?) throws -> RingletTestSupport.ChildProcess
    {
        let listeners = certificate.map {
            ["--http", "127.0.0.1:8443", "--tls-cert", $0.chainPath, "--tls-key", $0.keyPath,
             "--turn-tls", "127.0.0.1:5349", "--public-base-url", tlsBase]
        } ?? ["--http", "127.0.0.1:8080"]
        return try RingletTestSupport.ChildProcess(
            "ip", arguments: Array(ns.exec([
                try ringletExecutable(), "serve", "--dev", "--data-dir", folder.appendingPathComponent("server").path,
                "--turn", "127.0.0.1:3478", "--ring-timeout", String(ringTimeoutSeconds),
            ] + listeners + (allowLoopbackPeers ? ["--allow-loopback-peers"] : [])).dropFirst()),
            folder: folder, name: name)
    }

    /// Stops the server (SIGTERM, graceful).
    func stopServer() async {
        await serve.stop()
    }

    /// Starts the server again on the same data folder and ports.
    func restartServer() async throws {
        await serve.stop()
        serve = try Self.launchServe(namespace, folder, name: "serve-again-\(UInt16.random(in: 0...UInt16.max))",
                                     allowLoopbackPeers: allowLoopbackPeers, certificate: certificate)
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

    /// The outcome of `user`'s newest call as the server's history keeps it (`GET /v1/me/calls`).
    func lastCallOutcome(_ user: User) async throws -> String? {
        struct Calls: Decodable {
            struct Call: Decodable { let outcome: String }
            let items: [Call]
        }
        let calls = try await backend.send(.GET, "/v1/me/calls?limit=1", nil,
                                           auth: ("Authorization", "Bearer \(user.token)"), as: Calls.self)
        return calls.items.first?.outcome
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
        c.tlsConfiguration = try ClientTLS.configuration(trusting: caFile)
        configure(&c)
        let phone = try RingletPhone(configuration: c)
        let handle = PhoneHandle(phone: phone)
        guard await poll(seconds: eventually, { handle.online }) else { throw TestSupportError("the phone did not come online") }
        return handle
    }

    /// Drops every UDP datagram in the namespace (media, STUN, TURN); signaling (TCP) goes on.
    func blockUDP() async throws {
        try await namespace.blockUDP(folder: folder)
    }

    /// Drops what reaches the server's TURN port 3478: over UDP only, or also over TCP. Relays still carry
    /// media to and from each other over UDP on the loopback; only the clients' way to the TURN server is cut,
    /// so TURN over TCP (or, with TCP 3478 cut too, TURN over TLS on 5349) is the only way left to allocate.
    func blockTURNPort(tcpToo: Bool) async throws {
        try await namespace.dropOutput(toPorts: [("udp", 3478)] + (tcpToo ? [("tcp", 3478)] : []), folder: folder)
    }
}

/// How long a test waits for something that must happen: long, because the whole suite runs at once on two
/// cores and a starved run is slow, not wrong. Waiting ends as soon as the condition holds; where a time is part
/// of what is tested (the 5 s of a cut path, the ring timeout) the test measures it from the recorded times.
let eventually = 30.0

/// Runs a blocking call on a thread of its own (facade methods block; the cooperative pool must stay free).
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in
        Thread.detachNewThread { c.resume(returning: body()) }
    }
}

/// How many pictures ffmpeg decodes from the raw stream at `path` (`format`: h264, hevc), and what it printed.
func ffmpegDecodedFrames(_ path: String, format: String, folder: URL) async throws -> (frames: Int, log: String) {
    let decode = try ChildProcess("ffmpeg", arguments: ["-hide_banner", "-f", format, "-i", path, "-f", "null", "-"],
                                  folder: folder, name: "decode")
    guard await decode.wait(timeout: 60) else { throw TestSupportError("ffmpeg did not decode \(path) in 60 s") }
    // ffmpeg's progress line: "frame=   NN".
    let frames = decode.errorText.components(separatedBy: "frame=").last.map {
        Int($0.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber }) ?? 0
    } ?? 0
    return (frames, String(decode.errorText.suffix(600)))
}

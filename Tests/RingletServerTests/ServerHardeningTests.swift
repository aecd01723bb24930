import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTestSupport
import Testing

@Suite("Hardening: limits configuration, descriptor budget, secrets kept off the command line and logs")
struct ServerHardeningTests {
    func file(_ text: String, name: String = "ringlet.json") throws -> String {
        let url = try temporaryFolder(prefix: "ringlet-hardening").appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test("the TURN secret comes from a file's first line; an empty file or a missing one is refused")
    func turnSecretFile() throws {
        // A production configuration (no --dev) names its Web Push contact (docs/push.md).
        let production = ["RINGLET_VAPID_SUBJECT": "mailto:ops@example.com"]
        let path = try file("from-a-file\nignored\n", name: "secret")
        let configuration = try ServerConfiguration.resolve(flags: .init(turnSecretFile: path), environment: production)
        #expect(configuration.turnSecret == "from-a-file")
        let env = try ServerConfiguration.resolve(
            flags: .init(), environment: production.merging(["RINGLET_TURN_SECRET_FILE": path]) { a, _ in a })
        #expect(env.turnSecret == "from-a-file")
        let empty = try file("\n", name: "empty")
        #expect { try ServerConfiguration.resolve(flags: .init(turnSecretFile: empty), environment: production) }
            throws: { "\($0)".contains("secret") }
        #expect { try ServerConfiguration.resolve(flags: .init(turnSecretFile: "/no/such/secret"), environment: production) }
            throws: { "\($0)".contains("secret") }
    }

    @Test("limits come from the file's limits object, keep their defaults otherwise, and unknown or zero ones are refused")
    func limitsFromFile() throws {
        let path = try file(#"{"dev": true, "limits": {"httpMaxConnections": 77, "noticeBurst": 3}}"#)
        let configuration = try ServerConfiguration.resolve(flags: .init(configFile: path), environment: [:])
        #expect(configuration.limits.httpMaxConnections == 77)
        #expect(configuration.limits.noticeBurst == 3)
        #expect(configuration.limits.turnUserQuota == ServerLimits().turnUserQuota)
        let quota = try ServerConfiguration.resolve(flags: .init(configFile: path, turnUserQuota: 4),
                                                    environment: [:])
        #expect(quota.limits.turnUserQuota == 4)
        for bad in [#"{"dev": true, "limits": {"nonsense": 1}}"#, #"{"dev": true, "limits": {"noticeBurst": 0}}"#,
                    #"{"dev": true, "limits": {"httpMaxConnectionsPerIP": 5000}}"#] {
            #expect(throws: ServerConfigurationError.self) {
                try ServerConfiguration.resolve(flags: .init(configFile: try file(bad)), environment: [:])
            }
        }
    }

    @Test("loopback and private peers are separate settings; the metrics listener is configured by address")
    func peerSettings() throws {
        let loopback = try ServerConfiguration.resolve(flags: .init(allowLoopbackPeers: true, dev: true), environment: [:])
        #expect(loopback.allowLoopbackPeers && !loopback.allowPrivatePeers)
        let turn = RingletCloud.turnConfiguration(loopback, secret: "s", turnIP: .loopbackV4)
        #expect(turn.allowLoopbackPeers && !turn.allowPrivatePeers)
        #expect(turn.deniedPeerAddresses.contains(.init(.loopbackV4, 8080)))
        #expect(turn.deniedPeerAddresses.contains(.init(.loopbackV4, 3478)))
        #expect(!turn.ownAddresses.contains(.loopbackV4), "loopback peers are allowed: only the service ports stay out")
        let strict = RingletCloud.turnConfiguration(
            try ServerConfiguration.resolve(flags: .init(dev: true, metrics: "127.0.0.1:9100"), environment: [:]),
            secret: "s", turnIP: .loopbackV4)
        #expect(strict.ownAddresses.contains(.loopbackV4))
        #expect(strict.deniedPeerAddresses.contains(.init(.loopbackV4, 9100)))
        let both = try ServerConfiguration.resolve(flags: .init(), environment: ["RINGLET_ALLOW_PRIVATE_PEERS": "1",
                                                                                 "RINGLET_DEV": "1"])
        #expect(both.allowPrivatePeers && !both.allowLoopbackPeers)
    }

    @Test("the three descriptor-holding caps are fitted into the descriptor limit in proportion, leaving 128")
    func descriptorBudget() {
        let limits = ServerLimits()
        let (roomy, enough) = DescriptorBudget.fit(limits, descriptorLimit: 20_000)
        #expect(!enough.scaled && roomy == limits)
        let (tight, budget) = DescriptorBudget.fit(limits, descriptorLimit: 1024)
        #expect(budget.scaled)
        #expect(tight.httpMaxConnections == 76 && tight.turnTCPMaxConnections == 76 && tight.turnMaxAllocations == 743)
        #expect(tight.httpMaxConnections + tight.turnTCPMaxConnections + tight.turnMaxAllocations <= 1024 - 128)
        #expect(tight.httpMaxConnectionsPerIP <= tight.httpMaxConnections)
        #expect(DescriptorBudget.raiseSoftLimit() >= 1024)
    }

    @Test("a generated admin token goes to the terminal, or without one to a 0600 file; the printed line never holds it")
    func adminTokenOffTheLog() throws {
        var configuration = ServerConfiguration()
        configuration.dataDir = try temporaryFolder(prefix: "ringlet-token").path
        let token = "rla_generated-token-0123456789"
        let line = try ServerBootstrap.revealAdminToken(token, configuration: configuration)
        #expect(!line.contains(token))
        let path = (configuration.dataDir as NSString).appendingPathComponent(ServerBootstrap.adminTokenFile)
        let tty = open("/dev/tty", O_WRONLY | O_NOCTTY)
        if tty >= 0 {
            close(tty)
            #expect(line.contains("terminal"))
        } else {
            #expect(line.contains(path))
            #expect(try String(contentsOfFile: path, encoding: .utf8) == token + "\n")
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test("the janitor purges on start and the bootstrap closes calls a crash left open")
    func housekeepingServices() async throws {
        let store = try await APITestStore()
        let now: Int64 = 1_800_000_000_000
        try await store.insertApp(AppRecord(id: "app_1", name: "A", secretHash: "h", releaseApproved: true, callQuota: nil, createdAt: 1))
        try await store.insertModel(ModelRecord(id: "m", appID: "app_1", name: "M", createdAt: 1))
        try await store.insertUser(UserRecord(id: "u", appID: "app_1", openID: "o", name: "U", createdAt: 1))
        try await store.insertSession(SessionRecord(tokenHash: "old", userID: "u", appID: "app_1", channel: .release,
                                              expiresAt: now - 1, createdAt: 1))
        try await store.insertCall(CallRecord(id: "call_1", appID: "app_1", sn: "S", userID: "u", direction: .deviceToUser,
                                        kind: .video, channel: .release, outcome: .active, startedAt: now - 5000))
        let janitor = StoreJanitor(store: store, limits: ServerLimits(), metricsFactory: PrometheusMetricsFactory(),
                                   logger: Logger(label: "test"), clock: { now })
        #expect(await janitor.purgeOnce()?.sessions == 1)
        #expect(try await store.session(tokenHash: "old") == nil)
        #expect(try await ServerBootstrap.closeInterruptedCalls(store: store, now: now) == 1)
        #expect(try await store.call(id: "call_1")?.outcome == .interrupted)
    }

    @Test("a session outbox that overflows drops what it holds, runs its action once and refuses more")
    func outboxOverflow() async {
        let overflows = Counted()
        let outbox = SessionOutbox(maximumMessages: 3, maximumBytes: 1 << 20, onOverflow: { overflows.add() })
        let ping = ServerMessage.pong(RequestReference(requestId: "p"))
        #expect((0..<3).allSatisfy { _ in outbox.put(.message(ping)) })
        #expect(!outbox.put(.message(ping)))
        #expect(outbox.overflowed && outbox.count == 0)
        #expect(!outbox.put(.message(ping)))
        #expect(overflows.value == 1)
        #expect(await outbox.next() == nil)
        let bytes = SessionOutbox(maximumMessages: 100, maximumBytes: 100)
        #expect(!bytes.put(.message(.pong(RequestReference(requestId: String(repeating: "x", count: 200))))))
    }
}

/// A thread-safe counter for callbacks.
final class Counted: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

@Suite("HTTP connection guard over loopback")
struct HTTPGuardLiveTests {
    /// A server with short deadlines and a per-address cap of 2.
    func harness(headTimeout: Int = 1) async throws -> APIHarness {
        try await APIHarness(configure: {
            $0.limits.httpHeadTimeoutSeconds = headTimeout
            $0.limits.httpKeepAliveIdleSeconds = 1
            $0.limits.httpMaxConnectionsPerIP = 2
        })
    }

    @Test("a connection that sends nothing, or half a head, is closed at the head deadline")
    func silentClosed() async throws {
        try await harness().run(.live) { client in
            let port = try #require(client.port)
            let silent = try RawSocket(port: port)
            let half = try RawSocket(port: port)
            half.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            let start = ContinuousClock.now
            #expect(await silent.waitForClose(seconds: 10))
            #expect(await half.waitForClose(seconds: 10))
            #expect(ContinuousClock.now - start < .seconds(6))
        }
    }

    @Test("of three connections from one address one is closed at once, two stay; a whole request is answered, then the idle one closes")
    func perAddressCap() async throws {
        try await harness(headTimeout: 4).run(.live) { client in
            let port = try #require(client.port)
            // From an address of their own (the test client's connections come from 127.0.0.1). Which of the
            // three the server refuses depends on which event loop accepts first.
            let sockets = try (0..<3).map { _ in try RawSocket(port: port, from: "127.0.0.5") }
            // The refused one is closed at accept: wait for a close (bounded), then exactly one is closed.
            let end = ContinuousClock.now + .seconds(10)
            while !sockets.contains(where: \.isClosed), ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(10))
            }
            let refused = sockets.filter(\.isClosed)
            #expect(refused.count == 1)
            let kept = try #require(sockets.first { socket in !refused.contains { $0 === socket } })
            kept.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await kept.read(seconds: 10).starts(with: Array("HTTP/1.1 200".utf8)))
            #expect(await kept.waitForClose(seconds: 10), "idle after its answer: closed after 1 s")
        }
    }
}

/// A loopback TCP socket for the guard tests (no event loop: the test controls every byte; waits poll without blocking).
final class RawSocket {
    let fd: Int32

    init(port: Int, from source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        _ = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw TestSupportError("connect: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
    }

    /// Whether the server has closed the connection by now (a look that does not wait: `MSG_PEEK|MSG_DONTWAIT`).
    var isClosed: Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// What arrives within `seconds`: the first bytes, or nothing. Polls without blocking (the test runs on the
    /// cooperative pool, which a blocking read would starve).
    func read(seconds: Double) async -> [UInt8] {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < end {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { return Array(buffer.prefix(n)) }
            if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { return [] }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return []
    }

    /// Whether the server closes the connection within `seconds` (reading and dropping what it sends); polls
    /// without blocking.
    func waitForClose(seconds: Double) async -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < end {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n == 0 { return true }
            if n < 0, errno != EAGAIN, errno != EWOULDBLOCK { return true }
            if n < 0 { try? await Task.sleep(for: .milliseconds(10)) }
        }
        return false
    }
}

import Foundation
import Glibc
import RingletCore
import RingletSTUN
import Testing
@testable import RingletTURN

/// Why a coturn test could not run or failed outside an expectation.
struct CoturnTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A coturn `turnserver` this test started on 127.0.0.1, with the TURN REST shared secret; only this process
/// is ever signalled, every wait is bounded.
final class CoturnServer {
    static let secret = "SECRET"
    static let realm = "ringlet.test"
    let process: Process
    let port: UInt16
    let log: URL

    /// The command-line flags (checked against `turnserver --help` of coturn 4.6).
    static func arguments(port: UInt16) -> [String] {
        ["-n", "--listening-port=\(port)", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
         "--use-auth-secret", "--static-auth-secret=\(secret)", "--realm=\(realm)", "--allow-loopback-peers",
         "--cli-password=x", "--no-cli", "--no-tls", "--no-dtls", "--log-file=stdout", "--simple-log"]
    }

    /// Starts turnserver on a free port and waits (at most 10 s) until it answers a STUN Binding request.
    /// Throws (the test fails, it does not skip) if turnserver is not installed.
    init() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let tool = (path.split(separator: ":") + ["/usr/bin", "/usr/sbin"]).map({ "\($0)/turnserver" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw CoturnTestError("turnserver is not installed (apt-get install -y coturn); the coturn tests need it")
        }
        port = try CoturnServer.freePort()
        log = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-coturn-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = CoturnServer.arguments(port: port)
        process.standardInput = FileHandle.nullDevice
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        do {
            try waitUntilListening()
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// The log so far (for failure messages).
    var logText: String { String(((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(4000)) }

    /// SIGTERM, then SIGKILL, to this process only, each wait bounded.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if waitForExit(seconds: 3) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(seconds: 2)
    }

    private func waitForExit(seconds: Double) -> Bool {
        for _ in 0..<Int(seconds * 50) where process.isRunning { usleep(20_000) }
        return !process.isRunning
    }

    private func waitUntilListening() throws {
        let probe = try TestUDPSocket()
        var rng = SeededRandom(seed: 1)
        for _ in 0..<100 {
            guard process.isRunning else { throw CoturnTestError("turnserver exited: \(logText)") }
            let request = try STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
            try probe.send(request.encoded(), to: port)
            if let reply = probe.receive(timeoutMilliseconds: 100), STUNMessage.looksLikeSTUN(reply.bytes) { return }
        }
        throw CoturnTestError("turnserver did not answer on 127.0.0.1:\(port) within 10 s: \(logText)")
    }

    /// A port free for both UDP and TCP on 127.0.0.1 a moment ago.
    static func freePort() throws -> UInt16 {
        for _ in 0..<50 {
            let udp = try TestUDPSocket()
            let port = udp.port
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(tcp) }
            var addr = loopback(port: port)
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(tcp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if ok == 0, port > 1024 { return port }
        }
        throw CoturnTestError("no free port on 127.0.0.1")
    }
}

func loopback(port: UInt16) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return addr
}

/// A UDP socket on 127.0.0.1 (plain Glibc) with bounded receives.
final class TestUDPSocket {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw CoturnTestError("socket() failed: errno \(errno)") }
        var addr = loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw CoturnTestError("bind failed: errno \(errno)")
        }
        var local = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = UInt16(bigEndian: local.sin_port)
    }

    deinit { close(fd) }

    var address: TransportAddress { TransportAddress(.loopbackV4, port) }

    func send(_ bytes: [UInt8], to port: UInt16) throws {
        var addr = loopback(port: port)
        let n = withUnsafePointer(to: &addr) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard n == bytes.count else { throw CoturnTestError("sendto failed: errno \(errno)") }
    }

    /// One datagram and its source port, if one arrives within the timeout.
    func receive(timeoutMilliseconds: Int32) -> (bytes: [UInt8], port: UInt16)? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var from = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buffer.withUnsafeMutableBytes { b in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT), $0, &len) }
            }
        }
        guard n > 0 else { return nil }
        return (Array(buffer.prefix(n)), UInt16(bigEndian: from.sin_port))
    }
}

/// A TCP connection to 127.0.0.1 (plain Glibc) with bounded receives.
final class TestTCPSocket {
    let fd: Int32
    let localPort: UInt16

    init(connectingTo port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CoturnTestError("socket() failed: errno \(errno)") }
        var addr = loopback(port: port)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            close(fd)
            throw CoturnTestError("connect(\(port)) failed: errno \(errno)")
        }
        var local = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        localPort = UInt16(bigEndian: local.sin_port)
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        // Bounded: each pass sends at least one byte or throws.
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw CoturnTestError("send failed: errno \(errno)") }
            sent += n
        }
    }

    func receive(timeoutMilliseconds: Int32) -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard n > 0 else { return nil }
        return Array(buffer.prefix(n))
    }
}

/// Drives a ``TURNClient`` over real sockets to coturn, on the monotonic clock plus a settable skew (to reach
/// refresh times without waiting minutes).
final class CoturnDriver {
    var client: TURNClient
    let udp: TestUDPSocket?
    let tcp: TestTCPSocket?
    let serverPort: UInt16
    var skew: Duration = .zero
    var events: [TURNClient.Event] = []
    var sent: [[UInt8]] = []
    var received: [[UInt8]] = []

    init(client: TURNClient, serverPort: UInt16) throws {
        self.client = client
        self.serverPort = serverPort
        if client.configuration.transport == .tcp {
            tcp = try TestTCPSocket(connectingTo: serverPort)
            udp = nil
        } else {
            udp = try TestUDPSocket()
            tcp = nil
        }
    }

    var localPort: UInt16 { udp?.port ?? tcp?.localPort ?? 0 }

    var now: Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)) + skew
    }

    /// Sends outputs, feeds received bytes and timeouts, until `done` holds for the new events or `seconds`
    /// pass. Returns whether `done` held.
    @discardableResult
    func pump(seconds: Double = 5, until done: ([TURNClient.Event]) -> Bool) throws -> Bool {
        let start = events.count
        let deadline = now + .milliseconds(Int64(seconds * 1000))
        while now < deadline {
            while let output = client.pollOutput() {
                switch output {
                case .transmit(let bytes):
                    sent.append(bytes)
                    if let udp { try udp.send(bytes, to: serverPort) } else { try tcp?.send(bytes) }
                case .event(let e):
                    events.append(e)
                }
            }
            if done(Array(events[start...])) { return true }
            if let udp, let d = udp.receive(timeoutMilliseconds: 20) {
                received.append(d.bytes)
                client.handleIncoming(d.bytes, now: now)
            } else if let tcp, let bytes = tcp.receive(timeoutMilliseconds: 20) {
                received.append(bytes)
                client.handleIncoming(bytes, now: now)
            }
            if let t = client.pollTimeout(), t <= now { client.handleTimeout(now: now) }
        }
        return false
    }
}

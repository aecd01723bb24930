import ArgumentParser
import Dispatch
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import RingletCore
import RingletNIO
import RingletServer
import RingletTURN
import Metrics

/// `ringlet bench turn`: coturn and Ringlet's TURN server side by side under the same `turnutils_uclient` load.
struct TURNBenchCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "turn",
        abstract: "coturn vs Ringlet's TURN server: messages/s, loss and CPU-seconds per relayed message."
    )

    @Option(help: "Rounds per server (alternating coturn, Ringlet); figures are min/median/max over rounds.")
    var rounds: Int = 3

    @Option(help: "Concurrent clients per round (turnutils_uclient -m).")
    var clients: Int = 16

    @Option(help: "Messages each client sends (turnutils_uclient -n).")
    var messages: Int = 2000

    @Option(help: "Payload bytes per message (turnutils_uclient -l).")
    var payload: Int = 160

    @Option(help: "Milliseconds between a client's messages (turnutils_uclient -z).")
    var interval: Int = 1

    @Option(help: "Seconds one load run may take before it is killed.")
    var timeout: Double = 180

    @Flag(help: "Relay with channels (ChannelBind, ChannelData) instead of Send/Data indications (uclient -s).")
    var channels = false

    @Flag(help: "Clients reach both servers over TURN over TLS (uclient -t -S; coturn's TLS listener, Ringlet's turns: listener).")
    var tls = false

    func validate() throws {
        guard (1...50).contains(rounds) else { throw ValidationError("--rounds must be 1…50") }
        guard (1...200).contains(clients) else { throw ValidationError("--clients must be 1…200") }
        guard (1...1_000_000).contains(messages) else { throw ValidationError("--messages must be 1…1000000") }
        guard (20...1400).contains(payload) else { throw ValidationError("--payload must be 20…1400") }
        guard (0...1000).contains(interval) else { throw ValidationError("--interval must be 0…1000") }
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be in (0, 3600]") }
    }

    func runBlocking() throws {
        let load = TURNBench.Load(clients: clients, messages: messages, payload: payload, interval: interval,
                                  channels: channels, tls: tls, timeout: timeout)
        let report = try TURNBench.run(rounds: rounds, load: load)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}

/// `ringlet bench turn-server` (hidden): Ringlet's TURN server alone in this process, for `bench turn`. Prints
/// `listening udp=IP:PORT tcp=IP:PORT` once bound, then serves until killed (SIGTERM/SIGINT).
struct TURNServerBenchCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "turn-server",
        abstract: "Runs only Ringlet's TURN server until killed (used by `ringlet bench turn`).",
        shouldDisplay: false
    )

    @Option(help: "UDP and TCP listening address, IP:PORT (port 0: any).")
    var listen: String = "127.0.0.1:0"

    @Option(help: "The IP relay sockets bind to.")
    var relayIP: String = "127.0.0.1"

    @Option(help: "The TURN REST shared secret.")
    var secret: String

    @Option(help: "The realm.")
    var realm: String = "ringlet.test"

    @Flag(help: "Let clients relay to loopback peers.")
    var allowLoopbackPeers = false

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: also serve TURN over TLS (with --tls-key).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("tls-listen"), help: "TURN over TLS listening address, IP:PORT (port 0: any).")
    var tlsListen: String = "127.0.0.1:0"

    func runBlocking() throws {
        guard let address = TransportAddress(listen) else { throw ValidationError("--listen: not IP:PORT") }
        guard let relay = IPAddress(relayIP) else { throw ValidationError("--relay-ip: not an IP") }
        guard let tlsAddress = TransportAddress(tlsListen) else { throw ValidationError("--tls-listen: not IP:PORT") }
        var configuration = TURNServer.Configuration(sharedSecret: Array(secret.utf8))
        configuration.realm = realm
        configuration.allowLoopbackPeers = allowLoopbackPeers
        // Like coturn's defaults: no per-user quota (bench clients share one id and leave allocations behind), no
        // bandwidth caps and no limit on answers per source (every bench client is on 127.0.0.1).
        configuration.maxAllocationsPerUser = configuration.maxAllocations
        configuration.allocationBytesPerSecond = 0
        configuration.totalBytesPerSecond = 0
        configuration.unauthenticatedAnswersPerSecond = 1_000_000
        configuration.unauthenticatedAnswerBurst = 1_000_000
        var streams: [TURNRelayServer.StreamListener] = []
        if let tlsCert, let tlsKey {
            // The same TLS set-up as `ringlet serve`'s turns: listener (RingletServer's TLSConnectionSetup).
            let store = try TLSContextStore(certificateFile: tlsCert, keyFile: tlsKey)
            let setup = TLSConnectionSetup(store: store, role: .turn, handshakeTimeout: .seconds(10),
                                           publicBaseURL: "https://127.0.0.1", logger: Logger(label: "ringlet.turn"),
                                           metricsFactory: NOOPMetricsHandler.instance)
            streams.append(.init(address: tlsAddress) { try setup.addHandlers(to: $0) })
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let started = BlockingResult<TURNRelayServer>()
        Task {
            do {
                started.set(.success(try await TURNRelayServer.start(
                    configuration: configuration, listen: address, relay: .init(bindIP: relay), streamListeners: streams,
                    group: group, logger: Logger(label: "ringlet.turn"))))
            } catch {
                started.set(.failure(error))
            }
        }
        let server = try started.wait()
        let tls = server.streamAddresses.first.map { " tls=\($0)" } ?? ""
        print("listening udp=\(server.udpAddress) tcp=\(server.tcpAddress)\(tls)")
        fflush(nil)
        while true { pause() }  // until a signal ends the process
    }
}

/// Hands one result from a task to a blocked synchronous caller.
final class BlockingResult<Value>: @unchecked Sendable {
    // @unchecked Sendable: `result` is written once before `semaphore.signal()` and read after `wait()`.
    private let semaphore = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    func set(_ result: Result<Value, any Error>) {
        self.result = result
        semaphore.signal()
    }

    func wait() throws -> Value {
        semaphore.wait()
        guard let result else { throw BenchError("no result") }
        return try result.get()
    }
}

/// The report of `ringlet bench turn`.
struct TURNBenchReport: Encodable {
    struct Server: Encodable {
        var messagesPerSecond: Range
        var cpuMicrosecondsPerMessage: Range
        /// The kernel's share (stime) of the CPU time.
        var systemShare: Range
        var lostPackets: [Int]
        var relayedMessages: [Int]
        var version: String

        enum CodingKeys: String, CodingKey {
            case messagesPerSecond = "relayed_messages_per_s"
            case cpuMicrosecondsPerMessage = "cpu_us_per_relayed_message"
            case systemShare = "cpu_system_share"
            case lostPackets = "lost_packets"
            case relayedMessages = "relayed_messages"
            case version
        }
    }

    /// min / median / max.
    struct Range: Encodable {
        var min: Double
        var median: Double
        var max: Double

        init(_ values: [Double], places: Int = 1) {
            let s = values.sorted()
            min = rounded(s.first ?? 0, places: places)
            median = rounded(s.isEmpty ? 0 : s[s.count / 2], places: places)
            max = rounded(s.last ?? 0, places: places)
        }
    }

    var bench = "turn"
    var rounds: Int
    var load: TURNBench.Load
    var coturn: Server
    var ringlet: Server
    /// Ringlet's CPU per relayed message over coturn's, round by round.
    var cpuRatio: Range
    var goal = "cpu ratio ringlet/coturn <= 1 (aim 0.7), zero loss"

    enum CodingKeys: String, CodingKey {
        case bench, rounds, load, coturn, ringlet, goal
        case cpuRatio = "cpu_per_message_ratio_ringlet_over_coturn"
    }
}

enum TURNBench {
    /// One `turnutils_uclient` load, the same for both servers.
    struct Load: Encodable {
        var clients: Int
        var messages: Int
        var payload: Int
        var interval: Int
        /// ChannelData (uclient without `-s`) rather than Send/Data indications.
        var channels: Bool
        /// Clients connect over TURN over TLS (uclient `-t -S`).
        var tls: Bool
        var timeout: Double

        enum CodingKeys: String, CodingKey {
            case clients = "uclient_m", messages = "uclient_n", payload = "uclient_l", interval = "uclient_z_ms"
            case relay, transport
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(clients, forKey: .clients)
            try c.encode(messages, forKey: .messages)
            try c.encode(payload, forKey: .payload)
            try c.encode(interval, forKey: .interval)
            try c.encode(channels ? "ChannelData" : "Send/Data indications", forKey: .relay)
            try c.encode(tls ? "TLS" : "UDP", forKey: .transport)
        }

        /// The `turnutils_uclient` arguments for this load (server address and secret aside).
        var uclientArguments: [String] {
            // -c: no RTCP (its EVEN-PORT R=1 reservation gets 508 from Ringlet); -s: Send/Data indications;
            // -t -S: TURN over TLS (the relay to the peer stays UDP).
            ["-c"] + (channels ? [] : ["-s"]) + (tls ? ["-t", "-S"] : [])
                + ["-m", "\(clients)", "-n", "\(messages)", "-l", "\(payload)", "-z", "\(interval)"]
        }
    }

    /// One load run against one server.
    struct RoundResult {
        var sent: Int
        var received: Int
        var lost: Int
        var seconds: Double
        var cpuSeconds: Double
        var systemSeconds: Double
        var relayed: Int { sent + received }
    }

    static let secret = "bench-secret-\(UInt32.random(in: 0...UInt32.max))"

    static func run(rounds: Int, load: Load) throws -> TURNBenchReport {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-bench-turn-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        for tool in ["turnserver", "turnutils_uclient", "turnutils_peer"] where which(tool) == nil {
            throw BenchError("\(tool) is not installed (apt-get install -y coturn)")
        }
        let peerPort = try freePort()
        let peer = try ChildProcess.spawn(["turnutils_peer", "-L", "127.0.0.1", "-p", "\(peerPort)"])
        defer { peer.terminate() }

        // TLS: one self-signed certificate (ECDSA P-256, like the test CA's) for both servers.
        let certificate = folder.appendingPathComponent("cert.pem").path, key = folder.appendingPathComponent("key.pem").path
        if load.tls {
            guard which("openssl") != nil else { throw BenchError("openssl is not installed (apt-get install -y openssl)") }
            guard try runBounded(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                  "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=bench",
                                  "-addext", "subjectAltName=IP:127.0.0.1"], seconds: 30) == 0
            else { throw BenchError("openssl could not make the bench's certificate") }
        }

        let coturnPort = try freePort()
        let coturnTLSPort = load.tls ? try freePort() : 0
        let coturnLog = folder.appendingPathComponent("coturn.log").path
        let coturnTLS = load.tls
            ? ["--tls-listening-port=\(coturnTLSPort)", "--cert=\(certificate)", "--pkey=\(key)", "--no-dtls"]
            : ["--no-tls", "--no-dtls"]
        let coturn = try ChildProcess.spawn([
            "turnserver", "-n", "--listening-port=\(coturnPort)", "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1", "--use-auth-secret", "--static-auth-secret=\(secret)",
            "--realm=ringlet.test", "--allow-loopback-peers", "--no-cli",
            "--log-file=stdout", "--simple-log", "--no-stdout-log", "--min-port=40000", "--max-port=60000",
        ] + coturnTLS, outputPath: coturnLog)
        defer { coturn.terminate() }

        let ringletLog = folder.appendingPathComponent("ringlet.log").path
        let ringlet = try ChildProcess.spawn([
            CommandLine.arguments[0], "bench", "turn-server", "--listen", "127.0.0.1:0", "--secret", secret,
            "--allow-loopback-peers",
        ] + (load.tls ? ["--tls-cert", certificate, "--tls-key", key] : []), outputPath: ringletLog)
        defer { ringlet.terminate() }
        let ringletPorts = try waitForListening(logPath: ringletLog, timeout: 10)
        try waitForSTUN(port: coturnPort, timeout: 10)
        try waitForSTUN(port: ringletPorts.udp, timeout: 10)
        // Where the load goes: the TLS listeners, or the UDP ones.
        let coturnLoadPort = load.tls ? coturnTLSPort : coturnPort
        guard let ringletLoadPort = load.tls ? ringletPorts.tls : ringletPorts.udp else {
            throw BenchError("ringlet bench turn-server printed no TLS address")
        }
        // A warm-up run each, not counted (allocations' first paths, page faults).
        var warmUp = load
        warmUp.messages = min(load.messages, 100)
        _ = try runLoad(warmUp, port: coturnLoadPort, serverPID: coturn.pid, peerPort: peerPort, folder: folder)
        _ = try runLoad(warmUp, port: ringletLoadPort, serverPID: ringlet.pid, peerPort: peerPort, folder: folder)

        var coturnRounds: [RoundResult] = [], ringletRounds: [RoundResult] = []
        for _ in 0..<rounds {
            coturnRounds.append(try runLoad(load, port: coturnLoadPort, serverPID: coturn.pid, peerPort: peerPort,
                                            folder: folder))
            ringletRounds.append(try runLoad(load, port: ringletLoadPort, serverPID: ringlet.pid, peerPort: peerPort,
                                             folder: folder))
        }
        func summary(_ results: [RoundResult], version: String) -> TURNBenchReport.Server {
            TURNBenchReport.Server(
                messagesPerSecond: .init(results.map { Double($0.relayed) / max($0.seconds, 1e-9) }),
                cpuMicrosecondsPerMessage: .init(results.map { $0.cpuSeconds * 1e6 / Double(max($0.relayed, 1)) },
                                                 places: 2),
                systemShare: .init(results.map { $0.systemSeconds / max($0.cpuSeconds, 1e-9) }, places: 2),
                lostPackets: results.map(\.lost), relayedMessages: results.map(\.relayed), version: version)
        }
        let ratios = zip(ringletRounds, coturnRounds).map { r, c in
            let rc = r.cpuSeconds / Double(max(r.relayed, 1)), cc = c.cpuSeconds / Double(max(c.relayed, 1))
            return cc > 0 ? rc / cc : 0
        }
        return TURNBenchReport(
            rounds: rounds, load: load, coturn: summary(coturnRounds, version: coturnVersion()),
            ringlet: summary(ringletRounds, version: load.tls
                ? "ringlet 0.1.0 (TURNRelayServer: TLS on SwiftNIO + swift-nio-ssl, relays on one epoll thread)"
                : "ringlet 0.1.0 (TURNRelayServer, one epoll thread)"),
            cpuRatio: .init(ratios, places: 3))
    }

    /// Runs `turnutils_uclient` against `port` (bounded by `load.timeout`) and measures the server's CPU.
    static func runLoad(_ load: Load, port: UInt16, serverPID: pid_t, peerPort: UInt16, folder: URL) throws
        -> RoundResult
    {
        let output = folder.appendingPathComponent("uclient-\(port).log").path
        let before = try cpuSeconds(of: serverPID)
        let start = ContinuousClock.now
        let client = try ChildProcess.spawn(
            ["turnutils_uclient"] + load.uclientArguments
                + ["-u", "bench", "-W", secret, "-e", "127.0.0.1", "-r", "\(peerPort)", "-p", "\(port)", "127.0.0.1"],
            outputPath: output)
        let deadline = start + .milliseconds(Int64(load.timeout * 1000))
        while client.exitStatus() == nil {
            guard ContinuousClock.now < deadline else {
                client.terminate()
                throw BenchError("turnutils_uclient against port \(port) did not finish in \(load.timeout) s")
            }
            usleep(10_000)
        }
        let elapsed = ContinuousClock.now - start
        let after = try cpuSeconds(of: serverPID)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard let figures = parseUClient(text) else {
            throw BenchError("no summary from turnutils_uclient (port \(port)): \(text.suffix(1500))")
        }
        let (s, atto) = elapsed.components
        return RoundResult(sent: figures.sent, received: figures.received, lost: figures.lost,
                           seconds: Double(s) + Double(atto) / 1e18, cpuSeconds: after.total - before.total,
                           systemSeconds: after.system - before.system)
    }

    /// `start_mclient: tot_send_msgs=N, tot_recv_msgs=M` and `Total lost packets L`.
    static func parseUClient(_ text: String) -> (sent: Int, received: Int, lost: Int)? {
        var sent: Int?, received: Int?, lost: Int?
        func number(after marker: String, in line: Substring) -> Int? {
            guard let r = line.range(of: marker) else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        for line in text.split(separator: "\n") {
            if line.contains("tot_send_msgs="), !line.contains("msz=") {
                sent = number(after: "tot_send_msgs=", in: line)
                received = number(after: "tot_recv_msgs=", in: line)
            }
            if let l = number(after: "Total lost packets ", in: line) { lost = l }
        }
        guard let sent, let received, let lost else { return nil }
        return (sent, received, lost)
    }

    /// utime + stime (`total`) and stime (`system`) of a process (all its threads), from /proc/<pid>/stat, in
    /// seconds.
    static func cpuSeconds(of pid: pid_t) throws -> (total: Double, system: Double) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { throw BenchError("cannot read /proc/\(pid)/stat") }
        // After "pid (comm) ": field 3 is state; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) else {
            throw BenchError("unexpected /proc/\(pid)/stat")
        }
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ((utime + stime) / tick, stime / tick)
    }

    static func coturnVersion() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-coturn-version-\(getpid())")
        defer { try? FileManager.default.removeItem(at: path) }
        _ = try? ChildProcess.run(["turnserver", "--version"], outputPath: path.path)
        let text = (try? String(contentsOf: path, encoding: .utf8)) ?? ""
        return "coturn " + text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(60)
    }

    /// A port free for UDP and TCP on 127.0.0.1 (bound with port 0, then released).
    static func freePort() throws -> UInt16 {
        for _ in 0..<20 {
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard udp >= 0 else { break }
            defer { Glibc.close(udp) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                    bind(udp, p, length) == 0 && getsockname(udp, p, &length) == 0
                }
            }
            guard bound else { continue }
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard tcp >= 0 else { break }
            defer { Glibc.close(tcp) }
            let tcpBound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(tcp, $0, length) == 0 }
            }
            if tcpBound { return UInt16(bigEndian: address.sin_port) }
        }
        throw BenchError("no free port on 127.0.0.1")
    }

    /// Waits for the `listening udp=127.0.0.1:PORT tcp=… [tls=127.0.0.1:PORT]` line of `ringlet bench
    /// turn-server`; returns the UDP port and the TLS one.
    static func waitForListening(logPath: String, timeout: Double) throws -> (udp: UInt16, tls: UInt16?) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening udp=") }) {
                var ports: [String: UInt16] = [:]
                for field in line.split(separator: " ").dropFirst() {
                    let parts = field.split(separator: "=", maxSplits: 1)
                    if parts.count == 2, let address = TransportAddress(String(parts[1])) { ports[String(parts[0])] = address.port }
                }
                if let udp = ports["udp"] { return (udp, ports["tls"]) }
            }
            usleep(20_000)
        }
        throw BenchError("ringlet bench turn-server did not start: \(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(800))")
    }

    /// Waits until a Binding request to `port` is answered (the server is up). Each probe may take 2 s:
    /// `turnutils_stunclient` waits forever when its one request is lost.
    static func waitForSTUN(port: UInt16, timeout: Double) throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            if try runBounded(["turnutils_stunclient", "-p", "\(port)", "127.0.0.1"], seconds: 2) == 0 { return }
            usleep(100_000)
        }
        throw BenchError("no STUN answer on port \(port)")
    }

    /// Runs `argv` for at most `seconds`: its exit status, or nil when it had to be stopped.
    static func runBounded(_ argv: [String], seconds: Double) throws -> Int32? {
        let child = try ChildProcess.spawn(argv, outputPath: "/dev/null")
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < end {
            if let status = child.exitStatus() { return status }
            usleep(20_000)
        }
        child.terminate(graceMilliseconds: 200)
        return nil
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"])
            .map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

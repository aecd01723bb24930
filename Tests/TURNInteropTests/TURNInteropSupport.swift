import Foundation
import Logging
import NIOCore
import NIOPosix
import RingletCore
import RingletNIO
import RingletTestSupport
import RingletTURN

/// Ringlet's TURN server on 127.0.0.1 (ephemeral port, loopback peers allowed) on its own one-thread loop group.
final class LiveTURNServer {
    static let secret = "interop-secret-\(UInt32.random(in: 0...UInt32.max))"
    static let realm = "ringlet.test"

    let server: TURNRelayServer
    let group: MultiThreadedEventLoopGroup

    private init(server: TURNRelayServer, group: MultiThreadedEventLoopGroup) {
        self.server = server
        self.group = group
    }

    static func start() async throws -> LiveTURNServer {
        var configuration = TURNServer.Configuration(sharedSecret: Array(secret.utf8))
        configuration.realm = realm
        configuration.allowLoopbackPeers = true
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let server = try await TURNRelayServer.start(
                configuration: configuration, listen: TransportAddress(.loopbackV4, 0), relayIP: .loopbackV4,
                group: group, logger: Logger(label: "ringlet.turn.interop"))
            return LiveTURNServer(server: server, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    var port: UInt16 { server.udpAddress.port }

    func stop() async {
        await server.shutdown()
        try? await group.shutdownGracefully()
    }
}

/// What a bounded run of a tool printed.
struct ToolRun {
    let exited: Bool
    let status: Int32?
    let output: String
}

/// Runs `tool` (from Debian `package`; absent → the test fails) for at most `timeout` seconds, killed by pid
/// after that, and returns what it printed on stdout and stderr. Blocking waits run off the cooperative pool.
func runTool(_ tool: String, package: String, _ arguments: [String], timeout: Double) async throws -> ToolRun {
    let path = try requireTool(tool, package: package)
    return try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            do {
                let child = try RingletTestSupport.ChildProcess(path, arguments: arguments)
                let exited = child.wait(timeout: timeout)
                child.stop()
                continuation.resume(returning: ToolRun(exited: exited, status: child.terminationStatus,
                                                       output: child.outputText + "\n" + child.errorText))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// `turnutils_peer` (coturn's UDP echo peer) on 127.0.0.1 at a free port, stopped by pid.
final class EchoPeer {
    let process: RingletTestSupport.ChildProcess
    let port: UInt16

    init() throws {
        let path = try requireTool("turnutils_peer", package: "coturn")
        port = try LoopbackUDPSocket.freePort()
        process = try RingletTestSupport.ChildProcess(path, arguments: ["-L", "127.0.0.1", "-p", "\(port)"])
        usleep(200_000)  // let it bind; a UDP echo has no readiness line
    }

    deinit { process.stop() }
}

/// The figures of a `turnutils_uclient` run, from its summary lines:
/// `start_mclient: tot_send_msgs=N, tot_recv_msgs=M` and `Total lost packets L (…%)`.
struct UClientSummary: Equatable {
    var sent: Int
    var received: Int
    var lost: Int

    init?(_ output: String) {
        var sent: Int?, received: Int?, lost: Int?
        for line in output.split(separator: "\n") {
            if line.contains("tot_send_msgs="), !line.contains("msz=") {
                sent = Self.number(after: "tot_send_msgs=", in: line)
                received = Self.number(after: "tot_recv_msgs=", in: line)
            }
            if line.contains("Total lost packets ") { lost = Self.number(after: "Total lost packets ", in: line) }
        }
        guard let sent, let received, let lost else { return nil }
        self.sent = sent
        self.received = received
        self.lost = lost
    }

    static func number(after marker: String, in line: Substring) -> Int? {
        guard let range = line.range(of: marker) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}

/// The first `IP:port` after `marker` in `output` (e.g. "UDP reflexive addr: 127.0.0.1:41156").
func transportAddress(after marker: String, in output: String) -> TransportAddress? {
    for line in output.split(separator: "\n") {
        guard let range = line.range(of: marker) else { continue }
        let text = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        let token = text.prefix { !$0.isWhitespace }
        if let address = TransportAddress(String(token)) { return address }
    }
    return nil
}

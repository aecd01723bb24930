import Foundation
import RingletCore
import RingletSTUN
import RingletTestSupport
import Testing
@testable import RingletTURN

/// A coturn `turnserver` this test started on 127.0.0.1, with the TURN REST shared secret; only this process
/// is ever signalled, every wait is bounded.
final class CoturnServer {
    static let secret = "SECRET"
    static let realm = "ringlet.test"
    let process: ChildProcess
    let port: UInt16

    /// The command-line flags (checked against `turnserver --help` of coturn 4.6).
    static func arguments(port: UInt16) -> [String] {
        ["-n", "--listening-port=\(port)", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
         "--use-auth-secret", "--static-auth-secret=\(secret)", "--realm=\(realm)", "--allow-loopback-peers",
         "--cli-password=x", "--no-cli", "--no-tls", "--no-dtls", "--log-file=stdout", "--simple-log"]
    }

    /// Starts turnserver on a free port and waits (at most 10 s) until it answers a STUN Binding request.
    /// Throws (the test fails, it does not skip) if turnserver is not installed.
    init() throws {
        let tool = try requireTool("turnserver", package: "coturn")
        port = try LoopbackUDPSocket.freePort(alsoForTCP: true)
        process = try ChildProcess(tool, arguments: CoturnServer.arguments(port: port), name: "turnserver")
        do {
            try waitUntilListening()
        } catch {
            stop()
            throw error
        }
    }

    /// The log so far (for failure messages).
    var logText: String { String((process.outputText + process.errorText).suffix(4000)) }

    /// SIGTERM, then SIGKILL, to this process only, each wait bounded.
    func stop() { process.stop() }

    private func waitUntilListening() throws {
        let probe = try LoopbackUDPSocket()
        var rng = SeededRandom(seed: 1)
        for _ in 0..<100 {
            guard process.isRunning else { throw TestSupportError("turnserver exited: \(logText)") }
            let request = try STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
            try probe.send(request.encoded(), to: port)
            if let reply = probe.receive(timeoutMilliseconds: 100), STUNMessage.looksLikeSTUN(reply) { return }
        }
        throw TestSupportError("turnserver did not answer on 127.0.0.1:\(port) within 10 s: \(logText)")
    }
}

/// Drives a ``TURNClient`` over real sockets to coturn, on the monotonic clock plus a settable skew (to reach
/// refresh times without waiting minutes).
final class CoturnDriver {
    var client: TURNClient
    let udp: LoopbackUDPSocket?
    let tcp: LoopbackTCPSocket?
    let serverPort: UInt16
    var skew: Duration = .zero
    var events: [TURNClient.Event] = []
    var sent: [[UInt8]] = []
    var received: [[UInt8]] = []

    init(client: TURNClient, serverPort: UInt16) throws {
        self.client = client
        self.serverPort = serverPort
        if client.configuration.transport == .tcp {
            tcp = try LoopbackTCPSocket(connectingTo: serverPort)
            udp = nil
        } else {
            udp = try LoopbackUDPSocket()
            tcp = nil
        }
    }

    var localPort: UInt16 { udp?.port ?? tcp?.localPort ?? 0 }

    var now: Instant { monotonicNow() + skew }

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
                received.append(d)
                client.handleIncoming(d, now: now)
            } else if let tcp, let bytes = tcp.receive(timeoutMilliseconds: 20) {
                received.append(bytes)
                client.handleIncoming(bytes, now: now)
            }
            if let t = client.pollTimeout(), t <= now { client.handleTimeout(now: now) }
        }
        return false
    }
}

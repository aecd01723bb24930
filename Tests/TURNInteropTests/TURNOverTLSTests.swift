import Foundation
import Glibc
import RingletCore
import RingletNIO
import RingletTestSupport
import Testing

/// `ringlet serve` as a child process (optionally inside a network namespace), for TURN as operators run it.
final class ServeTURNProcess {
    static let secret = "tls-interop-\(UInt32.random(in: 0...UInt32.max))"
    let folder: URL
    let process: RingletTestSupport.ChildProcess

    /// Starts `ringlet serve ARGS --turn-secret S --allow-loopback-peers --vapid-subject …` and waits (60 s) for
    /// `listening on`.
    init(folder: URL, arguments: [String], namespace: NetworkNamespace? = nil) async throws {
        self.folder = folder
        var command = [try ringletExecutable(), "serve", "--data-dir", folder.appendingPathComponent("data").path,
                       "--turn-secret", Self.secret, "--allow-loopback-peers",
                       "--vapid-subject", "mailto:tests@ringlet.example.com"] + arguments
        if let namespace { command = namespace.exec(command) }
        process = try RingletTestSupport.ChildProcess(command[0], arguments: Array(command.dropFirst()), folder: folder,
                                   name: "serve-\(UInt16.random(in: 0...UInt16.max))",
                                   options: .init(environment: ["LOG_LEVEL": "debug"], grace: 5))
        guard await process.waitForLine(containing: "listening on ", timeout: 60) != nil else {
            await process.stop()
            throw TestSupportError("ringlet serve did not start: \(process.errorText)")
        }
    }

    func stop() async { await process.stop() }
}

/// Runs `turnutils_uclient ARGS` (bounded) and returns its summary and output.
func uclient(_ arguments: [String], namespace: NetworkNamespace? = nil) async throws -> (UClientSummary?, String) {
    var command = ["turnutils_uclient", "-u", "interop", "-W", ServeTURNProcess.secret] + arguments
    if let namespace { command = namespace.exec(command) }
    let run = try await runTool(command[0], package: command[0] == "ip" ? "iproute2" : "coturn",
                                Array(command.dropFirst()), timeout: 90)
    #expect(run.exited, "turnutils_uclient did not finish: \(run.output.suffix(1500))")
    return (UClientSummary(run.output), run.output)
}

@Suite("TURN over TLS and on every address: coturn's client against ringlet serve", .serialized, .timeLimit(.minutes(6)))
struct TURNOverTLSTests {
    @Test("turnutils_uclient -S (TLS, the test CA verified) relays through ringlet serve's turns: listener to turnutils_peer with zero loss", arguments: [
        ["-s"], [],  // Send/Data indications; channels
    ])
    func uclientOverTLS(_ mode: [String]) async throws {
        let folder = try temporaryFolder(prefix: "ringlet-turns")
        let authority = try await TestCA.make(in: folder)
        let leaf = try await authority.issue(file: "server", dnsNames: ["ringlet.test"], ipAddresses: ["127.0.0.1"])
        let http = try LoopbackUDPSocket.freePort(alsoForTCP: true), turn = try LoopbackUDPSocket.freePort(alsoForTCP: true)
        let turnTLS = try LoopbackUDPSocket.freePort(alsoForTCP: true)
        let server = try await ServeTURNProcess(folder: folder, arguments: [
            "--http", "127.0.0.1:\(http)", "--turn", "127.0.0.1:\(turn)", "--turn-tls", "127.0.0.1:\(turnTLS)",
            "--tls-cert", leaf.chainPath, "--tls-key", leaf.keyPath,
        ])
        let peer = try EchoPeer()
        let (summary, output) = try await uclient(
            ["-t", "-S", "-E", authority.certificatePath, "-c"] + mode
                + ["-e", "127.0.0.1", "-r", "\(peer.port)", "-p", "\(turnTLS)", "-m", "4", "-n", "100", "-l", "160", "127.0.0.1"])
        let figures = try #require(summary, "no summary: \(output.suffix(1500))\n\(server.process.errorText.suffix(1500))")
        #expect(figures.sent == 400)
        #expect(figures.received == 400)
        #expect(figures.lost == 0)
        await server.stop()
    }

    @Test("one address: TURN over TLS on the HTTPS port itself relays with zero loss while curl gets the web app there")
    func turnAndHTTPSOnOnePort() async throws {
        let folder = try temporaryFolder(prefix: "ringlet-turns-443")
        let authority = try await TestCA.make(in: folder)
        let leaf = try await authority.issue(file: "server", dnsNames: ["ringlet.test"], ipAddresses: ["127.0.0.1"])
        let http = try LoopbackUDPSocket.freePort(alsoForTCP: true), turn = try LoopbackUDPSocket.freePort(alsoForTCP: true)
        let server = try await ServeTURNProcess(folder: folder, arguments: [
            "--http", "127.0.0.1:\(http)", "--turn", "127.0.0.1:\(turn)", "--turn-tls", "127.0.0.1:\(http)",
            "--tls-cert", leaf.chainPath, "--tls-key", leaf.keyPath,
        ])
        #expect(server.process.outputText.contains("TURN over TLS on 127.0.0.1:\(http)"))
        let peer = try EchoPeer()
        async let relay = uclient(["-t", "-S", "-E", authority.certificatePath, "-c", "-s", "-e", "127.0.0.1", "-r", "\(peer.port)",
                                   "-p", "\(http)", "-m", "4", "-n", "100", "-l", "160", "127.0.0.1"])
        let page = try await runTool("curl", package: "curl", ["-sS", "-m", "15", "--cacert", authority.certificatePath, "-o",
                                                                "/dev/null", "-w", "%{http_code}",
                                                                "https://127.0.0.1:\(http)/app/"], timeout: 20)
        #expect(page.output.hasPrefix("200"), "\(page.output)")
        let (summary, output) = try await relay
        let figures = try #require(summary, "no summary: \(output.suffix(1500))\n\(server.process.errorText.suffix(1500))")
        #expect(figures.received == 400 && figures.lost == 0, "\(figures)")
        await server.stop()
    }

    @Test("a graceful stop does not wait for TURN clients on the HTTPS port: SIGTERM ends ringlet serve within 15 s while uclient still relays")
    func gracefulStopWithTURNOnHTTPSPort() async throws {
        let folder = try temporaryFolder(prefix: "ringlet-turns-stop")
        let authority = try await TestCA.make(in: folder)
        let leaf = try await authority.issue(file: "server", dnsNames: ["ringlet.test"], ipAddresses: ["127.0.0.1"])
        let http = try LoopbackUDPSocket.freePort(alsoForTCP: true), turn = try LoopbackUDPSocket.freePort(alsoForTCP: true)
        let server = try await ServeTURNProcess(folder: folder, arguments: [
            "--http", "127.0.0.1:\(http)", "--turn", "127.0.0.1:\(turn)", "--turn-tls", "127.0.0.1:\(http)",
            "--tls-cert", leaf.chainPath, "--tls-key", leaf.keyPath,
        ])
        let peer = try EchoPeer()
        // Two clients sending for minutes (10 ms apart), killed by pid at the end.
        let client = try RingletTestSupport.ChildProcess(
            try requireTool("turnutils_uclient", package: "coturn"),
            arguments: ["-u", "interop", "-W", ServeTURNProcess.secret, "-t", "-S", "-E", authority.certificatePath, "-c", "-s",
                        "-e", "127.0.0.1", "-r", "\(peer.port)", "-p", "\(http)", "-m", "2", "-n", "30000", "-z", "10",
                        "127.0.0.1"],
            folder: folder, name: "uclient-long")
        defer { client.stop() }
        #expect(await server.process.waitForLine(containing: "TURN over TLS on the HTTPS port", timeout: 30) != nil,
                "\(server.process.errorText.suffix(1500))")
        #expect(client.isRunning, "the client is still relaying when the server is told to stop")
        let stopping = ContinuousClock.now
        server.process.send(SIGTERM)
        #expect(await server.process.wait(timeout: 15), "still running 15 s after SIGTERM")
        #expect(server.process.terminationStatus == 0)
        #expect(ContinuousClock.now - stopping < .seconds(15))
    }

    @Test("--turn 0.0.0.0 in a namespace with two addresses: STUN answers on each, relays are announced with --turn-external-ip in --turn-relay-ports, and clients relay to each other's announced addresses with zero loss")
    func everyAddressExternalIP() async throws {
        guard geteuid() == 0 else { throw TestSupportError("this test needs root (ip netns)") }
        let namespace = try NetworkNamespace.create(name: "ringlet-turn-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        defer { namespace.delete() }
        for step in [["link", "add", "d0", "type", "veth", "peer", "name", "d1"], ["addr", "add", "10.99.0.1/24", "dev", "d0"],
                     ["link", "set", "d1", "up"],
                     ["link", "set", "d0", "up"]] {
            let run = try await runTool("ip", package: "iproute2", ["-n", namespace.name] + step, timeout: 10)
            #expect(run.status == 0, "ip \(step): \(run.output)")
        }
        let folder = try temporaryFolder(prefix: "ringlet-turn-any")
        let server = try await ServeTURNProcess(folder: folder, arguments: [
            "--http", "127.0.0.1:8080", "--turn", "0.0.0.0:3478", "--turn-external-ip", "203.0.113.7",
            "--turn-relay-ports", "40000-40019",
        ], namespace: namespace)
        for address in ["127.0.0.1", "10.99.0.1"] {
            let command = namespace.exec(["turnutils_stunclient", "-p", "3478", address])
            let stun = try await runTool(command[0], package: "iproute2", Array(command.dropFirst()), timeout: 15)
            #expect(stun.output.contains("UDP reflexive addr: \(address):"), "STUN on \(address): \(stun.output)")
        }
        // Two clients per pair relaying to each other's relayed (announced) addresses: 203.0.113.7 is not
        // routable in the namespace, so only the server's local delivery of its own relays carries them.
        let (summary, output) = try await uclient(["-y", "-c", "-s", "-v", "-m", "2", "-n", "50", "-l", "160",
                                                   "-p", "3478", "10.99.0.1"], namespace: namespace)
        let relays = output.split(separator: "\n").compactMap { line -> TransportAddress? in
            guard let range = line.range(of: "Received relay addr: ") else { return nil }
            return TransportAddress(String(line[range.upperBound...].prefix { !$0.isWhitespace }))
        }
        #expect(!relays.isEmpty, "\(output.suffix(1500))")
        for relay in relays {
            #expect(relay.ip == IPAddress(203, 0, 113, 7), "announced relay \(relay)")
            #expect((40000...40019).contains(Int(relay.port)), "relay port \(relay.port) in the range")
        }
        let figures = try #require(summary, "no summary: \(output.suffix(1500))\n\(server.process.errorText.suffix(1500))")
        #expect(figures.sent > 0 && figures.lost == 0, "\(figures)")
        await server.stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

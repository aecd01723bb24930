import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// The deployments of docs/deploy.md, tested: Ringlet terminating TLS itself, and Ringlet behind nginx as the
/// TLS-terminating proxy (with the repository's contrib/nginx/ringlet.conf). The page is loaded from an https://
/// address with a host name (`ringlet.test`), so that it is a secure context only because of HTTPS; the device
/// registers over HTTPS and signals over WSS, trusting the test CA and nothing else.
@Suite("Deployments over HTTPS: Ringlet's own TLS, nginx in front, TURN over TLS", .serialized, .timeLimit(.minutes(6)))
struct DeploymentTests {
    /// The device calls the page's user over the bench's front and the call carries media both ways; returns the
    /// device and its status line.
    func callWithMedia(_ bench: WebAppBench, page: WebPage, link: String = "direct") async throws
        -> (DeviceProcess, [String: Any])
    {
        let device = try await authorizedDevice(bench, page)
        let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
        return (device, try await answerWithMedia(page, device, after: call.mark, link: link))
    }

    /// Runs `command` in the bench's namespace to its end (bounded); its standard output.
    func run(_ bench: WebAppBench, _ command: [String]) async throws -> String {
        try await bench.namespace.output(of: command, folder: bench.folder)
    }

    /// The page came from https://ringlet.test:PORT and the browser counts it as a secure context.
    func expectSecurePage(_ page: WebPage, port: Int) async throws {
        #expect(try await page.string("location.origin") == "https://ringlet.test:\(port)")
        #expect(try await page.string("String(window.isSecureContext)") == "true")
        #expect(try await page.string("new URL(document.baseURI).protocol") == "https:")
    }

    @Test("Ringlet terminating TLS: the page answers from https://, the device registers over HTTPS and calls over WSS, media flows both ways")
    func ringletTLS() async throws {
        try await WebAppBench.run(front: .tls) { bench in
            #expect(bench.server.base == "https://ringlet.test:8080")
            let (_, page) = try await signedInPage(bench)
            try await expectSecurePage(page, port: 8080)
            let (_, status) = try await callWithMedia(bench, page: page)
            #expect(int(status, "videoReceived") > 0 && int(status, "audioReceived") > 0)
            // The device's signaling really is TLS: the server saw no plain request on its port (handshakes that a
            // loaded machine lets time out, or that a browser's speculative connection abandons, are not that).
            for reason in ["plain_http", "plain_stun", "not_tls"] {
                #expect(try await bench.server.metric("ringlet_tls_refused_total", labels: ["reason=\"\(reason)\""]) == 0,
                        "\(reason)")
            }
        }
    }

    @Test("a device that is not told to trust the test CA refuses the server (certificates are verified by default); the same device with --ca-file registers")
    func deviceVerifiesByDefault() async throws {
        try await WebAppBench.run(front: .tls) { bench in
            let ticket = try await bench.server.issueTicket(sn: "DOOR-9", deviceName: "Side door")
            /// `ringlet device` registering with the ticket, with `extra` flags, until it exits (it is told to
            /// exit once online); its registerAvtVoip code.
            func register(_ extra: [String], name: String) async throws -> Int {
                let command = bench.namespace.exec([
                    try ringletExecutable(), "device", "--server", bench.server.base, "--sn", "DOOR-9",
                    "--model", bench.server.modelID, "--app", bench.server.appID,
                    "--data-dir", bench.folder.appendingPathComponent("door-9").path, "--ticket", ticket,
                    "--events-json", "--duration", "1",
                ] + extra)
                let device = try ChildProcess(command[0], arguments: Array(command.dropFirst()), folder: bench.folder,
                                              name: name)
                #expect(await device.wait(timeout: 60), "the device ends")
                let registration = device.outputText.split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
                }.first { $0["cb"] as? String == "registerAvtVoip" }
                return try #require(registration?["code"] as? Int, "\(device.outputText)\n\(device.errorText)")
            }
            // -374: the server cannot be reached (the seed's code; the TLS handshake failed on the certificate).
            #expect(try await register([], name: "untrusting") == -374)
            let untouched = try await bench.server.request("GET", "/v1/apps/\(bench.server.appID)/devices/DOOR-9")
            #expect(untouched.json["registeredAt"] == nil, "nothing reached the API: \(untouched.json)")
            #expect(try await register(["--ca-file", try #require(bench.server.certificates?.caFile)], name: "trusting") == 0)
        }
    }

    @Test("behind nginx (contrib/nginx/ringlet.conf): the page answers from https:// through the proxy, the device registers and signals through it, media flows both ways")
    func behindNginx() async throws {
        try await WebAppBench.run(front: .nginx) { bench in
            #expect(bench.server.base == "https://ringlet.test:\(DevServer.nginxPort)")
            let (browser, page) = try await signedInPage(bench)
            try await expectSecurePage(page, port: DevServer.nginxPort)
            let (device, status) = try await callWithMedia(bench, page: page)
            #expect(int(status, "videoReceived") > 0 && int(status, "audioReceived") > 0)
            // Through nginx: its access log has the device's registration and, once the device and the browser are
            // gone (nginx logs a WebSocket when it ends), both WebSocket upgrades (101).
            await device.stop()
            await browser.stop()
            let log = bench.folder.appendingPathComponent("nginx/access.log")
            var access = ""
            let end = ContinuousClock.now + .seconds(15)
            repeat {
                try await Task.sleep(for: .milliseconds(200))
                access = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            } while !(access.contains("GET /v1/signal/device HTTP/1.1\" 101") && access.contains("GET /v1/signal/user HTTP/1.1\" 101"))
                && ContinuousClock.now < end
            #expect(access.contains("POST /v1/devices/DOOR-1/register"), "\(access.suffix(800))")
            #expect(access.contains("GET /v1/signal/device HTTP/1.1\" 101"), "\(access.suffix(800))")
            #expect(access.contains("GET /v1/signal/user HTTP/1.1\" 101"))
        }
    }

    @Test("relay only with one TURN transport left in the namespace (turn: over TCP, or turns: over TLS): the page says Relayed, with media both ways",
          arguments: ["tcp", "tls"])
    func relayedOverTURNTCPOrTLS(transport: String) async throws {
        // The page's relay sends to the device on 127.0.0.1: loopback peers must be allowed, as in the other
        // relay-only tests (CallTests).
        try await WebAppBench.run(serverFlags: ["--allow-loopback-peers"], front: .tls) { bench in
            // TCP: drop TURN over UDP (3478) and TURN over TLS (5349); TLS: drop TURN over UDP and TCP to 3478.
            let blocked: [(protocol: String, port: Int)] = transport == "tcp"
                ? [("udp", 3478), ("tcp", 5349)] : [("udp", 3478), ("tcp", 3478)]
            _ = try requireTool("nft", package: "nftables")
            try await bench.namespace.dropOutput(toPorts: blocked, folder: bench.folder)
            let port = transport == "tcp" ? 3478 : 5349, other = transport == "tcp" ? 5349 : 3478

            let browser = try await bench.launchBrowser(url: bench.server.appURL + "?ice=relay")
            let page = try await browser.firstPage()
            try await page.emulatePhone()
            try await signIn(page, as: "Ada")
            let (_, status) = try await callWithMedia(bench, page: page, link: "relayed")
            #expect(try await page.string("document.getElementById('call-link').textContent") == "Relayed")
            #expect(status["link"] as? String == "relayed", "the device sees the relay too: \(status)")
            // The relay is reached over the transport left: Chromium holds a TCP connection to its port (and none
            // to the other).
            let used = try await run(bench, ["ss", "-Htn", "state", "established", "( dport = :\(port) )"])
            #expect(!used.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "no connection to \(port)")
            let unused = try await run(bench, ["ss", "-Htn", "state", "established", "( dport = :\(other) )"])
            #expect(unused.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(unused)")
            let relayed = try await bench.server.metric("ringlet_turn_relayed_packets_total", above: 100)
            #expect(relayed > 100, "packets relayed by Ringlet's TURN server: \(relayed)")
        }
    }
}

import Foundation
import Glibc
import NIOPosix
import NIOSSL
import RingletCall
import RingletDevice
import RingletNIO
import RingletPhone
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Issue 14: a device on a network that lets only TCP to port 443 out (a hotel, an office) still calls, through
/// TURN over TLS on the port that serves HTTPS.
///
/// Three namespaces: `pub` holds `ringlet serve` on 203.0.113.254:443 (HTTPS, WSS and TURN over TLS on one port,
/// TURN over UDP/TCP on 3478) and routes between two links; `dev` (203.0.113.1) holds the device, whose nftables
/// drop everything but TCP to and from port 443 (and `lo`); `phone` (198.51.100.2) holds the phone, on an open
/// network. The server keeps its default peer policy; the certificate names 203.0.113.254, from a CA made here.
@Suite("A device that can reach the server only over TCP 443", .serialized, .timeLimit(.minutes(5)))
struct Port443Tests {
    @Test("with every UDP datagram and every TCP port but 443 dropped, the device registers over HTTPS, calls over WSS, and media flows both ways through TURN over TLS on 443")
    func onlyTCP443() async throws {
        guard geteuid() == 0 else { throw TestSupportError("this test needs root (network namespaces)") }
        _ = try requireTool("nft", package: "nftables")
        let tag = "\(getpid() % 10_000)\(UInt16.random(in: 0...UInt16.max) % 1000)"
        let folder = try temporaryFolder(prefix: "ringlet-443")
        var namespaces: [NetworkNamespace] = []
        defer {
            for ns in namespaces.reversed() { ns.delete() }
            try? FileManager.default.removeItem(at: folder)
        }
        func sh(_ argv: [String]) async throws {
            try await namespaces[0].run(argv, folder: folder)  // `ip -n`/`ip link` work from any namespace
        }
        let pub = try NetworkNamespace.create(name: "r443-pub-\(tag)")
        namespaces.append(pub)
        let dev = try NetworkNamespace.create(name: "r443-dev-\(tag)")
        namespaces.append(dev)
        let ph = try NetworkNamespace.create(name: "r443-ph-\(tag)")
        namespaces.append(ph)
        for (ns, link, inside, outside) in [(dev, "vdev", "203.0.113.1", "203.0.113.254"),
                                            (ph, "vph", "198.51.100.2", "198.51.100.254")] {
            try await sh(["ip", "link", "add", "eth0", "netns", ns.name, "type", "veth", "peer", "name", link,
                          "netns", pub.name])
            try await sh(["ip", "-n", pub.name, "addr", "add", "\(outside)/24", "dev", link])
            try await sh(["ip", "-n", pub.name, "link", "set", link, "up"])
            try await sh(["ip", "-n", ns.name, "addr", "add", "\(inside)/24", "dev", "eth0"])
            try await sh(["ip", "-n", ns.name, "link", "set", "eth0", "up"])
            try await sh(["ip", "-n", ns.name, "route", "add", "default", "via", outside])
        }
        try await pub.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"], folder: folder)
        let firewall = folder.appendingPathComponent("only-443.nft")
        try """
            table inet only443 {
                chain output {
                    type filter hook output priority 0; policy drop;
                    oifname "lo" accept
                    tcp dport 443 accept
                    meta l4proto udp counter drop
                }
                chain input {
                    type filter hook input priority 0; policy drop;
                    iifname "lo" accept
                    tcp sport 443 accept
                }
            }

            """.write(to: firewall, atomically: true, encoding: .utf8)
        try await dev.run(["nft", "-f", firewall.path], folder: folder)

        let ca = try await TestCA.make(in: folder.appendingPathComponent("ca"))
        let certificate = try await ca.issue(file: "server", dnsNames: ["ringlet.test", "localhost"])
        let adminToken = "rla_" + String((0..<32).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let server = try RingletTestSupport.ChildProcess(
            "ip", arguments: Array(pub.exec([
                try ringletExecutable(), "serve", "--data-dir", folder.appendingPathComponent("server").path,
                "--http", "0.0.0.0:443", "--tls-cert", certificate.chainPath, "--tls-key", certificate.keyPath,
                "--turn", "203.0.113.254:3478", "--turn-tls", "0.0.0.0:443", "--public-base-url", "https://ringlet.test",
                "--vapid-subject", "mailto:ops@ringlet.test", "--turn-secret", "s3cret-\(tag)",
            ]).dropFirst()),
            folder: folder, name: "serve", options: .init(environment: ["RINGLET_ADMIN_TOKEN": adminToken]))
        guard await server.waitForLine(containing: "listening on", timeout: 60) != nil else {
            throw TestSupportError("ringlet serve did not start: \(server.errorText)")
        }
        // The clients name the server ringlet.test (203.0.113.254 in their namespaces' /etc/hosts, which
        // `ip netns exec` mounts); the operator's set-up below runs on the server's own host, as localhost.
        for ns in [dev, ph] { try WebAppBench.mapHost("ringlet.test", to: "203.0.113.254", in: ns) }
        defer { for ns in [dev, ph] { WebAppBench.unmapHosts(in: ns) } }
        let tls = try ClientTLS.configuration(trusting: ca.certificatePath)
        let group = try await pub.makeEventLoopGroup()
        do {
            try await call(tls: tls, ca: ca, adminToken: adminToken, group: group, dev: dev, ph: ph, folder: folder,
                           tag: tag)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
        await server.stop()
    }

    /// The set-up through the API, the phone, the device, the call and what it used.
    private func call(tls: TLSConfiguration?, ca: TestCA, adminToken: String, group: MultiThreadedEventLoopGroup,
                      dev: NetworkNamespace, ph: NetworkNamespace, folder: URL, tag: String) async throws
    {
        // The operator's set-up, from the server's own host: an app, a model, a user, a ticket.
        let local = "https://localhost:443"
        let admin = HTTPJSONClient(base: try .init(parsing: local), eventLoopGroup: group, tlsConfiguration: tls)
        func adminPost(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
            let response = try await admin.request(.POST, path, json: [UInt8](try JSONSerialization.data(withJSONObject: body)),
                                                   headers: [("Authorization", "Bearer \(adminToken)")])
            guard (200..<300).contains(response.status),
                  let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            else { throw TestSupportError("\(path): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))") }
            return object
        }
        let app = try await adminPost("/v1/apps", ["name": "Doorbells", "releaseApproved": true])
        let appId = try #require(app["id"] as? String), secret = try #require(app["secret"] as? String)
        let model = try #require(try await adminPost("/v1/apps/\(appId)/models", ["name": "Door"])["id"] as? String)
        let backend = AppBackendClient(base: try .init(parsing: local), appId: appId, secret: secret,
                                       eventLoopGroup: group, tlsConfiguration: tls)
        let user = try await backend.createUser(name: "ada")
        let token = try await backend.sessionToken(userId: user.id)
        let sn = "DOOR_443_\(tag)"
        let ticket = try await backend.ticket(sn: sn, modelId: model)
        try await backend.authorize(token: token, sn: sn, ticket: ticket)

        let server = "https://ringlet.test"
        let phone = try DeviceProcess(
            command: [try ringletExecutable(), "phone", "--server", server, "--ca-file", ca.certificatePath,
                      "--token", token, "--answer-after", "0.3", "--events-json"],
            namespace: ph, folder: folder, sn: "phone", dataFolder: folder, name: "phone")
        // The device on default settings (ICE policy all): only TURN over TLS on 443 can work for it.
        let device = try DeviceProcess(base: server, modelID: model, appID: appId, caFile: ca.certificatePath,
                                       namespace: dev, folder: folder, sn: sn, ticket: ticket, arguments: [],
                                       name: "device")
        do {
            try await phone.waitFor("online", timeout: .seconds(30)) { $0["cb"] as? String == "online" }
            try await device.waitUntilReady(timeout: .seconds(30))
            try device.send("call \(user.openId) video")
            try await device.waitForStatus("media both ways", timeout: .seconds(60)) {
                ($0["videoReceived"] as? Int ?? 0) >= 20 && ($0["audioReceived"] as? Int ?? 0) >= 20
                    && ($0["link"] as? String) == "relayed"
            }
            try await phone.waitFor("media from the device", timeout: .seconds(30)) {
                $0["cb"] as? String == "status" && ($0["videoReceived"] as? Int ?? 0) >= 20
                    && ($0["audioReceived"] as? Int ?? 0) >= 20 && ($0["link"] as? String) == "relayed"
            }
            // The device tried UDP (STUN, TURN, checks) and the firewall dropped it; what it holds is TCP to 443:
            // its signaling and its TURN over TLS.
            let rules = try await dev.output(of: ["nft", "list", "table", "inet", "only443"], folder: folder)
            let dropped = rules.split(separator: "\n").first { $0.contains("udp") }
                .flatMap { line in line.split(separator: " ").drop { $0 != "packets" }.dropFirst().first }
                .flatMap { Int($0) } ?? 0
            #expect(dropped > 0, "the firewall dropped no UDP: \(rules)")
            let held = try await dev.output(of: ["ss", "-Htn", "state", "established", "( dport = :443 )"], folder: folder)
                .split(separator: "\n").filter { !$0.isEmpty }
            #expect(held.count >= 2, "connections to 443: \(held)")
            try device.send("hangup")
            try await phone.waitFor("the end of the call") { $0["cb"] as? String == "callEnded" }
        } catch {
            let logs = "\(device.describe())\n\(phone.describe())"
            await device.stop()
            await phone.stop()
            throw TestSupportError("\(error)\n\(logs)")
        }
        await device.stop()
        await phone.stop()
    }
}

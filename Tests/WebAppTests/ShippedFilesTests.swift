import Foundation
import Glibc
import RingletNIO
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// The repository's root.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// docs/deploy.md's files as shipped (contrib/), run in a private network namespace on the real ports (443, 80,
/// 3478, 5349), with only host names, paths and secrets changed: the systemd unit, both JSON configurations,
/// and nginx's site file.
@Suite("The shipped deployment files work as docs/deploy.md says", .serialized, .timeLimit(.minutes(5)))
struct ShippedFilesTests {
    /// The server's namespace with `lo` and one end of a veth pair (this kernel has no dummy interfaces) holding
    /// 198.51.100.1, the other end in a second namespace, the peer's, holding 198.51.100.10 (a public-looking
    /// address: the TURN server's default peer policy relays to it, and it is not one of the server's own
    /// addresses, which a relay may not reach); `ringlet.test` mapped to 127.0.0.1, a test CA and certificate.
    final class Site {
        let namespace: NetworkNamespace
        let peerNamespace: NetworkNamespace
        let folder: URL
        let authority: TestCA
        let leaf: TestCA.Issued
        var processes: [RingletTestSupport.ChildProcess] = []
        static let serverIP = "198.51.100.1"
        static let peerIP = "198.51.100.10"

        init() async throws {
            guard geteuid() == 0 else { throw TestSupportError("these tests need root (ip netns)") }
            let suffix = "\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
            namespace = try NetworkNamespace.create(name: "ringlet-site-\(suffix)")
            peerNamespace = try NetworkNamespace.create(name: "ringlet-peer-\(suffix)")
            folder = try temporaryFolder(prefix: "ringlet-site")
            authority = try await TestCA.make(in: folder)
            leaf = try await authority.issue(file: "server", dnsNames: [ServerCertificates.host],
                                             ipAddresses: ["127.0.0.1", Self.serverIP])
            try WebAppBench.mapHost(ServerCertificates.host, in: namespace)
            let server = ["ip", "-n", namespace.name], peer = ["ip", "-n", peerNamespace.name]
            for step in [server + ["link", "add", "d0", "type", "veth", "peer", "name", "d1", "netns", peerNamespace.name],
                         server + ["addr", "add", "\(Self.serverIP)/24", "dev", "d0"], server + ["link", "set", "d0", "up"],
                         peer + ["addr", "add", "\(Self.peerIP)/24", "dev", "d1"], peer + ["link", "set", "d1", "up"]] {
                let ip = try await run(step, inNamespace: false)
                #expect(ip.status == 0, "\(step): \(ip.output)")
            }
        }

        /// Starts a long-running program in the server's namespace (or the peer's).
        func start(_ command: [String], name: String, inPeer: Bool = false) throws -> RingletTestSupport.ChildProcess {
            let full = (inPeer ? peerNamespace : namespace).exec(command)
            let process = try RingletTestSupport.ChildProcess(full[0], arguments: Array(full.dropFirst()), folder: folder, name: name,
                                           options: .init(grace: 5))
            processes.append(process)
            return process
        }

        /// Runs a program (in the namespace unless told otherwise) to its end, at most `timeout` seconds.
        func run(_ command: [String], inNamespace: Bool = true, timeout: Double = 30) async throws
            -> (status: Int32?, output: String)
        {
            let full = inNamespace ? namespace.exec(command) : command
            let child = try RingletTestSupport.ChildProcess(full[0], arguments: Array(full.dropFirst()), folder: folder,
                                         name: "run-\(UInt16.random(in: 0...UInt16.max))")
            let finished = await child.wait(timeout: timeout)
            await child.stop()
            return (finished ? child.terminationStatus : nil, child.outputText + child.errorText)
        }

        /// A contrib/config file with the example's host, paths and secret replaced (each must be there).
        func configuration(_ name: String, extra: [String: String] = [:]) throws -> String {
            var text = try String(contentsOf: repositoryRoot.appendingPathComponent("contrib/config/\(name)"), encoding: .utf8)
            var changes = [("/var/lib/ringlet", folder.appendingPathComponent("data-\(name)").path),
                           ("ringlet.example.com", ServerCertificates.host),
                           ("CHANGE-ME-a-long-random-secret", "site-secret")]
            if text.contains("/etc/ringlet/tls/") {
                changes += [("/etc/ringlet/tls/fullchain.pem", leaf.chainPath), ("/etc/ringlet/tls/privkey.pem", leaf.keyPath)]
            }
            for (from, to) in changes {
                guard text.contains(from) else { throw TestSupportError("contrib/config/\(name) has no \(from)") }
                text = text.replacingOccurrences(of: from, with: to)
            }
            let path = folder.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// The hard open-files limit of this process (the most a child can be given without privileges).
        static var hardOpenFiles: Int {
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            return Int(limit.rlim_max)
        }

        /// `ringlet serve --config FILE` in the namespace, started with a soft open-files limit of 1024 under the
        /// hard one (this sandbox may not raise the hard one to the unit's LimitNOFILE; the server raises the soft
        /// one to the hard one either way).
        func serve(config: String) async throws -> RingletTestSupport.ChildProcess {
            let serve = try start(["prlimit", "--nofile=1024:\(Self.hardOpenFiles)", try ringletExecutable(), "serve",
                                   "--config", config], name: "serve")
            guard await serve.waitForLine(containing: "listening on ", timeout: 60) != nil else {
                throw TestSupportError("ringlet serve --config did not start: \(serve.errorText)")
            }
            return serve
        }

        /// curl in the namespace trusting the test CA: the status line and headers.
        func curl(_ url: String) async throws -> String {
            try await run(["curl", "-sS", "-m", "15", "--cacert", authority.certificatePath, "-o", "/dev/null", "-D", "-", url]).output
        }

        func tearDown() async {
            for process in processes.reversed() { await process.stop() }
            WebAppBench.unmapHosts(in: namespace)
            namespace.delete()
            peerNamespace.delete()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test("systemd-analyze verify finds nothing to say about contrib/systemd/ringlet.service, whose LimitNOFILE covers the recommended open files")
    func systemdUnit() throws {
        _ = try requireTool("systemd-analyze", package: "systemd")
        let folder = try temporaryFolder(prefix: "ringlet-unit")
        defer { try? FileManager.default.removeItem(at: folder) }
        let unit = try String(contentsOf: repositoryRoot.appendingPathComponent("contrib/systemd/ringlet.service"),
                              encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/ringlet serve --config /etc/ringlet/ringlet.json"))
        let limit = unit.split(separator: "\n").first { $0.hasPrefix("LimitNOFILE=") }.flatMap { Int($0.dropFirst(12)) }
        #expect((limit ?? 0) >= 65_536, "LimitNOFILE \(String(describing: limit))")
        // The binary path is this build's; verify checks that it exists and is executable.
        let copy = folder.appendingPathComponent("ringlet.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/ringlet", with: try ringletExecutable())
            .write(to: copy, atomically: true, encoding: .utf8)
        let verify = try RingletTestSupport.ChildProcess("systemd-analyze", arguments: ["verify", copy.path], folder: folder, name: "verify")
        #expect(verify.wait(timeout: 30))
        #expect(verify.terminationStatus == 0)
        #expect((verify.outputText + verify.errorText).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                "\(verify.outputText)\(verify.errorText)")
    }

    @Test("contrib/config/direct-tls.json: Ringlet on 443, 3478 and 5349 answers HTTPS with HSTS, refuses plain HTTP there, relays TURN over TLS to a public peer, and raises its open-files limit")
    func directTLS() async throws {
        let site = try await Site()
        do {
            let serve = try await site.serve(config: try site.configuration("direct-tls.json"))
            #expect(serve.outputText.contains("listening on https://0.0.0.0:443"))
            #expect(serve.outputText.contains("TURN over TLS on 0.0.0.0:5349"))
            let hard = Site.hardOpenFiles
            #expect(serve.errorText.contains(hard >= 65_536 ? "open files limit \(hard)" : "open files limit is \(hard):"),
                    "raised from 1024 to the hard limit: \(serve.errorText.prefix(2000))")
            let page = try await site.curl("https://\(ServerCertificates.host)/app/")
            #expect(page.hasPrefix("HTTP/1.1 200"), "\(page)")
            #expect(page.lowercased().contains("strict-transport-security: max-age=31536000"))
            let plain = try await site.run(["curl", "-sS", "-m", "10", "http://\(ServerCertificates.host):443/app/"])
            #expect(plain.output.contains("This port speaks HTTPS only: use https://\(ServerCertificates.host)"))

            let peerPort = 45_000
            _ = try site.start(["turnutils_peer", "-L", Site.peerIP, "-p", "\(peerPort)"], name: "peer", inPeer: true)
            // The client reaches the server at its veth address, so its relay is bound there and reaches the peer.
            let relay = try await site.run(["turnutils_uclient", "-t", "-S", "-E", site.authority.certificatePath, "-c", "-s",
                                            "-u", "site", "-W", "site-secret", "-e", Site.peerIP, "-r", "\(peerPort)",
                                            "-p", "5349", "-m", "2", "-n", "50", "-l", "160", "-v", Site.serverIP], timeout: 60)
            #expect(relay.output.contains("Total lost packets 0 "), "\(relay.output.suffix(1500))")
            let relays = relay.output.split(separator: "\n").filter { $0.contains("Received relay addr: ") }
            #expect(!relays.isEmpty && relays.allSatisfy { line in
                guard let port = line.split(separator: ":").last.flatMap({ Int($0) }) else { return false }
                return (49_152...65_535).contains(port)
            }, "relays from turnRelayPorts: \(relays)")
        } catch {
            await site.tearDown()
            throw error
        }
        await site.tearDown()
    }

    @Test("contrib/config/behind-nginx.json with contrib/nginx/ringlet.conf on 443 and 80: HTTPS through nginx with HSTS, plain HTTP redirected")
    func behindNginx() async throws {
        let site = try await Site()
        do {
            let serve = try await site.serve(config: try site.configuration("behind-nginx.json"))
            #expect(serve.outputText.contains("listening on http://127.0.0.1:8080"))
            let nginx = try await NginxProxy(namespace: site.namespace, folder: site.folder,
                                             certificates: ServerCertificates(caFile: site.authority.certificatePath, leaf: site.leaf),
                                             port: 443, plainPort: 80)
            let page = try await site.curl("https://\(ServerCertificates.host)/app/")
            #expect(page.hasPrefix("HTTP/1.1 200"), "\(page)")
            #expect(page.lowercased().contains("strict-transport-security: max-age=31536000"),
                    "HSTS from Ringlet, for nginx's X-Forwarded-Proto https")
            let redirect = try await site.run(["curl", "-sS", "-m", "10", "-o", "/dev/null", "-D", "-",
                                         "http://\(ServerCertificates.host)/app/"]).output
            #expect(redirect.hasPrefix("HTTP/1.1 301"), "\(redirect)")
            #expect(redirect.contains("Location: https://\(ServerCertificates.host)/app/"))
            await nginx.stop()
        } catch {
            await site.tearDown()
            throw error
        }
        await site.tearDown()
    }
}

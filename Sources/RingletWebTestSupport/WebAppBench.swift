#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOPosix
import RingletNIO
import RingletTestSupport

/// Everything one web app test runs in: a private network namespace with only `lo` up, an event loop group
/// whose threads live in it (for the DevTools WebSockets), a real `ringlet serve --dev` inside, headless
/// Chromium browsers and real `ringlet device` processes inside, and a temporary folder for their profiles,
/// data and logs. `WebAppBench.run` tears all of it down, whatever happens, bounded.
package final class WebAppBench {
    package let namespace: NetworkNamespace
    package let group: MultiThreadedEventLoopGroup
    package let folder: URL
    package let server: DevServer
    /// nginx in front of the server (``ServerFront/nginx``).
    package private(set) var proxy: NginxProxy?
    private var browsers: [HeadlessBrowser] = []
    private var firefoxes: [FirefoxBrowser] = []
    private var devices: [DeviceProcess] = []

    private init(namespace: NetworkNamespace, group: MultiThreadedEventLoopGroup, folder: URL, server: DevServer) {
        self.namespace = namespace
        self.group = group
        self.folder = folder
        self.server = server
    }

    /// Sets up the namespace, group and server (with `serverFlags` added to `ringlet serve`, reached through
    /// `front`), runs `body`, and tears everything down. On failure the server's and browsers' logs are added to
    /// the error.
    ///
    /// A TLS front makes a throwaway CA and a certificate for `ringlet.test` and `127.0.0.1`, maps `ringlet.test`
    /// to 127.0.0.1 in the namespace's `/etc/hosts` (`/etc/netns/NS/hosts`, which `ip netns exec` mounts), and
    /// makes browsers trust the certificate (`--ignore-certificate-errors-spki-list`) and devices the CA
    /// (`--ca-file`); `.nginx` also starts nginx in front.
    package static func run<R>(serverFlags: [String] = [], front: ServerFront = .plain,
                               _ body: (WebAppBench) async throws -> R) async throws -> R {
        guard geteuid() == 0 else { throw TestSupportError("the web app tests need root (ip netns)") }
        _ = try requireTool("chromium", package: "chromium")
        let namespace = try NetworkNamespace.create(name: "ringlet-web-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        var group: MultiThreadedEventLoopGroup?
        var server: DevServer?
        var folder: URL?
        var bench: WebAppBench?
        do {
            let made = try temporaryFolder(prefix: "ringlet-webapp")
            folder = made
            let loops = try await namespace.makeEventLoopGroup(numberOfThreads: 1)
            group = loops
            var certificates: ServerCertificates?
            if front != .plain {
                let authority = try await TestCA.make(in: made)
                let leaf = try await authority.issue(file: "server", dnsNames: [ServerCertificates.host], ipAddresses: ["127.0.0.1"])
                certificates = ServerCertificates(caFile: authority.certificatePath, leaf: leaf)
                try mapHost(ServerCertificates.host, in: namespace)
            }
            let dev = try await DevServer(namespace: namespace, folder: made, front: front, certificates: certificates,
                                          extra: serverFlags)
            server = dev
            let b = WebAppBench(namespace: namespace, group: loops, folder: made, server: dev)
            bench = b
            if front == .nginx, let certificates {
                b.proxy = try await NginxProxy(namespace: namespace, folder: made, certificates: certificates,
                                               port: DevServer.nginxPort)
            }
            let result = try await body(b)
            await b.teardown()
            return result
        } catch {
            let logs = bench.map { $0.logs() } ?? server.map { "server log:\n\($0.log.suffix(3000))" } ?? ""
            if let bench {
                await bench.teardown()
            } else {
                await server?.stop()
                try? await group?.shutdownGracefully()
                unmapHosts(in: namespace)
                namespace.delete()
                if let folder { try? FileManager.default.removeItem(at: folder) }
            }
            throw TestSupportError("\(error)\n\(logs)")
        }
    }

    /// `/etc/netns/NS/hosts`: `host` is `address` (default 127.0.0.1) for every program run with
    /// `ip netns exec NS`.
    package static func mapHost(_ host: String, to address: String = "127.0.0.1", in namespace: NetworkNamespace) throws {
        let folder = URL(fileURLWithPath: "/etc/netns/\(namespace.name)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let line = address == "127.0.0.1" ? "127.0.0.1 localhost \(host)\n" : "127.0.0.1 localhost\n\(address) \(host)\n"
        try (line + "::1 localhost\n").write(to: folder.appendingPathComponent("hosts"), atomically: true,
                                            encoding: .utf8)
    }

    package static func unmapHosts(in namespace: NetworkNamespace) {
        try? FileManager.default.removeItem(atPath: "/etc/netns/\(namespace.name)")
    }

    private func teardown() async {
        for device in devices { await device.stop() }
        for browser in browsers { await browser.stop() }
        await proxy?.stop()
        for firefox in firefoxes { await firefox.stop() }
        await server.stop()
        try? await group.shutdownGracefully()
        Self.unmapHosts(in: namespace)
        namespace.delete()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The tails of the server's and browsers' logs.
    func logs() -> String {
        var text = "server log:\n\(server.log.suffix(3000))"
        if let proxy { text += "\nnginx log:\n\(proxy.log.suffix(1500))" }
        for (index, browser) in browsers.enumerated() { text += "\nchromium \(index) log:\n\(browser.log.suffix(1500))" }
        for (index, firefox) in firefoxes.enumerated() { text += "\nfirefox \(index) log:\n\(firefox.log)" }
        for device in devices { text += "\n\(device.describe())" }
        return text
    }

    /// Starts a browser on the web app (or `url`); `grantMedia: false` leaves camera and microphone requests to
    /// the permission settings (see `HeadlessBrowser.setMediaPermission`).
    package func launchBrowser(url: String? = nil, grantMedia: Bool = true, extraArguments: [String] = []) async throws
        -> HeadlessBrowser
    {
        var extra: [String] = []
        if let certificates = server.certificates {
            extra = ["--ignore-certificate-errors-spki-list=\(certificates.leaf.spkiHash)",
                     "--host-resolver-rules=MAP \(ServerCertificates.host) 127.0.0.1"]
        }
        let browser = try await HeadlessBrowser.launch(
            url: url ?? server.appURL, in: namespace, group: group, folder: folder, name: "chromium-\(browsers.count)",
            grantMedia: grantMedia, extraArguments: extra + extraArguments)
        browsers.append(browser)
        return browser
    }

    /// Starts Firefox ESR (headless, WebDriver BiDi, fake camera and microphone granted) on the web app (or `url`)
    /// and returns its tab.
    package func launchFirefox(url: String? = nil) async throws -> (FirefoxBrowser, BiDiPage) {
        try await giveLoopbackTheDefaultRoute()
        let firefox = try await FirefoxBrowser.launch(in: namespace, group: group, folder: folder,
                                                      name: "firefox-\(firefoxes.count)")
        firefoxes.append(firefox)
        return (firefox, try await firefox.firstPage(url: url ?? server.appURL))
    }

    /// Firefox gathers only its "default" address (the source address of a route to the internet) for a peer
    /// connection made before the page holds the camera or microphone — the web app makes one when a ringing call's
    /// offer arrives — and finds none in a namespace without a default route: ICE fails with no candidate. A default
    /// route through `lo` with source 127.0.0.1 (`replace`: idempotent) makes that address 127.0.0.1; traffic stays
    /// on `lo`. Without `src` the address is 0.0.0.0, and calls connected only sometimes.
    private func giveLoopbackTheDefaultRoute() async throws {
        try await namespace.run(["ip", "route", "replace", "default", "dev", "lo", "src", "127.0.0.1"], folder: folder)
    }

    /// Starts a real `ringlet device` for `sn` in the namespace against the server (see ``DeviceProcess``):
    /// registered with `ticket`, or with the credentials an earlier process of the same SN left in the bench's
    /// folder when `ticket` is nil; `arguments` are more flags. Stopped at teardown.
    package func startDevice(sn: String, ticket: String?, arguments: [String] = [], producer: String? = nil) throws
        -> DeviceProcess
    {
        let device = try DeviceProcess(server: server, namespace: namespace, folder: folder, sn: sn, ticket: ticket,
                                       arguments: arguments, name: "device-\(devices.count)", producer: producer)
        devices.append(device)
        return device
    }
}

extension NetworkNamespace {
    /// Runs `argv` inside the namespace (`nft`, `ip`) and waits for it (10 s); throws with its error output when
    /// it fails.
    package func run(_ argv: [String], folder: URL) async throws {
        _ = try await output(of: argv, folder: folder)
    }

    /// Runs `argv` inside the namespace to its end (10 s) and returns its standard output; throws with its error
    /// output when it fails.
    package func output(of argv: [String], folder: URL) async throws -> String {
        let p = try RingletTestSupport.ChildProcess("ip", arguments: Array(exec(argv).dropFirst()), folder: folder,
                                                    name: "cmd-\(UInt32.random(in: 0...UInt32.max))")
        guard await p.wait(timeout: 10), p.terminationStatus == 0 else {
            throw TestSupportError("\(argv.joined(separator: " ")) failed: \(p.errorText)")
        }
        return p.outputText
    }

    /// Drops every UDP datagram in the namespace with nftables (media, STUN, TURN), as a network that breaks
    /// mid-call; TCP (signaling) goes on.
    package func blockUDP(folder: URL) async throws {
        try await run(["nft", "add", "table", "inet", "ringlet_block"], folder: folder)
        try await run(["nft", "add", "chain", "inet", "ringlet_block", "input",
                       "{ type filter hook input priority 0 ; policy accept ; }"], folder: folder)
        try await run(["nft", "add", "rule", "inet", "ringlet_block", "input", "meta", "l4proto", "udp", "drop"],
                      folder: folder)
    }

    /// Drops what is sent to `port` over each of `protocols` ("udp", "tcp") in the namespace — a network that
    /// blocks a service — and nothing else. Returns the nftables rules loaded (for failure messages).
    @discardableResult
    package func dropOutput(toPorts ports: [(protocol: String, port: Int)], folder: URL) async throws -> String {
        let rules = """
            table inet ringlet_block_ports {
                chain output {
                    type filter hook output priority 0; policy accept;
            \(ports.map { "            \($0.protocol) dport \($0.port) counter drop" }.joined(separator: "\n"))
                }
            }

            """
        let file = folder.appendingPathComponent("block-\(UInt32.random(in: 0...UInt32.max)).nft")
        try rules.write(to: file, atomically: true, encoding: .utf8)
        try await run(["nft", "-f", file.path], folder: folder)
        return rules
    }
}

extension WebAppBench {
    /// Drops every UDP datagram in the bench's namespace (see ``NetworkNamespace/blockUDP(folder:)``).
    package func blockUDP() async throws {
        try await namespace.blockUDP(folder: folder)
    }
}

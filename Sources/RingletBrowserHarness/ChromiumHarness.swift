#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import RingletCore
import RingletNIO

/// A harness failure: what was missing or did not happen, with the logs that explain it.
package struct HarnessError: Error, CustomStringConvertible {
    package let description: String
    package init(description: String) { self.description = description }
}

/// Headless Debian Chromium in a private network namespace, a signaling/report HTTP server on that namespace's
/// 127.0.0.1, and (optionally) coturn there too. Everything started here is stopped by `withHarness`.
package final class ChromiumHarness: @unchecked Sendable {
    // @unchecked Sendable: fields are set once during setup (before any concurrent use) or are themselves
    // thread-safe (SignalingServer); the chromium/turnserver handles are only touched by the owning test task.
    package let namespace: NetworkNamespace
    package let group: MultiThreadedEventLoopGroup
    package let server: SignalingServer
    package let workDirectory: URL
    package var chromium: ChildProcess?
    package var turnserver: ChildProcess?
    package var chromiumStarted: ContinuousClock.Instant?

    package var eventLoop: any EventLoop { group.next() }

    /// The chromium command line (after `ip netns exec NS`): headless, fake camera and microphone, loopback ICE.
    ///
    /// - Parameters:
    ///   - userDataDir: the profile folder.
    ///   - url: the page to open.
    ///   - grantMedia: whether camera and microphone requests are granted without asking
    ///     (`--use-fake-ui-for-media-stream`); default true.
    ///   - extra: more flags, before the URL (e.g. `--remote-debugging-port=0`).
    package static func chromiumArguments(userDataDir: String, url: String, grantMedia: Bool = true,
                                          extra: [String] = []) -> [String] {
        [
            "chromium", "--headless=new", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
            "--disable-gpu", "--use-fake-device-for-media-stream",
        ]
            + (grantMedia ? ["--use-fake-ui-for-media-stream"] : [])
            + [
                "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
                "--disable-features=WebRtcHideLocalIpsWithMdns", "--user-data-dir=\(userDataDir)",
            ]
            + extra + [url]
    }

    /// The harness's resources (peer.html, clip.h264), from this target's bundle.
    package static var pagesDirectory: URL? { Bundle.module.url(forResource: "Pages", withExtension: nil) }

    private init(namespace: NetworkNamespace, group: MultiThreadedEventLoopGroup, server: SignalingServer,
                 workDirectory: URL) {
        self.namespace = namespace
        self.group = group
        self.server = server
        self.workDirectory = workDirectory
    }

    /// Sets everything up, runs `body`, and tears down whatever was started even when `body` throws.
    package static func withHarness<R>(_ body: (ChromiumHarness) async throws -> R) async throws -> R {
        guard geteuid() == 0 else { throw HarnessError(description: "the Chromium harness needs root (netns)") }
        guard access("/usr/bin/chromium", X_OK) == 0 else {
            throw HarnessError(description: "chromium is missing: run scripts/install-deps.sh (apt-get install chromium)")
        }
        guard let pages = ChromiumHarness.pagesDirectory else {
            throw HarnessError(description: "Pages resource missing from the RingletBrowserHarness bundle")
        }
        let ns = try NetworkNamespace.create(name: "ringlet-cr-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-chromium-\(UUID().uuidString)")
        var group: MultiThreadedEventLoopGroup?
        var harness: ChromiumHarness?
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let g = try await ns.makeEventLoopGroup()
            group = g
            let server = SignalingServer(pagesDirectory: pages)
            try await server.start(on: g.next())
            let h = ChromiumHarness(namespace: ns, group: g, server: server, workDirectory: work)
            harness = h
            let result = try await body(h)
            await h.teardown()
            return result
        } catch {
            if let harness {
                await harness.teardown()
            } else {
                try? await group?.shutdownGracefully()
                ns.delete()
                try? FileManager.default.removeItem(at: work)
            }
            throw error
        }
    }

    private func teardown() async {
        await chromium?.terminate(graceMilliseconds: 1500)
        await turnserver?.terminate(graceMilliseconds: 500)
        await server.stop()
        try? await group.shutdownGracefully()
        namespace.delete()
        try? FileManager.default.removeItem(at: workDirectory)
    }

    /// The page URL for a query string.
    package func pageURL(_ query: String) -> String {
        "http://127.0.0.1:\(server.port)/pages/peer.html?\(query)"
    }

    /// Starts chromium in the namespace on the page; its output goes to WORK/chromium.log.
    package func launchChromium(query: String) throws {
        let profile = workDirectory.appendingPathComponent("profile").path
        let argv = namespace.exec(Self.chromiumArguments(userDataDir: profile, url: pageURL(query)))
        chromiumStarted = .now
        chromium = try ChildProcess.spawn(argv, outputPath: workDirectory.appendingPathComponent("chromium.log").path,
                                          newProcessGroup: true)
    }

    /// Starts coturn in the namespace with TURN REST (shared secret) auth; returns once it listens or fails.
    package func launchTurnserver(port: Int, secret: String) async throws {
        let argv = namespace.exec([
            "turnserver", "-n", "--listening-port=\(port)", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            "--use-auth-secret", "--static-auth-secret=\(secret)", "--realm=ringlet.test", "--allow-loopback-peers",
            "--cli-password=x", "--no-cli", "--no-tls", "--no-dtls", "--log-file=stdout", "--simple-log",
        ])
        let process = try ChildProcess.spawn(argv, outputPath: workDirectory.appendingPathComponent("turn.log").path,
                                             newProcessGroup: true)
        turnserver = process
        let listening = await poll(timeout: .seconds(5)) {
            let out = (try? String(contentsOf: self.workDirectory.appendingPathComponent("turn.log"), encoding: .utf8)) ?? ""
            return out.contains("Total General servers") || out.contains("IPv4. TCP listener opened") || out.contains("listener opened on")
        }
        guard listening else { throw HarnessError(description: "turnserver did not start:\n\(log("turn.log"))") }
    }

    /// The tail of a log file in the work directory, for failure messages.
    package func log(_ name: String, lastBytes: Int = 4000) -> String {
        let text = (try? String(contentsOf: workDirectory.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return String(text.suffix(lastBytes))
    }

    /// Waits (bounded) until the latest report of `tag` satisfies `condition`; returns it, or nil on timeout.
    package func waitForReport(_ tag: String, timeout: Duration, _ condition: ([String: Any]) -> Bool) async -> [String: Any]? {
        var found: [String: Any]?
        _ = await poll(timeout: timeout) {
            if let r = self.server.report(tag), condition(r) {
                found = r
                return true
            }
            if self.chromium?.exitStatus() != nil { return true }  // chromium died: stop waiting
            return false
        }
        return found
    }

    /// Polls every `interval` (50 ms unless told) until `condition` or `timeout`.
    package func poll(timeout: Duration, interval: Duration = .milliseconds(50),
                      _ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return await condition()
    }
}

/// Reads nested numbers out of a report: `number(report, "inboundVideo", "framesDecoded")`.
package func number(_ report: [String: Any]?, _ path: String...) -> Double {
    var node: Any? = report
    for key in path { node = (node as? [String: Any])?[key] }
    return (node as? NSNumber)?.doubleValue ?? 0
}

/// Reads a nested string out of a report.
package func string(_ report: [String: Any]?, _ path: String...) -> String? {
    var node: Any? = report
    for key in path { node = (node as? [String: Any])?[key] }
    return node as? String
}

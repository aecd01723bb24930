import Foundation
import NIOCore
import RingletBrowserHarness
import RingletNIO
import RingletTestSupport

/// Debian's headless Chromium in a network namespace, driven over the DevTools protocol: the flags of
/// `ChromiumHarness.chromiumArguments` (fake camera and microphone, loopback ICE) plus
/// `--remote-debugging-port=0` (and `--remote-allow-origins` for the client's origin); the port is read from
/// `DevToolsActivePort` in the profile folder.
package final class HeadlessBrowser {
    /// The chromium process (`ip netns exec NS chromium …`, its own process group).
    let process: RingletTestSupport.ChildProcess
    /// The browser-wide DevTools connection (targets, permissions).
    package let connection: DevToolsConnection
    /// The DevTools port in the namespace.
    package let port: Int
    let group: any EventLoopGroup
    let profile: URL
    private(set) var pages: [WebPage] = []

    private init(process: RingletTestSupport.ChildProcess, connection: DevToolsConnection, port: Int,
                 group: any EventLoopGroup, profile: URL) {
        self.process = process
        self.connection = connection
        self.port = port
        self.group = group
        self.profile = profile
    }

    /// Starts chromium in `namespace` on `url` and connects to it.
    ///
    /// - Parameters:
    ///   - grantMedia: whether camera and microphone are granted without asking (`--use-fake-ui-for-media-stream`).
    ///   - folder: where the profile and the logs go (`<name>-profile`, `<name>.stdout`, `<name>.stderr`).
    ///   - group: an event loop group whose threads live in `namespace`.
    /// - Throws: when chromium is missing, does not start, or its DevTools endpoint does not answer in 30 s.
    package static func launch(url: String, in namespace: NetworkNamespace, group: any EventLoopGroup, folder: URL,
                               name: String = "chromium", grantMedia: Bool = true,
                               extraArguments: [String] = []) async throws -> HeadlessBrowser {
        _ = try requireTool("chromium", package: "chromium")
        let profile = folder.appendingPathComponent("\(name)-profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let command = namespace.exec(ChromiumHarness.chromiumArguments(
            userDataDir: profile.path, url: url, grantMedia: grantMedia,
            // The WebSocket client sends `Origin: ws://127.0.0.1`, which DevTools refuses unless allowed.
            extra: ["--remote-debugging-port=0", "--remote-allow-origins=ws://127.0.0.1"] + extraArguments))
        let process = try RingletTestSupport.ChildProcess(
            command[0], arguments: Array(command.dropFirst()), folder: folder, name: name,
            options: .init(ownProcessGroup: true, grace: 2))
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let end = ContinuousClock.now + .seconds(30)
        var endpoint: (Int, String)?
        while endpoint == nil {
            if let text = try? String(contentsOf: portFile, encoding: .utf8) {
                let lines = text.split(separator: "\n").map(String.init)
                if lines.count >= 2, let port = Int(lines[0]) { endpoint = (port, lines[1]) }
            }
            if endpoint == nil {
                guard process.isRunning, ContinuousClock.now < end else {
                    await process.stop()
                    throw DevToolsError("chromium did not open its DevTools port: \(process.errorText)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        guard let (port, path) = endpoint else { throw DevToolsError("no DevTools endpoint") }
        do {
            let connection = try await DevToolsConnection.connect(url: "ws://127.0.0.1:\(port)\(path)", group: group)
            return HeadlessBrowser(process: process, connection: connection, port: port, group: group, profile: profile)
        } catch {
            await process.stop()
            throw error
        }
    }

    /// The tab chromium opened with its start URL.
    package func firstPage() async throws -> WebPage {
        let targets = try await connection.send("Target.getTargets")
        let pageTargets = (targets["targetInfos"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "page" }
        guard let id = pageTargets.first?["targetId"] as? String else { throw DevToolsError("chromium has no page") }
        return try await attach(targetID: id)
    }

    /// Opens a new tab on `url` (same profile: same storage, same permissions).
    package func newPage(url: String) async throws -> WebPage {
        let created = try await connection.send("Target.createTarget", ["url": url])
        guard let id = created["targetId"] as? String else { throw DevToolsError("Target.createTarget gave no id") }
        return try await attach(targetID: id)
    }

    private func attach(targetID: String) async throws -> WebPage {
        let pageConnection = try await DevToolsConnection.connect(
            url: "ws://127.0.0.1:\(port)/devtools/page/\(targetID)", group: group)
        let page = WebPage(targetID: targetID, connection: pageConnection)
        try await page.prepare()
        pages.append(page)
        return page
    }

    /// Sets the camera and microphone permission of `origin` (`granted`, `denied` or `prompt`).
    package func setMediaPermission(_ setting: String, origin: String) async throws {
        for name in ["camera", "microphone"] {
            try await connection.send("Browser.setPermission", [
                "permission": ["name": name], "setting": setting, "origin": origin,
            ])
        }
    }

    /// Closes the DevTools connections and stops chromium (its whole process group), bounded.
    package func stop() async {
        for page in pages { page.connection.close() }
        connection.close()
        await process.stop()
    }

    /// The end of chromium's standard error, for failure messages.
    package var log: String { process.errorText }
}

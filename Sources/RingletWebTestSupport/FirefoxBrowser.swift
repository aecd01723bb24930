import Foundation
import NIOCore
import RingletNIO
import RingletTestSupport

/// Debian's Firefox ESR, headless, in a network namespace, driven through its built-in WebDriver BiDi server
/// (`--remote-debugging-port`; no geckodriver): `ws://127.0.0.1:PORT/session`, one session (`session.new`).
///
/// The profile is written by the test (`user.js`): fake camera and microphone granted without a prompt
/// (`media.navigator.streams.fake`, `media.navigator.permission.disabled`), ICE over loopback
/// (`media.peerconnection.ice.loopback`) with host addresses as they are (no mDNS names), autoplay allowed, and
/// nothing that would reach for the internet at start (updates, telemetry, remote settings, safe browsing).
package final class FirefoxBrowser {
    /// The firefox process (`ip netns exec NS firefox-esr …` with HOME in the profile, its own process group).
    let process: RingletTestSupport.ChildProcess
    /// The BiDi connection (one session).
    package let connection: DevToolsConnection
    let profile: URL
    private(set) var pages: [BiDiPage] = []

    /// The preferences written to the profile's `user.js`.
    static let preferences: [(String, String)] = [
        ("media.navigator.streams.fake", "true"),
        ("media.navigator.permission.disabled", "true"),
        ("media.peerconnection.ice.loopback", "true"),
        ("media.peerconnection.ice.obfuscate_host_addresses", "false"),
        ("media.peerconnection.ice.default_address_only", "false"),
        ("media.autoplay.default", "0"),
        ("media.autoplay.blocking_policy", "0"),
        ("browser.shell.checkDefaultBrowser", "false"),
        ("browser.startup.homepage_override.mstone", "\"ignore\""),
        ("app.update.disabledForTesting", "true"),
        ("datareporting.policy.dataSubmissionEnabled", "false"),
        ("toolkit.telemetry.enabled", "false"),
        ("browser.safebrowsing.malware.enabled", "false"),
        ("browser.safebrowsing.phishing.enabled", "false"),
        ("services.settings.server", "\"http://127.0.0.1:9/\""),
        ("network.captive-portal-service.enabled", "false"),
        ("network.connectivity-service.enabled", "false"),
        ("dom.serviceWorkers.testing.enabled", "true"),
    ]

    private init(process: RingletTestSupport.ChildProcess, connection: DevToolsConnection, profile: URL) {
        self.process = process
        self.connection = connection
        self.profile = profile
    }

    /// Starts firefox-esr in `namespace` and opens a BiDi session.
    ///
    /// - Parameters:
    ///   - group: an event loop group whose threads live in `namespace` (for the WebSocket).
    ///   - folder: where the profile and the logs go (`<name>-profile`, `<name>.stdout`, `<name>.stderr`).
    /// - Throws: when firefox-esr is missing, does not start, or its BiDi endpoint does not answer in 60 s.
    package static func launch(in namespace: NetworkNamespace, group: any EventLoopGroup, folder: URL,
                               name: String = "firefox") async throws -> FirefoxBrowser {
        _ = try requireTool("firefox-esr", package: "firefox-esr")
        let profile = folder.appendingPathComponent("\(name)-profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let prefs = preferences.map { "user_pref(\"\($0.0)\", \($0.1));" }.joined(separator: "\n") + "\n"
        try prefs.write(to: profile.appendingPathComponent("user.js"), atomically: true, encoding: .utf8)
        let command = namespace.exec([
            "firefox-esr", "--headless", "--no-remote", "--profile", profile.path,
            "--remote-debugging-port", "0", "--remote-allow-hosts", "127.0.0.1",
            // The WebSocket client sends `Origin: ws://127.0.0.1`; Firefox refuses any origin it was not given.
            "--remote-allow-origins", "ws://127.0.0.1", "about:blank",
        ])
        let process = try RingletTestSupport.ChildProcess(
            command[0], arguments: Array(command.dropFirst()), folder: folder, name: name,
            options: .init(environment: ["HOME": profile.path, "MOZ_CRASHREPORTER_DISABLE": "1"],
                           ownProcessGroup: true, grace: 3))
        // Firefox says where BiDi listens on standard error: "WebDriver BiDi listening on ws://127.0.0.1:PORT".
        guard let line = await process.waitForLine(containing: "WebDriver BiDi listening on ", timeout: 60),
              let range = line.range(of: "ws://")
        else {
            await process.stop()
            throw DevToolsError("firefox-esr did not open its BiDi port:\n\(process.errorText.suffix(3000))")
        }
        let endpoint = String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces)
        do {
            let connection = try await DevToolsConnection.connect(url: endpoint + "/session", group: group,
                                                                  timeout: .seconds(20))
            // The first session starts the browser's remote agent and its first window: on a loaded machine that can
            // take longer than a command (30 s), so it gets the same 60 s as the start.
            try await connection.send("session.new", ["capabilities": ["alwaysMatch": ["acceptInsecureCerts": true]]],
                                      timeout: .seconds(60))
            try await connection.send("session.subscribe", ["events": ["log.entryAdded"]])
            return FirefoxBrowser(process: process, connection: connection, profile: profile)
        } catch {
            await process.stop()
            throw error
        }
    }

    /// The tab Firefox opened, navigated to `url`.
    package func firstPage(url: String) async throws -> BiDiPage {
        let tree = try await connection.send("browsingContext.getTree", ["maxDepth": 0])
        guard let context = (tree["contexts"] as? [[String: Any]])?.first?["context"] as? String else {
            throw DevToolsError("firefox has no browsing context")
        }
        let page = BiDiPage(context: context, connection: connection)
        pages.append(page)
        try await page.navigate(url)
        return page
    }

    /// The console messages and errors the pages logged (`log.entryAdded`), for failure messages.
    package var consoleLog: String {
        connection.events("log.entryAdded").suffix(40).map { event in
            let o = event.object
            return "\(o["level"] ?? "?"): \(o["text"] ?? "")"
        }.joined(separator: "\n")
    }

    /// Ends the session and stops firefox (its whole process group), bounded.
    package func stop() async {
        _ = try? await connection.send("session.end", timeout: .seconds(3))
        connection.close()
        await process.stop()
    }

    /// The end of firefox's standard error and the pages' console, for failure messages.
    package var log: String { "\(process.errorText.suffix(1500))\nconsole:\n\(consoleLog)" }
}

/// One Firefox tab driven over WebDriver BiDi (``BrowserPage``): `script.evaluate` (the value comes back as
/// JSON text, made in the page), `browsingContext.locateNodes` with the accessibility locator (role and name, as
/// Firefox's accessibility engine computes them) to find buttons, `input.performActions` for real pointer
/// clicks and key presses, `browsingContext.setViewport` for the phone's screen.
package final class BiDiPage: BrowserPage {
    package var browserName: String { "firefox" }
    /// The BiDi browsing context (the tab).
    package let context: String
    let connection: DevToolsConnection

    init(context: String, connection: DevToolsConnection) {
        self.context = context
        self.connection = connection
    }

    @discardableResult
    package func evaluate(_ expression: String, timeout: Duration) async throws -> Any? {
        // The page turns the value into JSON (BiDi's own serialization of objects is a list of pairs).
        let wrapped = """
            (async () => { const value = await (\(expression)
            ); return value === undefined ? null : JSON.stringify(value); })()
            """
        let result = try await connection.send("script.evaluate", [
            "expression": wrapped, "target": ["context": context], "awaitPromise": true, "userActivation": true,
        ], timeout: timeout)
        if result["type"] as? String == "exception" {
            let details = result["exceptionDetails"] as? [String: Any]
            throw DevToolsError("JavaScript failed in firefox: \(details?["text"] ?? "exception")\n  in: \(expression.prefix(300))")
        }
        guard let value = result["result"] as? [String: Any], value["type"] as? String == "string",
              let json = value["value"] as? String
        else { return nil }
        return try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
    }

    // MARK: Accessibility

    /// The nodes Firefox's accessibility engine finds with `role` (and this exact accessible name).
    func locate(role: String, name: String?) async throws -> [[String: Any]] {
        var value: [String: Any] = ["role": role]
        if let name { value["name"] = name }
        let found = try await connection.send("browsingContext.locateNodes", [
            "context": context, "locator": ["type": "accessibility", "value": value],
        ])
        return found["nodes"] as? [[String: Any]] ?? []
    }

    /// Calls `function` (a JavaScript function declaration) with `this` the node `sharedId`; its value as JSON.
    func call(_ function: String, on sharedId: String) async throws -> Any? {
        let result = try await connection.send("script.callFunction", [
            "functionDeclaration": "function() { return JSON.stringify((\(function)).call(this)); }",
            "this": ["sharedId": sharedId], "target": ["context": context], "awaitPromise": true,
        ])
        guard let value = result["result"] as? [String: Any], let json = value["value"] as? String else { return nil }
        return try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
    }

    package func buttonNames() async throws -> [String] {
        var names: [String] = []
        for node in try await locate(role: "button", name: nil) {
            guard let id = node["sharedId"] as? String else { continue }
            // The name as the page's markup gives it (aria-label, else the text without aria-hidden parts).
            let name = try await call("""
                function() { if (this.getAttribute('aria-label')) return this.getAttribute('aria-label');
                  const copy = this.cloneNode(true); copy.querySelectorAll('[aria-hidden="true"]').forEach(e => e.remove());
                  return copy.textContent.trim().replace(/\\s+/g, ' '); }
                """, on: id)
            names.append(name as? String ?? "")
        }
        return names
    }

    package func click(button name: String, index: Int, timeout: Duration) async throws {
        try await click(name, role: "button", index: index, timeout: timeout)
    }

    package func click(tab name: String) async throws {
        try await click(name, role: "tab", index: 0, timeout: .seconds(10))
    }

    /// Clicks the `index`-th enabled node of `role` named `name` (looked up again if the page replaced it).
    func click(_ name: String, role: String, index: Int, timeout: Duration) async throws {
        let end = ContinuousClock.now + timeout
        while true {
            var enabled: [String] = []
            for node in try await locate(role: role, name: name) {
                guard let id = node["sharedId"] as? String else { continue }
                if try await call("function() { return !this.disabled; }", on: id) as? Bool == true { enabled.append(id) }
            }
            if enabled.count > index, try await clickNode(enabled[index]) { return }
            guard ContinuousClock.now < end else {
                throw DevToolsError("firefox: no enabled \(role) named \"\(name)\" (#\(index)); buttons: "
                    + "\((try? await buttonNames()) ?? [])\n\(await describe())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A pointer click at the centre of a node; false when it left the document. Fails when something covers it.
    func clickNode(_ sharedId: String) async throws -> Bool {
        guard let placed = try? await call(placeForClickFunction, on: sharedId) as? [String: Any] else { return false }
        if placed["detached"] as? Bool == true { return false }
        guard let x = (placed["x"] as? NSNumber)?.doubleValue, let y = (placed["y"] as? NSNumber)?.doubleValue,
              ((placed["width"] as? NSNumber)?.doubleValue ?? 0) > 0
        else { throw DevToolsError("firefox: the button has no box (not rendered)") }
        guard placed["onTop"] as? Bool == true else {
            throw DevToolsError("firefox: at (\(x), \(y)) in \(placed["viewport"] ?? "?"), \(placed["top"] ?? "?") covers \(placed["me"] ?? "?")")
        }
        try await clickPoint(x: x, y: y)
        return true
    }

    package func clickPoint(x: Double, y: Double) async throws {
        try await connection.send("input.performActions", [
            "context": context,
            "actions": [[
                "type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"],
                "actions": [
                    ["type": "pointerMove", "x": Int(x.rounded()), "y": Int(y.rounded()), "origin": "viewport"],
                    ["type": "pointerDown", "button": 0],
                    ["type": "pointerUp", "button": 0],
                ],
            ]],
        ])
        try await connection.send("input.releaseActions", ["context": context])
    }

    package func type(_ text: String, into label: String) async throws {
        let fields = try await locate(role: "textbox", name: label) + locate(role: "combobox", name: label)
        guard let id = fields.first?["sharedId"] as? String else {
            throw DevToolsError("firefox: no text field labelled \"\(label)\"\n\(await describe())")
        }
        _ = try await call("function() { this.focus(); this.select && this.select(); return true; }", on: id)
        let keys: [[String: Any]] = text.map { ch in [["type": "keyDown", "value": String(ch)], ["type": "keyUp", "value": String(ch)]] }
            .flatMap { $0 }
        try await connection.send("input.performActions", [
            "context": context, "actions": [["type": "key", "id": "keyboard", "actions": keys]],
        ])
    }

    // MARK: Screen

    package func emulatePhone(width: Int, height: Int) async throws {
        try await connection.send("browsingContext.setViewport", [
            "context": context, "viewport": ["width": width, "height": height], "devicePixelRatio": 2,
        ])
    }

    package func emulateDesktop(width: Int, height: Int) async throws {
        try await connection.send("browsingContext.setViewport", [
            "context": context, "viewport": ["width": width, "height": height], "devicePixelRatio": 1,
        ])
    }

    package func screenshot() async throws -> Data {
        let result = try await connection.send("browsingContext.captureScreenshot", ["context": context])
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw DevToolsError("firefox: captureScreenshot returned no image")
        }
        return data
    }

    package func navigate(_ url: String) async throws {
        try await connection.send("browsingContext.navigate", ["context": context, "url": url, "wait": "complete"],
                                  timeout: .seconds(60))
    }

    package func reload() async throws {
        try await connection.send("browsingContext.reload", ["context": context, "wait": "complete"], timeout: .seconds(60))
    }
}

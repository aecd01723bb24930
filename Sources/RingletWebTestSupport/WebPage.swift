import Foundation

/// One browser tab driven over its own DevTools connection: evaluate JavaScript, find and click buttons by
/// their accessible name (from Chromium's accessibility tree, as a screen reader sees them), type into fields,
/// emulate a phone screen, take screenshots. Every wait is bounded.
package final class WebPage: BrowserPage {
    package var browserName: String { "chromium" }
    /// The DevTools target id of the tab.
    package let targetID: String
    /// The tab's DevTools connection.
    package let connection: DevToolsConnection

    init(targetID: String, connection: DevToolsConnection) {
        self.targetID = targetID
        self.connection = connection
    }

    /// Enables the domains the helpers use.
    func prepare() async throws {
        for domain in ["Page", "Runtime", "DOM", "Accessibility"] { try await connection.send("\(domain).enable") }
    }

    // MARK: JavaScript

    /// Evaluates `expression` in the page (promises awaited) and returns its value (JSON-like: String, NSNumber,
    /// Bool, arrays, dictionaries, nil).
    ///
    /// - Throws: `DevToolsError` with the exception's text when it throws.
    @discardableResult
    package func evaluate(_ expression: String, timeout: Duration = .seconds(30)) async throws -> Any? {
        let result = try await connection.send("Runtime.evaluate", [
            "expression": expression, "returnByValue": true, "awaitPromise": true, "userGesture": true,
        ], timeout: timeout)
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let detail = (exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? "exception"
            throw DevToolsError("JavaScript failed: \(detail)\n  in: \(expression.prefix(300))")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    // MARK: Accessibility

    /// One node of the accessibility tree that a screen reader would announce.
    package struct AccessibleNode: Sendable {
        package let role: String
        package let name: String
        package let backendNodeID: Int
        package let disabled: Bool
        /// A toggle button's state (`aria-pressed`) as the accessibility tree has it: "true", "false", "mixed";
        /// nil for a node that is not a toggle.
        package let pressed: String?
    }

    /// The visible (not ignored) nodes with this role (and this exact accessible name, if given).
    package func accessibleNodes(role: String, name: String? = nil) async throws -> [AccessibleNode] {
        // A background tab does not update its layout, and the accessibility tree waits for one.
        try await bringToFront()
        let document = try await connection.send("DOM.getDocument", ["depth": 0])
        guard let root = (document["root"] as? [String: Any])?["nodeId"] as? Int else {
            throw DevToolsError("DOM.getDocument gave no root")
        }
        var query: [String: Any] = ["nodeId": root, "role": role]
        if let name { query["accessibleName"] = name }
        let result = try await connection.send("Accessibility.queryAXTree", query)
        let nodes = result["nodes"] as? [[String: Any]] ?? []
        return nodes.compactMap { node in
            guard node["ignored"] as? Bool != true, let backend = node["backendDOMNodeId"] as? Int else { return nil }
            let name = ((node["name"] as? [String: Any])?["value"] as? String) ?? ""
            let properties = node["properties"] as? [[String: Any]] ?? []
            let disabled = properties.contains {
                $0["name"] as? String == "disabled" && ($0["value"] as? [String: Any])?["value"] as? Bool == true
            }
            let role = ((node["role"] as? [String: Any])?["value"] as? String) ?? ""
            let pressed = properties.first { $0["name"] as? String == "pressed" }
                .flatMap { ($0["value"] as? [String: Any])?["value"] }.map { "\($0)" }
            return AccessibleNode(role: role, name: name, backendNodeID: backend, disabled: disabled, pressed: pressed)
        }
    }

    /// The accessible names of the buttons a screen reader would find now.
    package func buttonNames() async throws -> [String] {
        try await accessibleNodes(role: "button").map(\.name)
    }

    /// Clicks the `index`-th enabled button named exactly `name` with a real mouse press at its centre (so it
    /// must be on screen and not covered), waiting up to `timeout` for it to appear.
    package func click(button name: String, index: Int, timeout: Duration) async throws {
        try await click(name, role: "button", index: index, timeout: timeout)
    }

    /// Clicks the tab named exactly `name`.
    package func click(tab name: String) async throws {
        try await click(name, role: "tab", index: 0, timeout: .seconds(10))
    }

    /// Clicks the `index`-th enabled node of `role` named exactly `name` (see ``click(button:index:timeout:)``).
    package func click(_ name: String, role: String, index: Int, timeout: Duration) async throws {
        let end = ContinuousClock.now + timeout
        while true {
            let found = try await accessibleNodes(role: role, name: name).filter { !$0.disabled }
            // A node the page replaced between the lookup and the click (a list re-rendered) is looked up again.
            if found.count > index, try await clickNode(found[index].backendNodeID) { return }
            guard ContinuousClock.now < end else {
                let names = (try? await accessibleNodes(role: role).map(\.name)) ?? []
                throw DevToolsError("no enabled \(role) named \"\(name)\" (#\(index)); \(role)s: \(names)\n\(await describe())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A mouse click at the centre of a DOM node, scrolled to the middle of the viewport first; false (nothing
    /// clicked) when the node is no longer in the document. Fails when something else (an overlay) is on top of
    /// that point, or the node has no box.
    func clickNode(_ backendNodeID: Int) async throws -> Bool {
        guard let resolved = try? await connection.send("DOM.resolveNode", ["backendNodeId": backendNodeID]),
              let objectID = (resolved["object"] as? [String: Any])?["objectId"] as? String
        else { return false }
        let placed = try await connection.send("Runtime.callFunctionOn", [
            "objectId": objectID, "returnByValue": true, "functionDeclaration": placeForClickFunction,
        ])
        if ((placed["result"] as? [String: Any])?["value"] as? [String: Any])?["detached"] as? Bool == true { return false }
        guard let box = (placed["result"] as? [String: Any])?["value"] as? [String: Any],
              let x = box["x"] as? Double, let y = box["y"] as? Double, (box["width"] as? Double ?? 0) > 0
        else { throw DevToolsError("the button has no box (not rendered)") }
        guard box["onTop"] as? Bool == true else {
            throw DevToolsError("at (\(x), \(y)) in \(box["viewport"] ?? "?"), \(box["top"] ?? "?") covers \(box["me"] ?? "?")")
        }
        try await clickPoint(x: x, y: y)
        return true
    }

    /// A mouse click (moved, pressed, released) at viewport coordinates.
    package func clickPoint(x: Double, y: Double) async throws {
        for type in ["mouseMoved", "mousePressed", "mouseReleased"] {
            try await connection.send("Input.dispatchMouseEvent", [
                "type": type, "x": x, "y": y, "button": type == "mouseMoved" ? "none" : "left", "clickCount": 1,
            ])
        }
    }

    /// Focuses the field labelled `label` (its accessible name), clears it and types `text` as key presses.
    package func type(_ text: String, into label: String) async throws {
        let fields = try await accessibleNodes(role: "textbox", name: label)
            + accessibleNodes(role: "combobox", name: label)
        guard let field = fields.first else {
            throw DevToolsError("no text field labelled \"\(label)\"\n\(await describe())")
        }
        try await connection.send("DOM.focus", ["backendNodeId": field.backendNodeID])
        try await evaluate("document.activeElement.select && document.activeElement.select()")
        try await connection.send("Input.insertText", ["text": text])
    }

    // MARK: Screen

    /// Emulates a phone in portrait: 390×844 CSS pixels, device scale factor 2, touch, mobile.
    package func emulatePhone(width: Int, height: Int) async throws {
        try await connection.send("Emulation.setDeviceMetricsOverride", [
            "width": width, "height": height, "deviceScaleFactor": 2, "mobile": true,
        ])
        try await connection.send("Emulation.setTouchEmulationEnabled", ["enabled": true, "maxTouchPoints": 5])
    }

    /// Emulates a desktop window.
    package func emulateDesktop(width: Int, height: Int) async throws {
        try await connection.send("Emulation.setDeviceMetricsOverride", [
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
        ])
    }

    /// Emulates `prefers-reduced-motion: reduce` (the app then stops its animations, such as the ringing
    /// pulse), so that a screenshot shows the resting picture; `dark` also emulates `prefers-color-scheme`.
    package func emulateReducedMotion(colorScheme: String? = nil) async throws {
        var features: [[String: String]] = [["name": "prefers-reduced-motion", "value": "reduce"]]
        if let colorScheme { features.append(["name": "prefers-color-scheme", "value": colorScheme]) }
        try await connection.send("Emulation.setEmulatedMedia", ["features": features])
    }

    /// Emulates `prefers-color-scheme` (`light` or `dark`), keeping reduced motion.
    package func emulateColorScheme(_ scheme: String) async throws {
        try await emulateReducedMotion(colorScheme: scheme)
    }

    /// Makes this the visible tab (a hidden tab neither lays out nor paints).
    package func bringToFront() async throws {
        try await connection.send("Page.bringToFront")
    }

    /// A PNG of the viewport.
    package func screenshot() async throws -> Data {
        try await bringToFront()
        let result = try await connection.send("Page.captureScreenshot", ["format": "png"])
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw DevToolsError("Page.captureScreenshot returned no image")
        }
        return data
    }

    /// Loads `url` in the tab.
    package func navigate(_ url: String) async throws {
        try await connection.send("Page.navigate", ["url": url])
    }

    /// Runs `source` in every document the tab loads from now on, before the page's own scripts
    /// (`Page.addScriptToEvaluateOnNewDocument`): for tests that watch or steer browser APIs. Takes effect at the
    /// next load (``reload()``).
    package func addScriptOnNewDocument(_ source: String) async throws {
        try await connection.send("Page.addScriptToEvaluateOnNewDocument", ["source": source])
    }

    /// Reloads the tab.
    package func reload() async throws {
        try await connection.send("Page.reload", ["ignoreCache": true])
    }
}

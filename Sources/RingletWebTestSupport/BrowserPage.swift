import Foundation

/// One tab of a browser the web app tests drive: Chromium over the DevTools protocol (``WebPage``) or Firefox
/// over WebDriver BiDi (``BiDiPage``). The tests' helpers (sign in, authorize, answer, wait for media) take this,
/// so the same steps run in both browsers.
///
/// A page evaluates JavaScript and returns its value as JSON-like Swift values; it finds buttons and tabs by
/// their accessible name (as a screen reader does, from the browser's accessibility tree) and clicks them with
/// real pointer input at their centre; it types into a field found by its label; it emulates a phone's screen and
/// takes screenshots. Every wait is bounded.
package protocol BrowserPage: AnyObject, Sendable {
    /// Which browser drives it ("chromium", "firefox"), for messages.
    var browserName: String { get }

    /// Evaluates `expression` in the page (promises awaited) and returns its value (String, NSNumber, Bool,
    /// arrays, dictionaries, nil).
    /// - Throws: with the exception's text when it throws.
    @discardableResult
    func evaluate(_ expression: String, timeout: Duration) async throws -> Any?

    /// The accessible names of the buttons a screen reader would find now, in document order.
    func buttonNames() async throws -> [String]

    /// Clicks the `index`-th enabled button named exactly `name` with a real pointer press at its centre (it must
    /// be on screen and not covered), waiting up to `timeout` for it to appear.
    func click(button name: String, index: Int, timeout: Duration) async throws

    /// Clicks the tab named exactly `name`.
    func click(tab name: String) async throws

    /// Focuses the field labelled `label`, clears it and types `text`.
    func type(_ text: String, into label: String) async throws

    /// Emulates a phone in portrait (CSS pixels, device scale factor 2).
    func emulatePhone(width: Int, height: Int) async throws

    /// Emulates a desktop window.
    func emulateDesktop(width: Int, height: Int) async throws

    /// A PNG of the viewport.
    func screenshot() async throws -> Data

    /// A real pointer click (move, press, release of the primary button) at viewport coordinates.
    func clickPoint(x: Double, y: Double) async throws

    /// Loads `url` in the tab.
    func navigate(_ url: String) async throws

    /// Reloads the tab.
    func reload() async throws
}

extension BrowserPage {
    /// Evaluates `expression` (30 s at most).
    @discardableResult
    package func evaluate(_ expression: String) async throws -> Any? {
        try await evaluate(expression, timeout: .seconds(30))
    }

    /// Clicks the first enabled button named `name` (10 s to appear).
    package func click(button name: String, index: Int = 0) async throws {
        try await click(button: name, index: index, timeout: .seconds(10))
    }

    /// Emulates a 390×844 phone.
    package func emulatePhone() async throws { try await emulatePhone(width: 390, height: 844) }

    /// Emulates a 1280×800 desktop window.
    package func emulateDesktop() async throws { try await emulateDesktop(width: 1280, height: 800) }

    /// Evaluates `expression` as a string ("" for null/undefined).
    package func string(_ expression: String) async throws -> String {
        let value = try await evaluate(expression)
        return value.map { "\($0)" } ?? ""
    }

    /// A `data-*` attribute of `<body>` (the app mirrors its state there), or "" when absent.
    package func state(_ key: String) async throws -> String {
        try await string("document.body.dataset[\(jsString(key))] ?? ''")
    }

    /// Polls (every 100 ms, up to `timeout`) until `expression` is truthy.
    ///
    /// - Throws: naming the condition and describing the page when it does not come true.
    package func waitUntil(_ expression: String, timeout: Duration = .seconds(15)) async throws {
        let end = ContinuousClock.now + timeout
        while true {
            if (try? await evaluate("Boolean(\(expression))", timeout: .seconds(5))) as? Bool == true { return }
            guard ContinuousClock.now < end else {
                throw DevToolsError("\(browserName): not true within \(timeout): \(expression)\n\(await describe())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until `<body data-KEY>` is `value`.
    package func waitForState(_ key: String, _ value: String, timeout: Duration = .seconds(15)) async throws {
        try await waitUntil("document.body.dataset[\(jsString(key))] === \(jsString(value))", timeout: timeout)
    }

    /// Waits until the page's visible text contains `text`.
    package func waitForText(_ text: String, timeout: Duration = .seconds(15)) async throws {
        try await waitUntil("document.body.innerText.includes(\(jsString(text)))", timeout: timeout)
    }

    /// The body's data attributes and visible text, for failure messages.
    package func describe() async -> String {
        let text = (try? await string(
            "JSON.stringify(document.body.dataset) + '\\n' + document.body.innerText.slice(0, 1500)")) ?? "(page unreadable)"
        return "page state (\(browserName)): \(text)"
    }

    /// Clicks `element` (a JavaScript expression giving a DOM element) at its centre with a real pointer press:
    /// used for what has no accessible name, such as the call's picture (a tap toggles fill and fit).
    package func clickElement(_ element: String) async throws {
        let box = try await evaluate("""
            (() => { const e = \(element); if (!e) return null; e.scrollIntoView({block: 'center'});
                     const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()
            """)
        guard let point = box as? [Any], point.count == 2, let x = (point[0] as? NSNumber)?.doubleValue,
              let y = (point[1] as? NSNumber)?.doubleValue
        else { throw DevToolsError("\(browserName): no element \(element)\n\(await describe())") }
        try await clickPoint(x: x, y: y)
    }

}

/// `text` as a JavaScript string literal.
package func jsString(_ text: String) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8)
    return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
}

/// The JavaScript that places `element` for a click: scrolled to the middle of the viewport, its centre, and
/// whether it is the topmost element there (nothing covers it). Shared by both browsers' click.
let placeForClickFunction = """
    function() {
      if (!this.isConnected) return {detached: true};
      this.scrollIntoView({block: 'center', inline: 'center'});
      const r = this.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const top = document.elementFromPoint(x, y);
      return {x, y, width: r.width, height: r.height, onTop: Boolean(top && (top === this || this.contains(top))),
              top: top ? top.outerHTML.slice(0, 120) : 'nothing', me: this.outerHTML.slice(0, 120),
              viewport: `${innerWidth}x${innerHeight} scrolled ${scrollX},${scrollY}`};
    }
    """

import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// WCAG 2.1 AA contrast of the web app's text, light and dark, checked from what Chromium computes: for every
/// visible text, its colour and the colour behind it (the backgrounds of its ancestors, blended), and their
/// contrast ratio (4.5:1 for text, 3:1 for large text: 24 px, or 18.66 px bold). Disabled controls are exempt
/// (WCAG 1.4.3); text drawn over the device's picture (the call view's name and status, with a shadow) has no
/// colour behind it to compute and is listed apart.
@Suite("Web app: contrast of every text, light and dark", .serialized, .timeLimit(.minutes(3)))
struct ContrastTests {
    /// One text and what is behind it.
    struct Pair: Hashable {
        let screen: String
        let scheme: String
        let text: String
        let foreground: String
        let background: String
        let ratio: Double
        let large: Bool
        var required: Double { large ? 3 : 4.5 }
    }

    /// The page's visible texts with their colours and contrast (see the suite's comment).
    static let measure = """
        (() => {
          const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
            const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
          const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]); };
          const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
            return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
          const hex = (c) => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
          const out = [];
          for (const el of document.querySelectorAll('body *')) {
            const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim()).join(' ');
            if (!own || el.closest('[aria-hidden="true"], [hidden], noscript, datalist, option, script, style')) continue;
            if (!el.getClientRects().length) continue;
            const style = getComputedStyle(el);
            if (style.visibility !== 'visible') continue;
            const control = el.closest('button, input');
            if (control && control.disabled) continue;
            // Behind the text: ancestors' background colours, blended, down to an opaque one.
            const layers = [];
            let node = el, picture = false;
            while (node && node.nodeType === 1) {
              const s = getComputedStyle(node);
              if (parseFloat(s.opacity) < 1 && node !== el) { /* faded containers are rare; the text's own colour decides */ }
              const bg = parse(s.backgroundColor);
              if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
              if (node.id === 'view-call' && layers.every(l => l[3] < 1)) { picture = true; break; }
              node = node.parentElement;
            }
            if (picture) { out.push({text: own.slice(0, 60), picture: true}); continue; }
            let back = [255, 255, 255, 1];
            for (const layer of layers.reverse()) back = over(layer, back);
            const fg = over(parse(style.color) || [0, 0, 0, 1], back);
            const l1 = lum(fg), l2 = lum(back);
            const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
            out.push({text: own.slice(0, 60), fg: hex(fg), bg: hex(back),
                      ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), large: size >= 24 || (size >= 18.66 && bold)});
          }
          return out;
        })()
        """

    /// Measures the page as it is now in both schemes.
    static func measure(_ page: WebPage, screen: String) async throws -> (pairs: [Pair], overPicture: [String]) {
        var pairs: [Pair] = []
        var picture: [String] = []
        for scheme in ["light", "dark"] {
            try await page.emulateColorScheme(scheme)
            try await page.waitUntil("matchMedia('(prefers-color-scheme: \(scheme))').matches")
            let items = try #require(try await page.evaluate(measure) as? [[String: Any]])
            for item in items {
                let text = item["text"] as? String ?? ""
                if item["picture"] as? Bool == true {
                    picture.append(text)
                    continue
                }
                pairs.append(Pair(screen: screen, scheme: scheme, text: text, foreground: item["fg"] as? String ?? "",
                                  background: item["bg"] as? String ?? "",
                                  ratio: (item["ratio"] as? NSNumber)?.doubleValue ?? 0, large: item["large"] as? Bool ?? false))
            }
        }
        try await page.emulateColorScheme("light")
        return (pairs, Array(Set(picture)).sorted())
    }

    @Test("every text of sign-in, Devices (online and offline), Notices, History, Account and the call's buttons meets WCAG AA contrast in the light and the dark scheme")
    func contrast() async throws {
        try await WebAppBench.run { bench in
            let browser = try await bench.launchBrowser()
            let page = try await browser.firstPage()
            try await page.emulatePhone()
            var all: [Pair] = []
            var overPicture: Set<String> = []
            func take(_ screen: String) async throws {
                let (pairs, picture) = try await Self.measure(page, screen: screen)
                all += pairs
                overPicture.formUnion(picture)
            }
            try await page.reload()
            try await page.waitForState("view", "signin")
            try await page.waitUntil("!document.getElementById('dev-signin').hidden")
            try await take("sign-in")
            try await signIn(page, as: "Ada")
            let device = try await authorizedDevice(bench, page, arguments: ["--ack-commands"])
            let other = try await bench.server.issueTicket(sn: "GATE-2", deviceName: "Garden gate")
            try await authorize(page, sn: "GATE-2", ticket: other)
            try await page.waitUntil("document.querySelector('\(deviceRow("GATE-2"))')?.dataset.online === 'false'")
            try await page.click(button: "Revoke")
            try await take("devices")
            try await page.click(button: "Keep")
            try device.send("notice Someone is at the door")
            try await page.waitForState("unread", "1")
            try await page.click(tab: "Notices")
            try await take("notices")
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await take("ringing")
            try await answerWithMedia(page, device, after: call.mark)
            try await page.click(button: "Microphone")
            try await page.waitForState("microphone", "off")
            try await take("in a call (microphone off)")
            try await page.click(button: "Open door")
            try await take("open door")
            try await page.click(button: "Cancel")
            try await page.click(button: "Hang up")
            try await page.waitForState("callState", "ended")
            try await take("ended")
            try await page.click(button: "Close")
            try await page.click(tab: "History")
            try await page.waitUntil("document.querySelector('#call-list li')")
            try await take("history")
            try await page.click(tab: "Account")
            try await take("account")

            let lines = all.map { p in
                "\(p.scheme)\t\(p.screen)\t\(p.text)\t\(p.foreground) on \(p.background)\t"
                    + String(format: "%.2f", p.ratio) + (p.large ? " (large)" : "")
            }
            print("contrast (scheme, screen, text, colours, ratio):\n" + Array(Set(lines)).sorted().joined(separator: "\n"))
            print("over the device's picture (not computable; shadowed): \(overPicture.sorted())")
            let failing = all.filter { $0.ratio + 0.005 < $0.required }
            #expect(failing.isEmpty, Comment(rawValue: "below WCAG AA:\n" + failing.map { "\($0.scheme) \($0.screen): \"\($0.text)\" "
                + "\($0.foreground) on \($0.background) \(String(format: "%.2f", $0.ratio)) < \($0.required)" }.joined(separator: "\n")))
            // The check saw both schemes and the texts the issue named.
            for scheme in ["light", "dark"] {
                for text in ["Revoke", "Online", "Call", "Answer", "Reject", "Sign in"] {
                    #expect(all.contains { $0.scheme == scheme && $0.text == text }, "\(scheme): \(text) measured")
                }
            }
        }
    }
}

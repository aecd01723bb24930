import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// The installable app and calls through Web Push (docs/webapp.md "Notifications and install", docs/push.md):
/// Chromium's installability checks, the app shell offline, and pushes that the server really produced for a
/// stand-in push service (scripts/webpush-peer.py, which decrypts them with http_ece) handed to the service
/// worker over the DevTools protocol, with a real `ringlet device` calling.
@Suite("Web app: installable, and calls through Web Push", .serialized, .timeLimit(.minutes(4)))
struct PushTests {
    /// The app's origin and scope in the namespace.
    static let origin = "http://127.0.0.1:8080"
    static let scope = "http://127.0.0.1:8080/app/"

    /// Replaces the browser's push service, the one part that cannot run here (it lives on the internet):
    /// `subscribe` answers with the stand-in's subscription and records what the app asked for.
    static func standInSubscribe(_ peer: PushPeer) -> String {
        """
        (() => {
          const json = \(peer.subscriptionJSON);
          let current = null;
          const make = (options) => ({
            endpoint: json.endpoint, expirationTime: null, options,
            toJSON: () => json,
            unsubscribe: async () => { current = null; return true; },
          });
          PushManager.prototype.subscribe = async function (options) {
            window.subscribeOptions = { userVisibleOnly: options.userVisibleOnly,
              key: btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey))) };
            current = make({ userVisibleOnly: options.userVisibleOnly, applicationServerKey: options.applicationServerKey });
            return current;
          };
          PushManager.prototype.getSubscription = async function () { return current; };
        })();
        """
    }

    /// A signed-in page whose user rings through the stand-in push service (turned on with the card's button),
    /// with a real device authorized and online; returns the browser, the page, the device and the user's openId.
    static func subscribedPage(_ bench: WebAppBench, _ peer: PushPeer) async throws
        -> (HeadlessBrowser, WebPage, DeviceProcess, String)
    {
        let browser = try await bench.launchBrowser(url: "about:blank")
        let page = try await browser.firstPage()
        try await page.connection.send("Page.addScriptToEvaluateOnNewDocument", ["source": standInSubscribe(peer)])
        try await browser.setPermission("notifications", "granted", origin: origin)
        try await page.emulatePhone()
        try await page.navigate(bench.server.appURL)
        try await signIn(page, as: "Ada")
        try await page.waitForState("push", "off")
        try await page.click(button: "Ring this phone")
        try await page.waitForState("push", "on")
        let device = try await authorizedDevice(bench, page)
        return (browser, page, device, try await openID(of: page, server: bench.server))
    }

    /// A call rung through push with the app open: the device calls, the stand-in push service gets the ring (its
    /// request, decrypted), and the service worker got it through DevTools and shows its notification.
    struct RingingByPush {
        let peer: PushPeer
        let browser: HeadlessBrowser
        let page: WebPage
        let device: DeviceProcess
        let registration: String
        let mark: Int
        let callID: String
        let ring: [String: Any]
        let notification: [String: Any]

        func deliver(_ request: [String: Any]) async throws {
            try await page.deliverPush(origin: PushTests.origin, registrationID: registration, data: PushPeer.plaintext(request))
        }
    }

    static func ringByPush(_ bench: WebAppBench) async throws -> RingingByPush {
        let peer = try await PushPeer(folder: bench.folder, prefix: bench.namespace.exec([]))
        let (browser, page, device, openId) = try await subscribedPage(bench, peer)
        let registration = try await page.serviceWorkerRegistrationID(scope: scope)
        let (mark, callID) = try await deviceCalls(device, page, openId: openId)
        let ring = try await peer.waitFor("ring") { $0["callId"] as? String == callID && $0["type"] as? String == "ring" }
        try await page.deliverPush(origin: origin, registrationID: registration, data: PushPeer.plaintext(ring))
        let notification = try await browser.waitForNotification(tag: callID)
        return RingingByPush(peer: peer, browser: browser, page: page, device: device, registration: registration,
                             mark: mark, callID: callID, ring: ring, notification: notification)
    }

    @Test("Chromium finds the app installable: the manifest parses with no errors, no installability errors; the service worker caches the shell, so with the server gone a reload says \"No connection\", and the app comes back with it")
    func installableAndOffline() async throws {
        try await WebAppBench.run { bench in
            let browser = try await bench.launchBrowser()
            let page = try await browser.firstPage()
            try await page.waitForState("view", "signin")
            _ = try await page.serviceWorkerRegistrationID(scope: Self.scope)
            let manifest = try await page.connection.send("Page.getAppManifest")
            #expect((manifest["errors"] as? [Any])?.isEmpty == true, "\(manifest)")
            #expect((manifest["url"] as? String)?.hasSuffix("/app/manifest.webmanifest") == true)
            // `data` is the manifest as served; `parsed` is what Chromium resolved (the scope).
            let text = try #require(manifest["data"] as? String, "\(manifest)")
            let served = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(served["display"] as? String == "standalone" && served["name"] as? String == "Ringlet")
            #expect((manifest["parsed"] as? [String: Any])?["scope"] as? String == Self.scope, "\(manifest)")
            let errors = try await page.connection.send("Page.getInstallabilityErrors")
            #expect((errors["installabilityErrors"] as? [Any])?.isEmpty == true, "\(errors)")
            // Chromium offers to install it: the app keeps the prompt for its Install button.
            try await page.waitForState("installable", "yes")
            // Every file the shell lists is cached (in the shell's cache, whose name carries its version).
            let cached = try await page.evaluate("""
                (async () => { const name = (await caches.keys()).find((n) => n.startsWith('ringlet-shell-'));
                               return name ? (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname) : []; })()
                """) as? [String] ?? []
            for file in ["/app/", "/app/index.html", "/app/js/main.js", "/app/js/notifications.js", "/app/icons/icon-192.png"] {
                #expect(cached.contains(file), "\(file) not in \(cached)")
            }

            await bench.server.stop()
            // A normal load (a forced reload would bypass the service worker, as it does for people too).
            try await page.navigate(bench.server.appURL)
            try await page.waitForState("view", "offline")
            try await page.waitForText("No connection")
            try await bench.server.startAgain()
            try await page.waitForState("view", "signin", timeout: .seconds(20))
        }
    }

    @Test("the card: notifications blocked say how to allow them; the browser's real push service, unreachable here, is said plainly; with a push service the button turns ringing on with the server's key, and off again")
    func notificationsCard() async throws {
        try await WebAppBench.run { bench in
            let browser = try await bench.launchBrowser(url: "about:blank")
            let page = try await browser.firstPage()
            try await browser.setPermission("notifications", "denied", origin: Self.origin)
            try await page.navigate(bench.server.appURL)
            try await signIn(page, as: "Ada")
            try await page.waitForState("push", "blocked")
            try await page.waitForText("Notifications are blocked: allow them for this site")
            #expect(try await !page.buttonNames().contains("Ring this phone"))

            try await browser.setPermission("notifications", "granted", origin: Self.origin)
            try await page.reload()
            try await page.waitForState("push", "off")
            try await page.click(button: "Ring this phone")
            try await page.waitForState("push", "error", timeout: .seconds(40))
            try await page.waitForText("Could not turn on call notifications")
            let token = try await token(of: page)
            #expect(try await (bench.server.request("GET", "/v1/me/push-subscriptions", .user(token)).json["items"] as? [Any])?.isEmpty == true)

            let peer = try await PushPeer(folder: bench.folder, prefix: bench.namespace.exec([]))
            try await page.connection.send("Page.addScriptToEvaluateOnNewDocument", ["source": Self.standInSubscribe(peer)])
            try await page.reload()
            try await page.waitForState("push", "off")
            try await page.click(button: "Ring this phone")
            try await page.waitForState("push", "on")
            try await page.waitForText("Calls will ring this phone, even when Ringlet is closed.")
            let key = try await bench.server.request("GET", "/v1/push/vapid-public-key", .none).string("publicKey")
            let asked = try await page.evaluate("window.subscribeOptions") as? [String: Any] ?? [:]
            #expect(asked["userVisibleOnly"] as? Bool == true)
            let standard = key.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            #expect((asked["key"] as? String)?.hasPrefix(standard) == true, "\(asked) vs \(key)")
            let stored = try await bench.server.request("GET", "/v1/me/push-subscriptions", .user(token))
            #expect((stored.json["items"] as? [[String: Any]])?.map { $0["endpoint"] as? String } == [peer.endpoint])

            try await page.click(button: "Stop ringing this phone")
            try await page.waitForState("push", "off")
            #expect(try await (bench.server.request("GET", "/v1/me/push-subscriptions", .user(token)).json["items"] as? [Any])?.isEmpty == true)
            await peer.stop()
        }
    }

    @Test("the ring push the server produced shows \"Front door is calling\" with Answer and Decline; Answer in it (the app open in the background) answers in the app with media both ways")
    func answerFromNotification() async throws {
        try await WebAppBench.run { bench in
            let call = try await Self.ringByPush(bench)
            let (browser, page, device, mark, callID, shown) = (call.browser, call.page, call.device, call.mark, call.callID,
                                                                call.notification)
            #expect((call.ring["vapid"] as? [String: Any])?["pyVapid"] as? Bool == true)
            #expect(shown["title"] as? String == "Front door is calling")
            #expect(shown["body"] as? String == "Incoming video call")
            #expect(shown["actions"] as? [String] == ["answer", "decline"])
            #expect(shown["actionTitles"] as? [String] == ["Answer", "Decline"])
            #expect(shown["requireInteraction"] as? Bool == true && shown["renotify"] as? Bool == true)
            #expect((shown["data"] as? [String: Any])?["url"] as? String == "./?answer=\(callID)")

            try await browser.clickNotification(tag: callID, action: "answer")
            try await device.waitFor(command: "CALL_ANSWER", after: mark)
            try await waitForPageMedia(page)
            try await waitForDeviceMedia(device, after: mark)
            try await page.waitUntil("document.body.dataset.callId === \(jsString(callID))")
            #expect(try await browser.notifications(tag: callID).isEmpty, "the ringing notification is gone")
            let hangUp = device.mark
            try await page.click(button: "Hang up")
            try await device.waitFor(callback: "onStopRealPlay", after: hangUp)
            await call.peer.stop()
        }
    }

    @Test("with no page of the app open, Answer opens the app (the address the notification names) straight into the ringing call, which it answers with media")
    func answerWithAppClosed() async throws {
        try await WebAppBench.run { bench in
            let peer = try await PushPeer(folder: bench.folder, prefix: bench.namespace.exec([]))
            let (browser, page, device, openId) = try await Self.subscribedPage(bench, peer)
            let registration = try await page.serviceWorkerRegistrationID(scope: Self.scope)
            try await page.navigate("about:blank")
            try await page.waitUntil("location.href === 'about:blank'")
            let mark = device.mark
            try device.send("call \(openId)")
            let ring = try await peer.waitFor("ring") { $0["type"] as? String == "ring" }
            let callID = try #require(PushPeer.payload(ring)["callId"] as? String)
            try await page.deliverPush(origin: Self.origin, registrationID: registration, data: PushPeer.plaintext(ring))
            let shown = try await browser.waitForNotification(tag: callID)
            // The click handler finds no window of the app and opens one; an event made by a script may not, so
            // the browser refuses, and the test opens the same address, as the browser does for a real tap.
            let refusal = try await browser.evaluateInServiceWorker("""
                (async () => {
                  const [n] = await self.registration.getNotifications({tag: \(jsString(callID))});
                  try { await onNotificationClick(n, 'answer'); return 'opened'; } catch (e) { return String(e.message); }
                })()
                """) as? String
            #expect(refusal == "Not allowed to open a window.", "\(refusal ?? "nil")")
            let url = try #require((shown["data"] as? [String: Any])?["url"] as? String)
            let opened = try await browser.newPage(url: Self.scope + url.dropFirst(2))
            try await opened.emulatePhone()
            try await device.waitFor(command: "CALL_ANSWER", after: mark, timeout: .seconds(25))
            try await waitForPageMedia(opened)
            try await waitForDeviceMedia(device, after: mark)
            #expect(try await opened.state("callId") == callID)
            #expect(try await opened.string("location.search") == "", "?answer= is taken out of the address")
            await peer.stop()
        }
    }

    @Test("Decline in the notification rejects the call over HTTP: the device gets CALL_REJECT, the open page stops ringing, and the ring_stop push replaces the notification")
    func declineFromNotification() async throws {
        try await WebAppBench.run { bench in
            let call = try await Self.ringByPush(bench)
            let (peer, browser, page, device, mark, callID) = (call.peer, call.browser, call.page, call.device, call.mark,
                                                               call.callID)
            try await browser.clickNotification(tag: callID, action: "decline")
            try await device.waitFor(command: "CALL_REJECT", after: mark)
            #expect(callFlow(device, after: mark) == ["CALL_REJECT"])
            try await waitForCallEnd(page, "rejected_elsewhere", "Rejected on another device.", callID: callID)
            let stop = try await peer.waitFor("ring_stop") { $0["callId"] as? String == callID && $0["type"] as? String == "ring_stop" }
            #expect(PushPeer.payload(stop)["reason"] as? String == "reject")
            try await call.deliver(stop)
            let replaced = try await browser.waitForNotification(tag: callID) { $0["title"] as? String == "Front door: call declined" }
            #expect((replaced["actions"] as? [String])?.isEmpty == true)
            #expect(try await browser.notifications(tag: callID).count == 1)
            await peer.stop()
        }
    }

    @Test("the missed-call push replaces the ringing notification, and a ring that arrives after its call ended says so instead of ringing")
    func missedCall() async throws {
        try await WebAppBench.run(serverFlags: ["--ring-timeout", "8"]) { bench in
            let call = try await Self.ringByPush(bench)
            let (peer, browser, device, mark, callID) = (call.peer, call.browser, call.device, call.mark, call.callID)
            #expect(call.notification["title"] as? String == "Front door is calling")
            try await device.waitFor(command: "CALL_TIMEOUT", after: mark, timeout: .seconds(15))
            let stop = try await peer.waitFor("ring_stop") { $0["callId"] as? String == callID && $0["type"] as? String == "ring_stop" }
            #expect(PushPeer.payload(stop)["reason"] as? String == "timeout")
            try await call.deliver(stop)
            let missed = try await browser.waitForNotification(tag: callID) { $0["title"] as? String == "Missed call from Front door" }
            #expect(missed["requireInteraction"] as? Bool == false && (missed["actions"] as? [String])?.isEmpty == true)
            #expect(try await browser.notifications(tag: callID).count == 1, "replaced, not added")
            // The same ring delivered late (after its call ended) does not ring again.
            try await call.deliver(call.ring)
            let late = try await browser.waitForNotification(tag: callID) {
                $0["body"] as? String == "The call had ended before it reached you."
            }
            #expect(late["title"] as? String == "Missed call from Front door" && late["requireInteraction"] as? Bool == false)
            #expect((late["actions"] as? [String])?.isEmpty == true)
            #expect(try await browser.notifications(tag: callID).count == 1)
            await peer.stop()
        }
    }
}

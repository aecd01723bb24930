import Foundation

// The web app's service worker from a test: push messages handed to it through the DevTools protocol, its
// notifications read back, scripts run inside it (docs/webapp.md, "Tests of the installable app").

extension HeadlessBrowser {
    /// Sets a permission of `origin` (`notifications`, `camera` …) to `granted`, `denied` or `prompt`.
    package func setPermission(_ name: String, _ setting: String, origin: String) async throws {
        try await connection.send("Browser.setPermission", [
            "permission": ["name": name], "setting": setting, "origin": origin,
        ])
    }

    /// Evaluates `expression` inside the service worker whose script URL ends with `script` (promises awaited),
    /// through a flattened session on the browser's DevTools connection.
    ///
    /// - Throws: when no such worker runs (start it first: ``WebPage/startServiceWorker(scope:)``) or the script
    ///   throws.
    @discardableResult
    package func evaluateInServiceWorker(_ expression: String, script: String = "/app/sw.js",
                                         timeout: Duration = .seconds(30)) async throws -> Any? {
        let end = ContinuousClock.now + .seconds(15)
        var targetID: String?
        while targetID == nil {
            let targets = try await connection.send("Target.getTargets")
            targetID = (targets["targetInfos"] as? [[String: Any]] ?? []).first {
                $0["type"] as? String == "service_worker" && ($0["url"] as? String ?? "").hasSuffix(script)
            }?["targetId"] as? String
            if targetID == nil {
                guard ContinuousClock.now < end else { throw DevToolsError("no service worker \(script) is running") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let attached = try await connection.send("Target.attachToTarget", ["targetId": targetID ?? "", "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw DevToolsError("no session for the worker") }
        defer { Task { [connection] in _ = try? await connection.send("Target.detachFromTarget", ["sessionId": session]) } }
        let result = try await connection.send("Runtime.evaluate", [
            "expression": expression, "returnByValue": true, "awaitPromise": true,
        ], sessionId: session, timeout: timeout)
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let detail = (exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? "exception"
            throw DevToolsError("service worker script failed: \(detail)\n  in: \(expression.prefix(300))")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// The notifications the app's service worker registration shows now, each as
    /// `{title, body, tag, requireInteraction, renotify, silent, actions: [action], data}`.
    package func notifications(tag: String? = nil) async throws -> [[String: Any]] {
        let filter = tag.map { "{tag: \(jsString($0))}" } ?? "{}"
        let value = try await evaluateInServiceWorker("""
            (async () => {
              return (await self.registration.getNotifications(\(filter))).map((n) => ({
                title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction,
                renotify: n.renotify, silent: n.silent, actions: (n.actions || []).map((a) => a.action),
                actionTitles: (n.actions || []).map((a) => a.title), data: n.data, vibrate: n.vibrate,
              }));
            })()
            """)
        return value as? [[String: Any]] ?? []
    }

    /// Polls until a notification with `tag` satisfies `match`; returns it.
    @discardableResult
    package func waitForNotification(tag: String, timeout: Duration = .seconds(15),
                                     _ match: @escaping ([String: Any]) -> Bool = { _ in true }) async throws -> [String: Any] {
        let end = ContinuousClock.now + timeout
        while true {
            let shown = try await notifications(tag: tag)
            if let found = shown.first(where: match) { return found }
            guard ContinuousClock.now < end else { throw DevToolsError("no matching notification \(tag): \(shown)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Clicks notification `tag` the only way a test can: a `NotificationEvent` dispatched in the service worker
    /// (Chromium has no DevTools command for it). Its `notificationclick` handler runs as for a real click, except
    /// that the browser does not let an event made by a script open or focus windows (docs/webapp.md).
    package func clickNotification(tag: String, action: String) async throws {
        try await evaluateInServiceWorker("""
            (async () => {
              const [notification] = await self.registration.getNotifications({tag: \(jsString(tag))});
              if (!notification) throw new Error('no notification ' + \(jsString(tag)));
              self.dispatchEvent(new NotificationEvent('notificationclick', {notification, action: \(jsString(action))}));
              return true;
            })()
            """)
    }
}

extension WebPage {
    /// Turns on the ServiceWorker domain and returns the registration id of `scope` once it is active.
    package func serviceWorkerRegistrationID(scope: String, timeout: Duration = .seconds(20)) async throws -> String {
        try await connection.send("ServiceWorker.enable")
        let end = ContinuousClock.now + timeout
        while true {
            for event in connection.events("ServiceWorker.workerVersionUpdated").reversed() {
                let versions = event.object["versions"] as? [[String: Any]] ?? []
                if let active = versions.first(where: {
                    ($0["scriptURL"] as? String ?? "").hasPrefix(scope) && $0["status"] as? String == "activated"
                }), let id = active["registrationId"] as? String {
                    return id
                }
            }
            guard ContinuousClock.now < end else { throw DevToolsError("no activated service worker for \(scope)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Starts the service worker of `scope` (it stops when idle).
    package func startServiceWorker(scope: String) async throws {
        try await connection.send("ServiceWorker.startWorker", ["scopeURL": scope])
    }

    /// Hands `data` to the service worker of registration `registrationID` as a push message, as the browser
    /// does with a message its push service delivered (decrypted).
    package func deliverPush(origin: String, registrationID: String, data: String) async throws {
        try await connection.send("ServiceWorker.deliverPushMessage", [
            "origin": origin, "registrationId": registrationID, "data": data,
        ])
    }

}

import Foundation

/// `scripts/webpush-peer.sh`: a stand-in Web Push service in Python that checks what Ringlet sends with
/// implementations nobody here wrote. It makes a subscription (P-256 key pair, auth secret), receives the server's
/// POSTs on loopback, decrypts each with `http_ece` and verifies its VAPID token with `py_vapid` and
/// `cryptography`, and prints one JSON line per request (docs/push.md). pip installs them when missing; a peer
/// that does not start is a failure.
public final class PushPeer {
    private let process: ChildProcess
    /// The subscription the peer made, as `PushSubscription.toJSON()` gives it: endpoint and keys (base64url).
    public let endpoint: String
    public let p256dh: String
    public let auth: String

    /// Starts the peer; `prefix` runs it through another command (`ip netns exec NS` for a test's namespace).
    ///
    /// - Throws: when it does not print its subscription within 240 s (pip may take a while the first time).
    public init(folder: URL, prefix: [String] = []) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let command = prefix + ["/bin/bash", root.appendingPathComponent("scripts/webpush-peer.sh").path]
        process = try ChildProcess(command[0], arguments: Array(command.dropFirst()), folder: folder, name: "webpush-peer",
                                   options: .init(keepStandardInputOpen: true))
        guard let line = await process.waitForLine(containing: "\"endpoint\"", timeout: 240),
              let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              let endpoint = object["endpoint"] as? String, let keys = object["keys"] as? [String: String],
              let p256dh = keys["p256dh"], let auth = keys["auth"]
        else {
            await process.stop()
            throw TestSupportError("webpush-peer.sh did not start: \(process.errorText)")
        }
        self.endpoint = endpoint
        self.p256dh = p256dh
        self.auth = auth
    }

    /// The subscription as JSON text (`toJSON()`'s shape).
    public var subscriptionJSON: String {
        #"{"endpoint": "\#(endpoint)", "expirationTime": null, "keys": {"p256dh": "\#(p256dh)", "auth": "\#(auth)"}}"#
    }

    /// Every request the peer reported, oldest first: `path`, `ttl`, `urgency`, `topic`, `contentEncoding`,
    /// `contentType`, `vapid` (`scheme`, `k`, `jwtHeader`, `claims`, `pyVapid`, `cryptography`), `plaintext` or
    /// `decryptError`.
    public var requests: [[String: Any]] {
        process.outputText.split(separator: "\n").dropFirst().compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// The decrypted text of a request, and it as JSON.
    public static func plaintext(_ request: [String: Any]) -> String { request["plaintext"] as? String ?? "" }
    public static func payload(_ request: [String: Any]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(plaintext(request).utf8))) as? [String: Any] ?? [:]
    }

    /// Waits (bounded) for a request whose decrypted payload satisfies `match`; returns the request.
    @discardableResult
    public func waitFor(_ what: String, timeout: Duration = .seconds(20),
                        _ match: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let end = ContinuousClock.now + timeout
        while true {
            if let found = requests.first(where: { match(Self.payload($0)) }) { return found }
            guard ContinuousClock.now < end else {
                throw TestSupportError("the push peer got no \(what): \(requests) \(process.errorText.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public func stop() async { await process.stop() }
}

import Foundation
import RingletNIO
import RingletTestSupport

/// How the web app's tests reach `ringlet serve` (docs/deploy.md): plain HTTP on loopback, HTTPS served by
/// Ringlet itself, or HTTPS through nginx as the TLS-terminating reverse proxy.
package enum ServerFront: Sendable {
    /// `http://127.0.0.1:8080`.
    case plain
    /// `https://ringlet.test:8080`, Ringlet terminating TLS (and TURN over TLS on 127.0.0.1:5349).
    case tls
    /// `https://ringlet.test:8443` through nginx (contrib/nginx/ringlet.conf), Ringlet on
    /// `http://127.0.0.1:8080` with `--behind-proxy`.
    case nginx
}

/// The test CA and the server certificate (`ringlet.test`, `127.0.0.1`) of a TLS front.
package struct ServerCertificates: Sendable {
    /// The name the certificate is for (mapped to 127.0.0.1 in the namespace's `/etc/hosts`).
    package static let host = "ringlet.test"
    package let caFile: String
    package let leaf: TestCA.Issued

    package init(caFile: String, leaf: TestCA.Issued) {
        self.caFile = caFile
        self.leaf = leaf
    }
}

/// A real `ringlet serve --dev` process inside a network namespace, with what it prints at start (admin token,
/// demo app id, secret and model, the HTTP port), and an HTTP client for its API (curl in the same namespace).
package final class DevServer {
    private var process: RingletTestSupport.ChildProcess
    let namespace: NetworkNamespace
    let folder: URL
    let arguments: [String]
    /// Where clients reach the server inside the namespace: `http://127.0.0.1:PORT`, or `https://ringlet.test:PORT`
    /// for a TLS front.
    package let base: String
    /// The CA clients trust for an `https://` base (nil for plain HTTP).
    package let certificates: ServerCertificates?
    /// The operator's token (`rla_…`).
    package private(set) var adminToken: String
    /// The demo app's id, secret and model.
    package private(set) var appID: String
    package private(set) var appSecret: String
    package private(set) var modelID: String

    /// Starts `ringlet serve --dev --data-dir FOLDER/data --http 127.0.0.1:HTTP --turn 127.0.0.1:TURN [extra…]`
    /// in `namespace` and waits (30 s) until it listens. The namespace is the test's own, so fixed ports are free,
    /// and a restart comes back at the same address. The TURN server keeps its default peer policy (no relaying
    /// to loopback or private addresses): the calls run as they do for a user of `ringlet serve --dev`.
    ///
    /// With a TLS `front`, `certificates` must be given: `.tls` adds `--tls-cert`, `--tls-key`, `--turn-tls
    /// 127.0.0.1:5349` and `--public-base-url https://ringlet.test:HTTP`; `.nginx` adds `--behind-proxy` and
    /// `--public-base-url https://ringlet.test:8443` (the caller starts nginx there).
    package init(namespace: NetworkNamespace, folder: URL, httpPort: Int = 8080, turnPort: Int = 3478,
                 front: ServerFront = .plain, certificates: ServerCertificates? = nil, extra: [String] = []) async throws {
        self.namespace = namespace
        self.folder = folder
        var flags = [
            try ringletExecutable(), "serve", "--dev", "--data-dir", folder.appendingPathComponent("data").path,
            "--http", "127.0.0.1:\(httpPort)", "--turn", "127.0.0.1:\(turnPort)",
        ]
        switch (front, certificates) {
        case (.plain, _):
            base = "http://127.0.0.1:\(httpPort)"
        case (.tls, let certificates?):
            base = "https://\(ServerCertificates.host):\(httpPort)"
            flags += ["--tls-cert", certificates.leaf.chainPath, "--tls-key", certificates.leaf.keyPath,
                      "--turn-tls", "127.0.0.1:5349", "--public-base-url", base]
        case (.nginx, _?):
            base = "https://\(ServerCertificates.host):\(Self.nginxPort)"
            flags += ["--behind-proxy", "--public-base-url", base]
        default:
            throw TestSupportError("a TLS front needs certificates")
        }
        self.certificates = front == .plain ? nil : certificates
        arguments = namespace.exec(flags + extra)
        (process, adminToken, appID, appSecret, modelID) = try await Self.start(arguments, folder: folder, run: 0)
    }

    /// Where nginx listens for the `.nginx` front.
    package static let nginxPort = 8443

    private static func start(_ command: [String], folder: URL, run: Int) async throws
        -> (RingletTestSupport.ChildProcess, String, String, String, String)
    {
        let process = try RingletTestSupport.ChildProcess(
            command[0], arguments: Array(command.dropFirst()), folder: folder, name: "serve-\(run)",
            options: .init(environment: ["LOG_LEVEL": "info"], grace: 5))
        guard await process.waitForLine(containing: "listening on ", timeout: 30) != nil else {
            await process.stop()
            throw TestSupportError("ringlet serve did not start:\n\(process.outputText)\n\(process.errorText)")
        }
        let output = process.outputText
        func value(after marker: String, in line: String?) -> String? {
            guard let line, let range = line.range(of: marker) else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        let tokenLine = output.split(separator: "\n").first { $0.hasPrefix("admin token: ") }.map(String.init)
        let demoLine = output.split(separator: "\n").first { $0.hasPrefix("demo app: ") }.map(String.init)
        guard let token = value(after: "admin token: ", in: tokenLine), let id = value(after: "id=", in: demoLine),
              let secret = value(after: "secret=", in: demoLine), let model = value(after: "model=", in: demoLine)
        else {
            await process.stop()
            throw TestSupportError("ringlet serve --dev did not print its credentials:\n\(output)")
        }
        return (process, token, id, secret, model)
    }

    /// Starts the server again after ``stop()``, on the same data folder and ports (a page sees the connection
    /// drop and come back).
    package func startAgain() async throws {
        await process.stop()
        restarts += 1
        (process, adminToken, appID, appSecret, modelID) = try await Self.start(arguments, folder: folder, run: restarts)
    }

    private var restarts = 0

    /// The server process's id (`ip netns exec` execs it in place), for reading its resources in /proc.
    package var pid: pid_t { process.pid }

    /// The web app's address.
    package var appURL: String { "\(base)/app/" }

    /// Stops the server (SIGTERM, bounded).
    package func stop() async { await process.stop() }

    /// The server's standard error (its log), for failure messages.
    package var log: String { process.errorText }

    // MARK: HTTP

    /// An answer of the API: status and JSON body.
    package struct Answer {
        package let status: Int
        package let body: Data
        package var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        package func string(_ key: String) -> String { json[key] as? String ?? "" }
    }

    /// Who calls the API.
    package enum Credentials {
        case none, admin, app, user(String)
    }

    /// Calls the API with curl inside the namespace (bounded: 20 s).
    package func request(_ method: String, _ path: String, _ credentials: Credentials = .app,
                         json: [String: Any]? = nil) async throws -> Answer {
        var arguments = ["curl", "-sS", "-m", "15", "-X", method, "-o", "-", "-w", "\n%{http_code}"]
        if let certificates { arguments += ["--cacert", certificates.caFile] }
        switch credentials {
        case .none: break
        case .admin: arguments += ["-H", "Authorization: Bearer \(adminToken)"]
        case .app: arguments += ["-u", "\(appID):\(appSecret)"]
        case .user(let token): arguments += ["-H", "Authorization: Bearer \(token)"]
        }
        if let json {
            let body = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", body]
        }
        arguments.append(base + path)
        _ = try requireTool("curl", package: "curl")
        let command = namespace.exec(arguments)
        let child = try RingletTestSupport.ChildProcess(command[0], arguments: Array(command.dropFirst()), folder: folder,
                                                        name: "curl")
        guard await child.wait(timeout: 20), child.terminationStatus == 0 else {
            await child.stop()
            throw TestSupportError("curl \(method) \(path) failed: \(child.errorText)")
        }
        let output = child.outputText
        guard let newline = output.lastIndex(of: "\n"), let status = Int(output[output.index(after: newline)...]) else {
            throw TestSupportError("curl \(method) \(path): no status in \(output)")
        }
        return Answer(status: status, body: Data(output[..<newline].utf8))
    }

    /// The value of a Prometheus metric at `/metrics` (the sum over its label sets, or over those that have every
    /// `key="value"` of `labels`; 0 when it is not there yet); `/metrics` needs the admin token.
    package func metric(_ name: String, labels: [String] = []) async throws -> Double {
        let answer = try await request("GET", "/metrics", .admin)
        guard answer.status == 200 else { throw TestSupportError("GET /metrics: \(answer.status)") }
        return String(decoding: answer.body, as: UTF8.self).split(separator: "\n").reduce(0) { sum, line in
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0] == name || parts[0].hasPrefix("\(name){"),
                  labels.allSatisfy({ parts[0].contains($0) }) else { return sum }
            return sum + (Double(parts[1]) ?? 0)
        }
    }

    /// Polls a metric (it may be reported once a second) until it is above `threshold` or `timeout` passes;
    /// returns the last value read.
    package func metric(_ name: String, above threshold: Double, timeout: Duration = .seconds(10)) async throws -> Double {
        let end = ContinuousClock.now + timeout
        var value = try await metric(name)
        while value <= threshold, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(250))
            value = try await metric(name)
        }
        return value
    }

    /// Makes a user of the demo app named `name` and a sign-in link for it (as the app backend); returns the
    /// link's URL (`<base>/app/#code=rlc_…`, a one-time code the page exchanges for a session of `ttlSeconds`).
    package func signInLink(name: String, ttlSeconds: Int? = nil) async throws -> String {
        let user = try await request("POST", "/v1/apps/\(appID)/users", json: ["name": name])
        guard user.status == 201 else { throw TestSupportError("user create: \(user.status) \(user.json)") }
        let link = try await request("POST", "/v1/apps/\(appID)/users/\(user.string("id"))/sign-in-links",
                               json: ttlSeconds.map { ["ttlSeconds": $0] } ?? [:])
        guard link.status == 201 else { throw TestSupportError("sign-in link: \(link.status) \(link.json)") }
        return link.string("url")
    }

    /// Issues an SN ticket as the app backend (`POST /v1/apps/{appId}/tickets`); creates the device, named
    /// `name`, first when a name is given.
    package func issueTicket(sn: String, deviceName: String? = nil) async throws -> String {
        if let deviceName {
            let created = try await request("POST", "/v1/apps/\(appID)/devices", json: ["sn": sn, "modelId": modelID, "name": deviceName])
            guard created.status == 201 else { throw TestSupportError("device create: \(created.status) \(created.json)") }
        }
        let answer = try await request("POST", "/v1/apps/\(appID)/tickets", json: ["sn": sn, "modelId": modelID])
        guard answer.status == 201 else { throw TestSupportError("ticket issue: \(answer.status) \(answer.json)") }
        return answer.string("ticket")
    }
}

import Foundation
import Glibc
import HummingbirdWSClient
import Logging
import NIOSSL
import RingletSignaling
import RingletTestSupport
import Testing

/// A `ringlet serve` child with the given flags and environment, on a fresh data folder and free ports, with a
/// throwaway CA's certificate for `127.0.0.1` and `ringlet.test`.
final class TLSServeProcess {
    let folder: URL
    let authority: TestCA
    let leaf: TestCA.Issued
    let httpPort: UInt16
    let turnPort: UInt16
    let turnTLSPort: UInt16
    /// The running (or ended) server; set by ``start(_:environment:)``.
    private(set) var process: ChildProcess!

    /// Makes the CA and certificate; nothing runs yet.
    init() async throws {
        folder = try temporaryFolder(prefix: "ringlet-tls-serve")
        authority = try await TestCA.make(in: folder)
        leaf = try await authority.issue(file: "server", dnsNames: ["ringlet.test"], ipAddresses: ["127.0.0.1"])
        httpPort = try freePort()
        turnPort = try freePort()
        turnTLSPort = try freePort()
    }

    /// The flags of a TLS server on 127.0.0.1 (`--dev`, certificate, TURN over TLS on its own port).
    var tlsFlags: [String] {
        ["--dev", "--http", "127.0.0.1:\(httpPort)", "--turn", "127.0.0.1:\(turnPort)",
         "--turn-tls", "127.0.0.1:\(turnTLSPort)", "--tls-cert", leaf.chainPath, "--tls-key", leaf.keyPath]
    }

    /// Starts `ringlet serve ARGS` and waits (60 s) for `listening on`, or for it to exit; returns whether it
    /// listens.
    @discardableResult
    func start(_ arguments: [String], environment: [String: String] = [:]) async throws -> Bool {
        process = try ChildProcess(
            try ringletExecutable(),
            arguments: ["serve", "--data-dir", folder.appendingPathComponent("data").path] + arguments,
            folder: folder, name: "serve-\(UInt16.random(in: 0...UInt16.max))",
            options: .init(environment: ["LOG_LEVEL": "info"].merging(environment) { $1 }, grace: 5))
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if process.outputText.contains("listening on ") { return true }
            if !process.isRunning { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("ringlet serve neither listened nor stopped: \(process.errorText)")
    }

    var base: String { "https://127.0.0.1:\(httpPort)" }

    /// `curl` against the server, trusting the test CA; returns (status, headers, body).
    func curl(_ path: String, scheme: String = "https", headers: [String] = [], method: String = "GET",
              json: String? = nil) async throws -> (status: Int, headers: String, body: String) {
        var arguments = ["-sS", "-m", "15", "--cacert", authority.certificatePath, "-X", method, "-D", "-", "-o", "-"]
        for header in headers { arguments += ["-H", header] }
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        arguments.append("\(scheme)://127.0.0.1:\(httpPort)\(path)")
        _ = try requireTool("curl", package: "curl")
        let child = try ChildProcess("curl", arguments: arguments, folder: folder, name: "curl")
        guard await child.wait(timeout: 20) else {
            await child.stop()
            throw TestSupportError("curl \(path) did not finish")
        }
        let text = child.outputText
        guard child.terminationStatus == 0, let split = text.range(of: "\r\n\r\n") else {
            throw TestSupportError("curl \(scheme)://…\(path) failed: \(child.errorText) \(text)")
        }
        let head = String(text[..<split.lowerBound])
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, head, String(text[split.upperBound...]))
    }

    /// The subject line `openssl s_client` prints for the certificate the server presents now.
    func presentedSubject(port: UInt16? = nil) async throws -> String {
        let child = try ChildProcess(
            "openssl", arguments: ["s_client", "-connect", "127.0.0.1:\(port ?? httpPort)", "-CAfile", authority.certificatePath,
                                   "-verify_return_error", "-servername", "ringlet.test"],
            folder: folder, name: "s_client")
        guard await child.wait(timeout: 20) else {
            await child.stop()
            throw TestSupportError("openssl s_client did not finish")
        }
        return child.outputText.split(separator: "\n").first { $0.hasPrefix("subject=") }.map(String.init) ?? ""
    }

    /// A Prometheus metric's value (summed over its label sets matching `labels`); `/metrics` needs the admin
    /// token, which `--dev` prints.
    func metric(_ name: String, labels: String = "") async throws -> Double {
        let line = process.outputText.split(separator: "\n").first { $0.hasPrefix("admin token: ") }
        let token = try #require(line.map { String($0.dropFirst("admin token: ".count)) }, "no admin token printed")
        let text = try await curl("/metrics", headers: ["Authorization: Bearer \(token)"]).body
        return text.split(separator: "\n").reduce(0) { sum, line in
            guard line.hasPrefix(name), line.contains(labels), let value = line.split(separator: " ").last else { return sum }
            return sum + (Double(value) ?? 0)
        }
    }

    /// A dev session token for `name` (POST /v1/dev/sign-in over HTTPS).
    func devToken(_ name: String) async throws -> String {
        let answer = try await curl("/v1/dev/sign-in", method: "POST", json: #"{"name": "\#(name)"}"#)
        let object = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any]
        guard let token = object?["token"] as? String else { throw TestSupportError("no token: \(answer)") }
        return token
    }

    /// Opens a WSS user session (the test CA trusted, the certificate checked against `ringlet.test`),
    /// authenticates with `token`, and runs `body` after the welcome; returns what `body` returns.
    func userSession<R: Sendable>(token: String,
                                  _ body: @escaping @Sendable (Welcome, inout MessageReader, WebSocketOutboundWriter) async throws -> R)
        async throws -> R
    {
        try await Self.userSession(port: httpPort, caFile: authority.certificatePath, token: token, body)
    }

    /// ``userSession(token:_:)`` without the process object (for child tasks).
    static func userSession<R: Sendable>(port: UInt16, caFile: String, token: String,
                                         _ body: @escaping @Sendable (Welcome, inout MessageReader, WebSocketOutboundWriter) async throws -> R)
        async throws -> R
    {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        let result = ValueBox<R>()
        _ = try await WebSocketClient.connect(
            url: "wss://127.0.0.1:\(port)/v1/signal/user", configuration: .init(sniHostname: "ringlet.test"),
            tlsConfiguration: tls, logger: Logger(label: "user")
        ) { inbound, outbound, _ in
            var reader = MessageReader(inbound)
            try await send(.authUser(AuthUser(token: token)), outbound)
            guard case .welcome(let welcome) = try await reader.next() else { throw TestSupportError("no welcome") }
            await result.set(try await body(welcome, &reader, outbound))
            try await outbound.close(.normalClosure, reason: nil)
        }
        guard let value = await result.value else { throw TestSupportError("the session ended early") }
        return value
    }

    deinit {
        process?.stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// One value handed out of a WebSocket handler.
actor ValueBox<Value: Sendable> {
    private(set) var value: Value?
    func set(_ value: Value) { self.value = value }
}

@Suite("ringlet serve over TLS: HTTPS, WSS, reload, bad input, refusals (processes, test CA)", .serialized,
       .timeLimit(.minutes(5)))
struct TLSServeTests {
    @Test("HTTPS answers with HSTS, sign-in links are https://, and a WSS session's iceServers name turn: udp, tcp and turns:")
    func httpsAndWSS() async throws {
        let server = try await TLSServeProcess()
        #expect(try await server.start(server.tlsFlags), "\(server.process.errorText)")
        #expect(server.process.outputText.contains("listening on https://127.0.0.1:\(server.httpPort)"))
        #expect(server.process.outputText.contains("TURN over TLS on 127.0.0.1:\(server.turnTLSPort)"))
        #expect(server.process.outputText.contains("web app: https://127.0.0.1:\(server.httpPort)/app/"))

        let page = try await server.curl("/app/")
        #expect(page.status == 200)
        #expect(page.headers.lowercased().contains("strict-transport-security: max-age=31536000"))

        // A sign-in link made by the app backend (the demo app's id and secret, printed by --dev) is https://.
        let demo = try #require(server.process.outputText.split(separator: "\n").first { $0.hasPrefix("demo app: ") })
        func field(_ name: String) -> String {
            demo.split(separator: " ").first { $0.hasPrefix("\(name)=") }.map { String($0.dropFirst(name.count + 1)) } ?? ""
        }
        let basic = "Authorization: Basic " + Data("\(field("id")):\(field("secret"))".utf8).base64EncodedString()
        let user = try await server.curl("/v1/apps/\(field("id"))/users", headers: [basic], method: "POST",
                                         json: #"{"name": "Eve"}"#)
        let userID = try #require(((try? JSONSerialization.jsonObject(with: Data(user.body.utf8))) as? [String: Any])?["id"] as? String)
        let link = try await server.curl("/v1/apps/\(field("id"))/users/\(userID)/sign-in-links", headers: [basic],
                                         method: "POST", json: "{}")
        let url = ((try? JSONSerialization.jsonObject(with: Data(link.body.utf8))) as? [String: Any])?["url"] as? String
        #expect(url?.hasPrefix("https://127.0.0.1:\(server.httpPort)/app/#code=rlc_") == true, "\(link)")

        let token = try await server.devToken("Ada")
        let welcome = try await server.userSession(token: token) { welcome, _, _ in welcome }
        let urls = welcome.iceServers.flatMap(\.urls)
        #expect(urls.contains("stun:127.0.0.1:\(server.turnPort)"))
        #expect(urls.contains("turn:127.0.0.1:\(server.turnPort)?transport=udp"))
        #expect(urls.contains("turn:127.0.0.1:\(server.turnPort)?transport=tcp"))
        #expect(urls.contains("turns:127.0.0.1:\(server.turnTLSPort)?transport=tcp"))
    }

    @Test("SIGHUP loads a renewed certificate for new connections while an open WSS session keeps answering; a broken file is refused and the renewed one stays")
    func reloadOnSIGHUP() async throws {
        let server = try await TLSServeProcess()
        #expect(try await server.start(server.tlsFlags), "\(server.process.errorText)")
        #expect(try await server.presentedSubject().contains("CN = ringlet.test"))
        let token = try await server.devToken("Ada")
        let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
        let (reloaded, reloadedContinuation) = AsyncStream<Void>.makeStream()
        let (port, caFile) = (server.httpPort, server.authority.certificatePath)
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                defer { readyContinuation.finish() }
                return try await TLSServeProcess.userSession(port: port, caFile: caFile, token: token) { _, reader, outbound in
                    readyContinuation.yield()
                    for await _ in reloaded { break }
                    try await send(.ping(RequestReference(requestId: "after-reload")), outbound)
                    while let message = try await reader.next() {
                        if case .pong(let pong) = message { return "pong \(pong.requestId ?? "")" }
                    }
                    return "closed"
                }
            }
            for await _ in ready { break }
            // Renew: a new key and certificate (another subject) written over the served files, then SIGHUP.
            let renewed = try await server.authority.issue(file: "renewed", dnsNames: ["renewed.ringlet.test", "ringlet.test"], ipAddresses: ["127.0.0.1"])
            try FileManager.default.removeItem(atPath: server.leaf.chainPath)
            try FileManager.default.copyItem(atPath: renewed.chainPath, toPath: server.leaf.chainPath)
            try FileManager.default.removeItem(atPath: server.leaf.keyPath)
            try FileManager.default.copyItem(atPath: renewed.keyPath, toPath: server.leaf.keyPath)
            server.process.send(SIGHUP)
            #expect(await server.process.waitForLine(containing: "TLS certificate reloaded", timeout: 20) != nil,
                    "\(server.process.errorText)")
            #expect(try await server.presentedSubject().contains("CN = renewed.ringlet.test"))
            reloadedContinuation.yield()
            let answer = try await group.next()
            #expect(answer == "pong after-reload", "the session opened before the reload still answers")
        }
        // A broken certificate file: refused, logged, and the renewed certificate still served.
        try "not a certificate".write(toFile: server.leaf.chainPath, atomically: true, encoding: .utf8)
        server.process.send(SIGHUP)
        #expect(await server.process.waitForLine(containing: "TLS certificate not reloaded", timeout: 20) != nil)
        #expect(try await server.presentedSubject().contains("CN = renewed.ringlet.test"))
        #expect(server.process.isRunning)
    }

    @Test("TLS 1.1 and TLS 1.2 suites without ECDHE or AEAD are refused; ECDHE with AES-GCM or ChaCha20, and TLS 1.3, are served")
    func protocolsAndCiphers() async throws {
        let server = try await TLSServeProcess()
        #expect(try await server.start(server.tlsFlags), "\(server.process.errorText)")
        // (client flags, the negotiated "Cipher is" or nil for a refusal). SECLEVEL=0 lets OpenSSL 3's client offer
        // what it would refuse itself, so a refusal is the server's.
        let cases: [([String], String?)] = [
            (["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], nil),
            (["-tls1_2", "-cipher", "AES128-SHA@SECLEVEL=0"], nil),
            (["-tls1_2", "-cipher", "AES128-GCM-SHA256@SECLEVEL=0"], nil),
            (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA@SECLEVEL=0"], nil),
            (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], "ECDHE-ECDSA-AES128-GCM-SHA256"),
            (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"], "ECDHE-ECDSA-AES256-GCM-SHA384"),
            (["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"], "ECDHE-ECDSA-CHACHA20-POLY1305"),
            (["-tls1_3"], "TLS_"),
        ]
        for (flags, expected) in cases {
            let child = try ChildProcess("openssl", arguments: ["s_client", "-connect", "127.0.0.1:\(server.httpPort)",
                                                                "-servername", "ringlet.test"] + flags,
                                         folder: server.folder, name: "s_client")
            #expect(await child.wait(timeout: 20))
            let text = child.outputText + child.errorText
            if let expected {
                #expect(text.contains("Cipher is \(expected)"), "\(flags): \(text.prefix(600))")
            } else {
                #expect(text.contains("Cipher is (NONE)") && text.contains("alert"), "\(flags): \(text.prefix(600))")
            }
        }
        #expect(try await server.metric("ringlet_tls_refused_total", labels: #"reason="handshake_failed""#) >= 4)
    }

    @Test("bad input on the TLS ports: plain HTTP gets 400 naming https://, plain STUN and junk are closed, silent and stalled handshakes are closed at the deadline, and HTTPS still answers")
    func badInputOnTLSPorts() async throws {
        let server = try await TLSServeProcess()
        #expect(try await server.start(server.tlsFlags, environment: ["RINGLET_TLS_HANDSHAKE_TIMEOUT": "2"]),
                "\(server.process.errorText)")
        // Plain HTTP on the HTTPS port.
        let plain = try LoopbackTCPSocket(connectingTo: server.httpPort)
        try plain.send(Array("GET /app/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        var answer: [UInt8] = []
        while let chunk = plain.receive(timeoutMilliseconds: 5000) { answer += chunk }
        let text = String(decoding: answer, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 400"))
        #expect(text.contains("use https://127.0.0.1:\(server.httpPort)"))
        // A plain STUN Binding request (RFC 8489 §5) on the TURN-over-TLS port: closed, nothing answered.
        let stun = try LoopbackTCPSocket(connectingTo: server.turnTLSPort)
        try stun.send([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + (0..<12).map { UInt8($0) })
        #expect(await stun.waitForClose(timeout: 5))
        // Junk: closed.
        let junk = try LoopbackTCPSocket(connectingTo: server.httpPort)
        try junk.send([0xFF, 0xFE, 0x00])
        #expect(await junk.waitForClose(timeout: 5))
        // A client that connects and says nothing, and one that stops half-way through its ClientHello.
        let started = ContinuousClock.now
        let silent = try LoopbackTCPSocket(connectingTo: server.httpPort)
        let stalled = try LoopbackTCPSocket(connectingTo: server.turnTLSPort)
        try stalled.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        #expect(await silent.waitForClose(timeout: 15))
        #expect(await stalled.waitForClose(timeout: 15))
        #expect(ContinuousClock.now - started >= .milliseconds(1500), "closed by the 2 s deadline, not at once")

        #expect(try await server.curl("/app/").status == 200)
        #expect(try await server.metric("ringlet_tls_refused_total", labels: #"reason="plain_http""#) >= 1)
        #expect(try await server.metric("ringlet_tls_refused_total", labels: #"reason="plain_stun""#) >= 1)
        #expect(try await server.metric("ringlet_tls_refused_total", labels: #"reason="handshake_timeout""#) >= 2)
        let log = server.process.errorText
        #expect(log.contains("TLS connection refused: a plain HTTP request on a TLS port"))
        #expect(log.contains("TLS connection refused: the TLS handshake did not finish in time"))
        #expect(!log.contains("127.0.0.1:\(plain.localPort)"), "peer addresses are not logged")
    }

    @Test("ringlet serve refuses to start with an expired certificate, a key of another certificate or a missing file, and says why", arguments: [
        "expired", "mismatched", "missing",
    ])
    func refusesBadCertificates(_ case: String) async throws {
        let server = try await TLSServeProcess()
        var certificate = server.leaf.chainPath, key = server.leaf.keyPath
        let expected: String
        switch `case` {
        case "expired":
            certificate = try await server.authority.issue(file: "expired", dnsNames: ["ringlet.test"], ipAddresses: ["127.0.0.1"], notBefore: "20200101000000Z",
                                                     notAfter: "20200201000000Z").chainPath
            expected = "expired on 2020-02-01"
        case "mismatched":
            key = try await server.authority.issue(file: "other", dnsNames: ["ringlet.test"], ipAddresses: ["127.0.0.1"]).keyPath
            expected = "does not match the certificate"
        default:
            certificate = server.folder.appendingPathComponent("nowhere.pem").path
            expected = "cannot read the certificate file"
        }
        let listened = try await server.start(["--dev", "--http", "127.0.0.1:\(server.httpPort)",
                                               "--turn", "127.0.0.1:\(server.turnPort)",
                                               "--tls-cert", certificate, "--tls-key", key])
        #expect(!listened)
        #expect(await server.process.wait(timeout: 10))
        #expect(server.process.terminationStatus != 0)
        #expect(server.process.errorText.contains(expected), "\(server.process.errorText)")
    }

    @Test("off loopback, plain HTTP is refused unless --behind-proxy, and --dev refuses any non-loopback bind")
    func refusesExposedPlainHTTP() async throws {
        let server = try await TLSServeProcess()
        let plain = try await server.start(["--http", "0.0.0.0:\(server.httpPort)", "--turn-secret", "s",
                                            "--public-base-url", "https://ringlet.test"])
        #expect(!plain)
        #expect(server.process.errorText.contains("refusing to serve plain HTTP on 0.0.0.0:\(server.httpPort)"))
        let dev = try await server.start(["--dev", "--http", "0.0.0.0:\(server.httpPort)", "--tls-cert",
                                          server.leaf.chainPath, "--tls-key", server.leaf.keyPath,
                                          "--public-base-url", "https://ringlet.test"])
        #expect(!dev)
        #expect(server.process.errorText.contains("--dev listens on loopback only"))
    }

    @Test("behind a proxy, X-Forwarded-Proto https brings HSTS only from a trusted proxy")
    func forwardedProtoFromTrustedProxiesOnly() async throws {
        let server = try await TLSServeProcess()
        let flags = ["--dev", "--http", "127.0.0.1:\(server.httpPort)", "--turn", "127.0.0.1:\(server.turnPort)",
                     "--behind-proxy", "--public-base-url", "https://ringlet.test"]
        #expect(try await server.start(flags), "\(server.process.errorText)")
        let trusted = try await server.curl("/app/", scheme: "http", headers: ["X-Forwarded-Proto: https"])
        #expect(trusted.headers.lowercased().contains("strict-transport-security: max-age=31536000"))
        let direct = try await server.curl("/app/", scheme: "http")
        #expect(!direct.headers.lowercased().contains("strict-transport-security"))
        #expect(server.process.outputText.contains("web app: https://ringlet.test/app/"))
        await server.process.stop()
        // The same request from an address that is not a trusted proxy: the header is ignored.
        #expect(try await server.start(flags + ["--trusted-proxy", "192.0.2.10"]), "\(server.process.errorText)")
        let untrusted = try await server.curl("/app/", scheme: "http", headers: ["X-Forwarded-Proto: https"])
        #expect(untrusted.status == 200)
        #expect(!untrusted.headers.lowercased().contains("strict-transport-security"))
    }
}

import Foundation
import Glibc
import RingletLab
import RingletStore
import RingletTestSupport
import Testing

/// A free TCP port on 127.0.0.1 (bound, read, closed).
func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestSupportError("bind failed") }
    return UInt16(bigEndian: address.sin_port)
}

/// A running `ringlet serve --dev` child on a temporary data folder.
final class ServeProcess {
    let process: ChildProcess
    let base: String
    let adminToken: String
    let dataDir: URL
    let output: String

    /// - Parameter store: a `postgres://` URL for `--store`; nil: SQLite in the data folder.
    init(dataDir: URL? = nil, store: String? = nil) async throws {
        let folder = try dataDir ?? temporaryFolder(prefix: "ringlet-serve")
        let port = try freePort(), turnPort = try freePort()
        self.dataDir = folder
        process = try ChildProcess(
            try ringletExecutable(),
            arguments: ["serve", "--dev", "--data-dir", folder.appendingPathComponent("data").path,
                        "--http", "127.0.0.1:\(port)", "--turn", "127.0.0.1:\(turnPort)"]
                + (store.map { ["--store", $0] } ?? []),
            folder: folder, name: "serve-\(port)"
        )
        guard await process.waitForLine(containing: "listening on", timeout: 60) != nil else {
            throw TestSupportError("ringlet serve did not start: \(process.errorText)")
        }
        guard let line = await process.waitForLine(containing: "admin token: ", timeout: 1),
              let token = line.components(separatedBy: "admin token: ").last
        else { throw TestSupportError("no admin token printed") }
        base = "http://127.0.0.1:\(port)"
        adminToken = token
        output = process.outputText
    }
}

/// Runs `ringlet admin …` as a child; returns (exit code, standard output, standard error).
func runAdmin(_ arguments: [String], server: ServeProcess, token: String? = nil) async throws -> (Int32, String, String) {
    let folder = try temporaryFolder(prefix: "ringlet-admin")
    let child = try ChildProcess(
        try ringletExecutable(),
        arguments: ["admin"] + arguments + ["--server", server.base],
        folder: folder, name: "admin",
        options: .init(environment: ["RINGLET_ADMIN_TOKEN": token ?? server.adminToken])
    )
    guard await child.wait(timeout: 30) else { throw TestSupportError("ringlet admin \(arguments) did not finish") }
    return (child.terminationStatus ?? -1, child.outputText, child.errorText)
}

/// The JSON object a command printed.
func object(_ text: String) -> [String: Any] {
    ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]) ?? [:]
}

@Suite("ringlet serve and ringlet admin, as processes", .serialized)
struct ServerCommandTests {
    @Test("ringlet admin drives a live ringlet serve --dev: app, model, device, ticket, user, sign-in link, calls")
    func adminEndToEnd() async throws {
        let server = try await ServeProcess()
        #expect(server.output.contains("demo app: id=app_"))
        #expect(server.output.contains("web app: \(server.base)/app/"))

        let (appStatus, appText, appError) = try await runAdmin(["app", "create", "--name", "Shop", "--release-approved"], server: server)
        #expect(appStatus == 0, "\(appError)")
        let app = object(appText)
        let appID = try #require(app["id"] as? String)
        #expect((app["secret"] as? String)?.hasPrefix("rls_") == true)
        #expect(app["releaseApproved"] as? Bool == true)

        let (modelStatus, modelText, _) = try await runAdmin(["model", "create", "--app", appID, "--name", "Cam", "--id", "cam-1"], server: server)
        #expect(modelStatus == 0)
        #expect(object(modelText)["id"] as? String == "cam-1")
        let (deviceStatus, deviceText, _) = try await runAdmin(
            ["device", "create", "--app", appID, "--sn", "cam_001", "--model", "cam-1", "--name", "Front"], server: server)
        #expect(deviceStatus == 0)
        #expect(object(deviceText)["name"] as? String == "Front")
        let (ticketStatus, ticketText, _) = try await runAdmin(["ticket", "issue", "--app", appID, "--sn", "cam_001", "--model", "cam-1"], server: server)
        #expect(ticketStatus == 0)
        #expect((object(ticketText)["ticket"] as? String)?.hasPrefix("rlt_") == true)
        let (userStatus, userText, _) = try await runAdmin(["user", "create", "--app", appID, "--name", "Eve"], server: server)
        #expect(userStatus == 0)
        let userID = try #require(object(userText)["id"] as? String)
        let (linkStatus, linkText, _) = try await runAdmin(["user", "sign-in-link", "--app", appID, "--user", userID], server: server)
        #expect(linkStatus == 0)
        #expect((object(linkText)["url"] as? String)?.hasPrefix("\(server.base)/app/#code=rlc_") == true)
        let (revokeStatus, _, revokeError) = try await runAdmin(["user", "revoke", "--app", appID, "--user", userID,
                                                                 "--sn", "cam_001"], server: server)
        #expect(revokeStatus == 1 && revokeError.contains("notFound"), "nothing to revoke yet: \(revokeError)")
        let (resetStatus, resetText, _) = try await runAdmin(["device", "reset", "--sn", "cam_001"], server: server)
        #expect(resetStatus == 0)
        #expect(object(resetText)["sn"] as? String == "cam_001" && object(resetText)["publicKey"] == nil)
        let (rotateStatus, rotateText, _) = try await runAdmin(["app", "rotate-secret", "--app", appID], server: server)
        #expect(rotateStatus == 0)
        #expect((object(rotateText)["secret"] as? String)?.hasPrefix("rls_") == true)
        let (deleteStatus, _, _) = try await runAdmin(["device", "delete", "--sn", "cam_001"], server: server)
        #expect(deleteStatus == 0)
        let (callsStatus, callsText, _) = try await runAdmin(["calls", "list", "--app", appID, "--limit", "10"], server: server)
        #expect(callsStatus == 0)
        #expect((object(callsText)["items"] as? [Any])?.isEmpty == true)

        // Errors: a wrong token, a bad SN.
        let (wrongStatus, _, wrongError) = try await runAdmin(["calls", "list"], server: server, token: "rla_wrong-token-000000000000")
        #expect(wrongStatus == 1)
        #expect(wrongError.contains("unauthenticated"))
        let (snStatus, _, snError) = try await runAdmin(["ticket", "issue", "--app", appID, "--sn", "bad sn", "--model", "cam-1"], server: server)
        #expect(snStatus == 1)
        #expect(snError.contains("9800002"))
    }

    @Test("SIGTERM stops ringlet serve gracefully with exit code 0, and a dev restart prints the same admin token")
    func gracefulShutdownAndDevRestart() async throws {
        let server = try await ServeProcess()
        server.process.send(SIGTERM)
        #expect(await server.process.wait(timeout: 15))
        #expect(server.process.terminationStatus == 0, "\(server.process.errorText)")
        #expect(server.process.outputText.contains("stopped"))
        let again = try await ServeProcess(dataDir: server.dataDir)
        #expect(again.adminToken == server.adminToken)
        let demo = server.output.split(separator: "\n").first { $0.hasPrefix("demo app:") }
        #expect(demo != nil && again.output.contains(String(demo ?? "")))
    }

    @Test("a call a crash left active is closed as interrupted when ringlet serve starts again")
    func crashedCallsClosedAtStart() async throws {
        let server = try await ServeProcess()
        let demo = try #require(server.output.split(separator: "\n").first { $0.hasPrefix("demo app:") })
        let appID = try #require(demo.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
        // The call is written as the router writes one at the answer; then the server dies without ending it.
        let store = try SQLiteStore(path: server.dataDir.appendingPathComponent("data/ringlet.sqlite").path)
        let started = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        try await store.insertCall(CallRecord(id: "call_00000000000000cc", appID: String(appID), sn: "DOOR", userID: "usr_x",
                                        direction: .deviceToUser, kind: .video, channel: .release, outcome: .active,
                                        startedAt: started, answeredAt: started + 1000))
        try await store.close()
        server.process.send(SIGKILL)
        #expect(await server.process.wait(timeout: 15))
        let again = try await ServeProcess(dataDir: server.dataDir)
        let (status, text, _) = try await runAdmin(["calls", "list", "--limit", "10"], server: again)
        #expect(status == 0)
        let calls = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["items"] as? [[String: Any]]
        #expect(calls?.first?["outcome"] as? String == "interrupted")
        #expect((calls?.first?["endedAt"] as? Int ?? 0) >= Int(started + 60_000))
        #expect(again.process.errorText.contains("closed calls left open by an earlier crash"))
    }

    @Test("with --store postgres://… everything is in PostgreSQL: a call a crash left active there is closed as interrupted when a node starts on another data folder")
    func postgresStore() async throws {
        let postgres = try await PostgresServer.shared()
        let url = try await postgres.createDatabase(prefix: "serve")
        let server = try await ServeProcess(store: url)
        #expect(server.process.errorText.contains("postgresql"))
        let demo = try #require(server.output.split(separator: "\n").first { $0.hasPrefix("demo app:") })
        let appID = try #require(demo.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
        let started = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        var configuration = try PostgresStore.Configuration(url: url)
        configuration.maximumConnections = 1
        try await PostgresStore.withStore(configuration) { store in
            #expect(try await store.app(id: String(appID)) != nil, "the demo app is in PostgreSQL")
            try await store.insertCall(CallRecord(id: "call_00000000000000dd", appID: String(appID), sn: "DOOR",
                                                  userID: "usr_x", direction: .deviceToUser, kind: .video,
                                                  channel: .release, outcome: .active, startedAt: started,
                                                  answeredAt: started + 1000))
        }
        server.process.send(SIGKILL)
        #expect(await server.process.wait(timeout: 15))
        let again = try await ServeProcess(store: url)
        #expect(!FileManager.default.fileExists(atPath: again.dataDir.appendingPathComponent("data/ringlet.sqlite").path))
        let (status, text, _) = try await runAdmin(["calls", "list", "--limit", "10"], server: again)
        #expect(status == 0)
        let calls = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["items"] as? [[String: Any]]
        #expect(calls?.first?["id"] as? String == "call_00000000000000dd")
        #expect(calls?.first?["outcome"] as? String == "interrupted")
        #expect(again.process.errorText.contains("closed calls left open by an earlier crash"))
    }

    @Test("schemathesis finds no server error in the OpenAPI document's operations (scripts/schemathesis.sh)",
          .timeLimit(.minutes(4)))
    func schemathesis() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folder = try temporaryFolder(prefix: "ringlet-schemathesis")
        let child = try ChildProcess(
            "/bin/bash", arguments: [root.appendingPathComponent("scripts/schemathesis.sh").path, try ringletExecutable()],
            folder: folder, name: "schemathesis", options: .init(currentDirectory: root)
        )
        #expect(await child.wait(timeout: 200), "schemathesis.sh did not finish")
        #expect(child.terminationStatus == 0, "\(child.outputText.suffix(4000))\n\(child.errorText)")
    }
}

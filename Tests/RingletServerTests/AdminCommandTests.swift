import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RingletTestSupport
import Testing

/// Runs `ringlet …` as a child with only `environment` added; returns (exit code, standard output, standard error).
func runRinglet(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) async throws
    -> (Int32, String, String)
{
    let folder = try temporaryFolder(prefix: "ringlet-cli")
    let child = try ChildProcess(try ringletExecutable(), arguments: arguments, folder: folder, name: "ringlet",
                                 options: .init(environment: environment, currentDirectory: directory))
    guard await child.wait(timeout: 60) else {
        await child.stop()
        throw TestSupportError("ringlet \(arguments) did not finish")
    }
    return (child.terminationStatus ?? -1, child.outputText, child.errorText)
}

/// The lines of an ArgumentParser help screen's OPTIONS and SUBCOMMANDS sections that name an entry
/// (`  --name <name>`, `  issue`) with whether a description follows it (on its line, or indented below).
func helpEntries(_ help: String) -> [(entry: String, described: Bool)] {
    let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var entries: [(String, Bool)] = []
    var section = ""
    for (index, line) in lines.enumerated() {
        if !line.hasPrefix(" "), line.hasSuffix(":") { section = line; continue }
        guard section == "OPTIONS:" || section == "SUBCOMMANDS:", line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("See '") { continue }
        let parts = trimmed.components(separatedBy: "  ").filter { !$0.isEmpty }
        let next = index + 1 < lines.count ? lines[index + 1] : ""
        let described = parts.count > 1 || (next.hasPrefix("      ") && !next.trimmingCharacters(in: .whitespaces).hasPrefix("-"))
        entries.append((parts.first ?? trimmed, described))
    }
    return entries
}

@Suite("ringlet admin: help, errors and output a person can use", .serialized)
struct AdminCommandTests {
    @Test("every subcommand and option of ringlet admin has a one-line description in --help")
    func everythingDescribed() async throws {
        var leaves: [[String]] = []
        let (_, top, _) = try await runRinglet(["admin", "--help"])
        let groups = helpEntries(top).filter { !$0.entry.hasPrefix("-") && $0.entry != "help" }
        #expect(groups.map(\.entry).sorted() == ["app", "calls", "device", "model", "ticket", "user"])
        for group in groups {
            #expect(group.described, "admin \(group.entry)")
            let (_, text, _) = try await runRinglet(["admin", group.entry, "--help"])
            for sub in helpEntries(text) where !sub.entry.hasPrefix("-") && sub.entry != "help" {
                #expect(sub.described, "admin \(group.entry) \(sub.entry)")
                leaves.append([group.entry, sub.entry])
            }
        }
        #expect(leaves.map { $0.joined(separator: " ") }.sorted() == [
            "app create", "app rotate-secret", "calls list", "device create", "device delete", "device rename",
            "device reset", "model create", "ticket issue", "user create", "user revoke", "user sign-in-link",
        ])
        for leaf in leaves {
            let (_, text, _) = try await runRinglet(["admin"] + leaf + ["--help"])
            let options = helpEntries(text).filter { $0.entry.hasPrefix("-") }
            #expect(options.contains { $0.entry.hasPrefix("--server") } && options.contains { $0.entry.hasPrefix("--field") })
            for option in options { #expect(option.described, "admin \(leaf.joined(separator: " ")) \(option.entry)") }
        }
    }

    @Test("a mistake shows the subcommand's own usage, not ringlet's")
    func errorsShowTheirUsage() async throws {
        let (missing, _, missingText) = try await runRinglet(["admin", "ticket", "issue"])
        #expect(missing != 0)
        #expect(missingText.contains("--sn") && missingText.contains("Usage: ringlet admin ticket issue"), "\(missingText)")
        let empty = try temporaryFolder(prefix: "ringlet-no-dev")
        let (noToken, _, noTokenText) = try await runRinglet(
            ["admin", "device", "rename", "--sn", "X", "--name", "Y", "--data-dir", empty.path])
        #expect(noToken == 1)
        #expect(noTokenText.contains("Error: no admin token") && noTokenText.contains("Usage: ringlet admin device rename"),
                "\(noTokenText)")
        let (noApp, _, noAppText) = try await runRinglet(
            ["admin", "ticket", "issue", "--sn", "X", "--token", "rla_x", "--data-dir", empty.path])
        #expect(noApp == 1)
        #expect(noAppText.contains("--app is required") && noAppText.contains("Usage: ringlet admin ticket issue"), "\(noAppText)")
    }

    @Test("URLs are printed as they are (pasteable), --field prints one field, ticket issue --name names the device and device rename renames it")
    func outputAndNames() async throws {
        let server = try await ServeProcess()
        let (userStatus, userText, _) = try await runAdmin(["user", "create", "--name", "Eve", "--data-dir",
                                                            server.dataDir.appendingPathComponent("data").path], server: server)
        #expect(userStatus == 0)
        let userID = try #require(object(userText)["id"] as? String)
        let (_, linkText, _) = try await runAdmin(["user", "sign-in-link", "--user", userID, "--data-dir",
                                                   server.dataDir.appendingPathComponent("data").path], server: server)
        #expect(linkText.contains("\"url\" : \"\(server.base)/app/#code=rlc_"), "\(linkText)")
        #expect(!linkText.contains("\\/"))
        // A dev server's data folder gives the app and model; --field prints the bare value.
        let data = server.dataDir.appendingPathComponent("data").path
        let (ticketStatus, ticket, ticketError) = try await runAdmin(
            ["ticket", "issue", "--sn", "PORCH-1", "--name", "Porch", "--field", "ticket", "--data-dir", data], server: server)
        #expect(ticketStatus == 0, "\(ticketError)")
        #expect(ticket.hasPrefix("rlt_") && !ticket.contains("\""), "\(ticket)")
        #expect(try await Self.deviceName("PORCH-1", server) == "Porch")
        let (renameStatus, renamed, _) = try await runAdmin(["device", "rename", "--sn", "PORCH-1", "--name", "Porch light"],
                                                            server: server)
        #expect(renameStatus == 0)
        #expect(object(renamed)["name"] as? String == "Porch light")
        #expect(try await Self.deviceName("PORCH-1", server) == "Porch light")
        // Next to the dev server's folder, no token is needed either.
        let (devStatus, devText, devError) = try await runRinglet(["admin", "calls", "list", "--data-dir", data])
        #expect(devStatus == 0, "\(devError)")
        #expect(object(devText)["items"] != nil)
    }

    @Test("ringlet serve refuses a bad setting before it prints any secret")
    func noSecretsBeforeRefusing() async throws {
        let folder = try temporaryFolder(prefix: "ringlet-serve-bad")
        for bad in [["--turn", "0.0.0.0"], ["--http", "127.0.0.1:http"], ["--ring-timeout", "0"]] {
            let (status, output, error) = try await runRinglet(
                ["serve", "--dev", "--data-dir", folder.appendingPathComponent("data").path] + bad)
            #expect(status != 0, "\(bad) is refused")
            for secret in ["rla_", "rls_", "secret="] {
                #expect(!output.contains(secret) && !error.contains(secret), "\(bad): \(output)\n\(error)")
            }
            #expect(error.contains("Error:"), "\(bad): says why: \(error)")
        }
    }

    /// The device's name, read through the API with the admin token.
    static func deviceName(_ sn: String, _ server: ServeProcess) async throws -> String? {
        var request = URLRequest(url: try #require(URL(string: "\(server.base)/v1/devices/\(sn)")))
        request.setValue("Bearer \(server.adminToken)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        return object(String(decoding: data, as: UTF8.self))["name"] as? String
    }
}

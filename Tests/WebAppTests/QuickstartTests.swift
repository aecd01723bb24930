#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOPosix
import RingletNIO
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// docs/quickstart.md followed literally, so that it cannot rot: the commands are taken from its blocks (marked
/// `<!-- quickstart: NAME -->`) and run with bash in an empty folder inside a private network namespace, as a person
/// runs them in two terminals; what the page says to do in the browser is done in headless Chromium. The build
/// block is the one not run (the test runs after `swift build`): its PATH is set here to the built programs.
@Suite("The quick start, followed literally", .serialized, .timeLimit(.minutes(4)))
struct QuickstartTests {
    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/quickstart.md")

    /// The marked blocks of docs/quickstart.md: name → the block's text.
    static func blocks() throws -> [String: String] {
        let lines = try String(contentsOf: page, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var blocks: [String: String] = [:]
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            guard line.hasPrefix("<!-- quickstart: "), line.hasSuffix(" -->") else { continue }
            let name = String(line.dropFirst("<!-- quickstart: ".count).dropLast(" -->".count))
            guard index < lines.count, lines[index].hasPrefix("```") else { continue }
            var body: [Substring] = []
            index += 1
            while index < lines.count, !lines[index].hasPrefix("```") {
                body.append(lines[index])
                index += 1
            }
            blocks[name] = body.joined(separator: "\n")
        }
        return blocks
    }

    /// The device's per-second status lines (standard error): call number, video and audio frames sent and received.
    static func statusLines(_ text: String) -> [(call: Int, sentVideo: Int, sentAudio: Int, receivedVideo: Int, receivedAudio: Int)] {
        let pattern = /call (\d+) \S+ \| sent v (\d+) a (\d+) \| recv v (\d+) a (\d+)/
        return text.split(separator: "\n").compactMap { line in
            guard let m = line.firstMatch(of: pattern), let call = Int(m.1), let sv = Int(m.2), let sa = Int(m.3),
                  let rv = Int(m.4), let ra = Int(m.5) else { return nil }
            return (call, sv, sa, rv, ra)
        }
    }

    /// Waits until the device's status says a call (not `before`) carries video and audio both ways; returns its
    /// number.
    static func waitForDeviceMedia(_ device: RingletTestSupport.ChildProcess, after before: Int?) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let line = statusLines(device.errorText).last(where: { $0.call != before }),
               line.sentVideo > 0, line.sentAudio > 0, line.receivedVideo > 0, line.receivedAudio > 0 {
                return line.call
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestSupportError("the device's status never showed media both ways:\n\(device.errorText.suffix(1500))")
    }

    @Test("docs/quickstart.md as written: ringlet serve --dev, sign in at the server's address, a ticket from ringlet admin, ringlet device with it; the device calls the page and the page calls the device, each with video and sound both ways")
    func followTheQuickstart() async throws {
        guard geteuid() == 0 else { throw TestSupportError("the quick start test needs root (ip netns)") }
        let blocks = try Self.blocks()
        #expect(Set(blocks.keys) == ["build", "server", "ticket", "device", "device-calls"], "\(blocks.keys.sorted())")
        let build = try #require(blocks["build"])
        #expect(build.contains("swift build") && build.contains("export PATH=\"$PWD/.build/debug:$PATH\""))
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        #expect(text.contains("<http://127.0.0.1:8080/>"), "the page names the server's address")

        let namespace = try NetworkNamespace.create(name: "ringlet-qs-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        let folder = try temporaryFolder(prefix: "ringlet-quickstart")
        let group = try await namespace.makeEventLoopGroup(numberOfThreads: 1)
        var processes: [RingletTestSupport.ChildProcess] = []
        var browser: HeadlessBrowser?
        // The built programs on PATH, as the build block's export does in the clone.
        let programs = URL(fileURLWithPath: try ringletExecutable()).deletingLastPathComponent().path
        let path = programs + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        func shell(_ name: String, _ script: String, environment: [String: String] = [:], input: Bool = false) throws
            -> RingletTestSupport.ChildProcess
        {
            let command = namespace.exec(["bash", "-c", script])
            let process = try RingletTestSupport.ChildProcess(
                command[0], arguments: Array(command.dropFirst()), folder: folder, name: name,
                options: .init(environment: ["PATH": path].merging(environment) { $1 }, currentDirectory: folder,
                               keepStandardInputOpen: input, ownProcessGroup: true, grace: 5))
            processes.append(process)
            return process
        }
        do {
            // 1. The server.
            let server = try shell("server", try #require(blocks["server"]))
            guard await server.waitForLine(containing: "demo device", timeout: 60) != nil else {
                throw TestSupportError("ringlet serve --dev did not start:\n\(server.outputText)\n\(server.errorText)")
            }
            let said = server.outputText
            #expect(said.contains("web app: http://127.0.0.1:8080/app/"))
            #expect(said.contains("API: http://127.0.0.1:8080/v1/ (OpenAPI document: http://127.0.0.1:8080/v1/openapi.yaml)"))
            #expect(said.contains("ringlet device --sn DOOR-1 --ticket"), "\(said)")

            // 2. Sign in at the server's address (it redirects to the web app); the Account tab has the openId.
            let chromium = try await HeadlessBrowser.launch(url: "http://127.0.0.1:8080/", in: namespace, group: group,
                                                            folder: folder, name: "chromium")
            browser = chromium
            let page = try await chromium.firstPage()
            try await page.emulatePhone()
            try await signIn(page, as: "Ada")
            try await page.click(tab: "Account")
            try await page.waitUntil("document.getElementById('account-openid').textContent.startsWith('oid_')")
            let openId = try await page.string("document.getElementById('account-openid').textContent")

            // 3. A ticket from ringlet admin, typed into Authorize a device.
            let ticketing = try shell("ticket", try #require(blocks["ticket"]))
            guard await ticketing.wait(timeout: 60) else { throw TestSupportError("the ticket step did not finish") }
            #expect(ticketing.terminationStatus == 0, "\(ticketing.errorText)")
            let ticket = try #require(ticketing.outputText.split(separator: "\n").last.map(String.init))
            #expect(ticket.hasPrefix("rlt_"), "\(ticketing.outputText)")
            try await page.click(tab: "Devices")
            try await authorize(page, sn: "DOOR-1", ticket: ticket)
            try await page.waitForText("Front door may now call you.")

            // 4. The device, in the shell that holds $TICKET.
            let device = try shell("device", try #require(blocks["device"]), environment: ["TICKET": ticket], input: true)
            try await waitUntilListedOnline(page, sn: "DOOR-1")

            // 5. The device calls (the line typed into its terminal, with the openId), the page answers.
            let typed = try #require(blocks["device-calls"])
            #expect(typed == "call oid_…")
            try device.writeLine(typed.replacingOccurrences(of: "oid_…", with: openId))
            try await page.waitForState("callState", "ringing", timeout: .seconds(20))
            #expect(try await page.string("document.getElementById('call-peer').textContent") == "Front door")
            try await page.click(button: "Answer")
            try await waitForPageMedia(page)
            let first = try await Self.waitForDeviceMedia(device, after: nil)
            try await page.click(button: "Hang up")
            try await waitForCallEnd(page, "hang_up", "You hung up.")
            try await page.click(button: "Close")

            // The page calls the device, which answers by itself.
            try await page.click(button: "Call")
            try await waitForPageMedia(page)
            _ = try await Self.waitForDeviceMedia(device, after: first)
            try await page.click(button: "Hang up")
            try await waitForCallEnd(page, "hang_up", "You hung up.")
        } catch {
            let logs = processes.map { "\($0.outputFile.lastPathComponent):\n\($0.outputText.suffix(1500))\n\($0.errorText.suffix(1500))" }
            await Self.teardown(processes, browser, group, namespace, folder)
            throw TestSupportError("\(error)\n\(logs.joined(separator: "\n"))")
        }
        await Self.teardown(processes, browser, group, namespace, folder)
    }

    static func teardown(_ processes: [RingletTestSupport.ChildProcess], _ browser: HeadlessBrowser?,
                         _ group: MultiThreadedEventLoopGroup, _ namespace: NetworkNamespace, _ folder: URL) async {
        await browser?.stop()
        for process in processes.reversed() { await process.stop() }
        try? await group.shutdownGracefully()
        namespace.delete()
        try? FileManager.default.removeItem(at: folder)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RingletNIO
import RingletTestSupport

/// A real `ringlet device` process (the simulated device on the device SDK's seed facade, docs/device-sdk.md) in
/// the test's network namespace, against the bench's `ringlet serve --dev`: started with `--events-json`, so
/// each seed callback is one JSON object on its standard output (`{"t": ms, "cb": "onRecvCommand", "command":
/// "CALL_ANSWER", …}`) and a `{"cb": "status", …}` line comes every second; commands go to its standard input
/// (`call OPENID`, `hangup`, `accept`, `busy`, `refuse`, `notice TEXT`, `status`, `quit`).
///
/// Events are numbered in arrival order; ``mark`` is the number seen so far, so a test can wait for what
/// happens after a step (`waitFor(…, after: mark)`). Every wait is bounded and fails with the device's last
/// events and its standard error.
package final class DeviceProcess {
    /// The device's SN.
    package let sn: String
    /// Where its credentials file lives (kept across restarts of the same SN in one bench).
    package let dataFolder: URL
    private let process: RingletTestSupport.ChildProcess
    private var parsed: [[String: Any]] = []
    private var consumed = 0

    /// Starts `ip netns exec NS ringlet device --server BASE --sn SN --model M --app A --data-dir DATA
    /// [--ticket T] --events-json [arguments…]`.
    ///
    /// - Parameters:
    ///   - ticket: the SN ticket to register with; nil when the data folder already has credentials.
    ///   - arguments: more flags (`--call OPENID`, `--on-join busy`, `--hang-up-after 2` …).
    ///   - name: the name of its output files in `folder`.
    ///   - producer: a shell command whose standard output becomes the device's standard input (`ffmpeg … -f
    ///     h264 -`, for `--video -`); the two run as `sh -c 'PRODUCER | ringlet device …'` in a process group of
    ///     their own, stopped together. The device then takes no commands.
    package convenience init(server: DevServer, namespace: NetworkNamespace, folder: URL, sn: String, ticket: String?,
                             arguments: [String], name: String, producer: String? = nil) throws {
        try self.init(base: server.base, modelID: server.modelID, appID: server.appID,
                      caFile: server.certificates?.caFile, namespace: namespace, folder: folder, sn: sn,
                      ticket: ticket, arguments: arguments, name: name, producer: producer)
    }

    /// The same for a server at `base` with an app and model made some other way (`caFile`: the CA to trust for
    /// an https:// server).
    package convenience init(base: String, modelID: String, appID: String, caFile: String?, namespace: NetworkNamespace,
                             folder: URL, sn: String, ticket: String?, arguments: [String], name: String,
                             producer: String? = nil) throws {
        let data = folder.appendingPathComponent("device-\(sn)")
        var command = [
            try ringletExecutable(), "device", "--server", base, "--sn", sn, "--model", modelID,
            "--app", appID, "--data-dir", data.path, "--events-json",
        ]
        if let ticket { command += ["--ticket", ticket] }
        if let caFile { command += ["--ca-file", caFile] }
        command += arguments
        if let producer {
            let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            command = ["sh", "-c", "\(producer) | \(quoted)"]
        }
        try self.init(command: command, namespace: namespace, folder: folder, sn: sn, dataFolder: data, name: name,
                      fedByProducer: producer != nil)
    }

    /// Starts `ip netns exec NS command…`: a `ringlet device`, or another tool that prints the same JSON events
    /// (`ringlet phone --events-json`; `sn` then only names it in messages). `fedByProducer`: the command is a
    /// `sh -c 'PRODUCER | …'` pipeline, run in a process group of its own and without a command pipe.
    package init(command: [String], namespace: NetworkNamespace, folder: URL, sn: String, dataFolder: URL,
                 name: String, fedByProducer: Bool = false) throws {
        self.sn = sn
        self.dataFolder = dataFolder
        let full = namespace.exec(command)
        process = try RingletTestSupport.ChildProcess(
            full[0], arguments: Array(full.dropFirst()), folder: folder, name: name,
            options: .init(keepStandardInputOpen: !fedByProducer, ownProcessGroup: fedByProducer, grace: 5))
    }

    // MARK: Events

    /// Every JSON event printed so far (status lines included), oldest first.
    package var events: [[String: Any]] {
        readNewLines()
        return parsed
    }

    /// How many events have been printed so far: pass it as `after` to wait for what comes next.
    package var mark: Int { events.count }

    /// The callback names printed after event number `after`, status lines left out.
    package func callbacks(after: Int = 0) -> [String] {
        events.dropFirst(after).compactMap { $0["cb"] as? String }.filter { $0 != "status" }
    }

    /// The `onRecvCommand` command names after event number `after` (`REQ_IFRAME`, which the page sends when
    /// it wants a keyframe, left out).
    package func commands(after: Int = 0) -> [String] {
        events.dropFirst(after).filter { $0["cb"] as? String == "onRecvCommand" }
            .compactMap { $0["command"] as? String }.filter { $0 != "REQ_IFRAME" }
    }

    /// The last status line (`online`, `busy`, `streaming`, `videoSent`, `audioSent`, `videoReceived`,
    /// `audioReceived`, `link` …), or an empty dictionary before the first.
    package var lastStatus: [String: Any] {
        events.last { $0["cb"] as? String == "status" } ?? [:]
    }

    /// Waits until an event after number `after` satisfies `match`; returns it.
    ///
    /// - Throws: when the process exits or `timeout` passes first, with its last events and standard error.
    @discardableResult
    package func waitFor(_ what: String, after: Int = 0, timeout: Duration = .seconds(15),
                         _ match: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let end = ContinuousClock.now + timeout
        while true {
            if let event = events.dropFirst(after).first(where: match) { return event }
            let exited = !process.isRunning
            if exited || ContinuousClock.now >= end {
                // One last read: the event may have been written just before the exit.
                if let event = events.dropFirst(after).first(where: match) { return event }
                throw DevToolsError("""
                    device \(sn): no \(what) \(exited ? "before it exited (status \(process.terminationStatus.map(String.init) ?? "?"))" : "within \(timeout)")
                    \(describe())
                    """)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits for the callback `name` after event number `after`.
    @discardableResult
    package func waitFor(callback name: String, after: Int = 0, timeout: Duration = .seconds(15)) async throws
        -> [String: Any]
    {
        try await waitFor(name, after: after, timeout: timeout) { $0["cb"] as? String == name }
    }

    /// Waits for `onRecvCommand` with the command `name` (`CALL_ANSWER`, `USR_DATA` …) after event number `after`.
    @discardableResult
    package func waitFor(command name: String, after: Int = 0, timeout: Duration = .seconds(15)) async throws
        -> [String: Any]
    {
        try await waitFor("onRecvCommand \(name)", after: after, timeout: timeout) {
            $0["cb"] as? String == "onRecvCommand" && $0["command"] as? String == name
        }
    }

    /// Waits for a status line after event number `after` that satisfies `match`.
    @discardableResult
    package func waitForStatus(_ what: String, after: Int = 0, timeout: Duration = .seconds(15),
                               _ match: @escaping ([String: Any]) -> Bool) async throws -> [String: Any] {
        try await waitFor("status with \(what)", after: after, timeout: timeout) {
            $0["cb"] as? String == "status" && match($0)
        }
    }

    /// Waits until the device is online and may place calls (`onNotify P2P_PEER_READY`).
    package func waitUntilReady(timeout: Duration = .seconds(20)) async throws {
        try await waitFor("P2P_PEER_READY", timeout: timeout) {
            $0["cb"] as? String == "onNotify" && $0["name"] as? String == "P2P_PEER_READY"
        }
    }

    // MARK: Commands

    /// Writes one command line to its standard input (`call OPENID`, `hangup`, `notice TEXT` …).
    package func send(_ line: String) throws {
        Self.ignoreBrokenPipes
        guard process.isRunning else { throw DevToolsError("device \(sn) has exited; cannot send \(line)\n\(describe())") }
        try process.writeLine(line)
    }

    /// A write to the pipe of a device that just exited fails with EPIPE instead of killing the test process.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Stops it: SIGTERM (it hangs up and tears down), SIGKILL after 5 s.
    package func stop() async {
        await process.stop()
    }

    /// Kills it at once (SIGKILL): no hang-up, no teardown — its signaling connection just drops, as when a
    /// device loses power.
    package func kill() async {
        process.send(SIGKILL)
        _ = await process.wait(timeout: 5)
    }

    /// Whether it is still running.
    package var isRunning: Bool { process.isRunning }

    /// Its last events (status lines left out) and the end of its standard error, for failure messages.
    package func describe() -> String {
        let recent = events.filter { $0["cb"] as? String != "status" }.suffix(25).map(Self.line)
        let status = lastStatus.isEmpty ? "none" : Self.line(lastStatus)
        return "device \(sn) events:\n  \(recent.joined(separator: "\n  "))\nlast status: \(status)\n"
            + "stderr (the per-second status lines left out but the last):\n\(Self.withoutStatusLines(process.errorText))"
            + "\nstdout lines that are not events:\n"
            + process.outputText.split(separator: "\n").filter { !$0.hasPrefix("{") }.suffix(30).joined(separator: "\n")
    }

    /// Standard error's log lines (the last 3000 characters of them) and its last status line (`[  1.0s] …`).
    private static func withoutStatusLines(_ text: String) -> String {
        let lines = text.split(separator: "\n")
        let isStatus = { (line: Substring) in line.hasPrefix("[") && line.contains("s] ") }
        let logs = lines.filter { !isStatus($0) }.joined(separator: "\n").suffix(3000)
        return logs + "\n" + (lines.last(where: isStatus) ?? "")
    }

    private static func line(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "\(object)"
    }

    /// Parses the whole lines added to its standard output since the last read.
    private func readNewLines() {
        guard let data = try? Data(contentsOf: process.outputFile), data.count > consumed else { return }
        let fresh = data[data.startIndex + consumed ..< data.endIndex]
        guard let lastNewline = fresh.lastIndex(of: UInt8(ascii: "\n")) else { return }
        for line in fresh[..<lastNewline].split(separator: UInt8(ascii: "\n")) {
            if let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] {
                parsed.append(object)
            }
        }
        consumed = lastNewline - data.startIndex + 1
    }
}

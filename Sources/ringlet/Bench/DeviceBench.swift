import ArgumentParser
import RingletDeviceTool
import Foundation
import Logging
import NIOConcurrencyHelpers
import RingletPhone

/// `ringlet bench device`: the memory of a device process (a `ringlet device` child on the SDK's facade) — idle
/// and registered, during a call sending 640×480 H.264 at 15 fps plus G.711, and after many consecutive calls.
/// The cloud service and the phone that answers run in this process.
struct DeviceBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "RSS of a device process: idle, in a call, and growth over consecutive calls (JSON)."
    )

    @Option(help: "Consecutive calls for the growth figure.") var calls = 200
    @Option(name: .customLong("call-seconds"), help: "Seconds of media per call.") var callSeconds: Double = 1
    @Option(name: .customLong("in-call-seconds"), help: "Seconds of the measured call (RSS sampled every 100 ms).")
    var inCallSeconds: Double = 5
    @Option(name: .customLong("device-binary"),
            help: "The device program to measure (default: ringlet-device beside this program, else `ringlet device`).")
    var deviceBinary: String?
    @Flag(name: .customLong("keep-startup-pages"),
          help: "Run the device with --keep-startup-pages (start-up code stays resident).")
    var keepStartupPages = false

    func validate() throws {
        guard (1...10_000).contains(calls) else { throw ValidationError("--calls is 1…10000") }
        guard callSeconds >= 0.2, callSeconds <= 60, inCallSeconds >= 1, inCallSeconds <= 600 else {
            throw ValidationError("--call-seconds 0.2…60, --in-call-seconds 1…600")
        }
    }

    func run() async throws {
        var logger = Logger(label: "ringlet.bench")
        logger.logLevel = .critical
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cloud = try await LocalCloud.start(dataDir: folder.appendingPathComponent("server").path, logger: logger)
        let result: [String: Any]
        do {
            result = try await measure(cloud: cloud, folder: folder, logger: logger)
        } catch {
            await cloud.stop()
            throw error
        }
        await cloud.stop()
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    private func measure(cloud: LocalCloud, folder: URL, logger: Logger) async throws -> [String: Any] {
        let sn = "BENCH_DEVICE-1"
        let user = try await cloud.backend.createUser(name: "Bench")
        let token = try await cloud.backend.sessionToken(userId: user.id)
        let ticket = try await cloud.backend.ticket(sn: sn, modelId: cloud.modelId)
        try await cloud.backend.authorize(token: token, sn: sn, ticket: ticket)
        var c = RingletPhone.Configuration(server: cloud.base, token: token)
        c.answerPolicy = .answer(after: .milliseconds(50))
        let phone = try RingletPhone(configuration: c, logger: logger)
        let phoneTask = Task { await phone.run() }
        defer { phoneTask.cancel() }

        let device = try DeviceProcess(binary: deviceBinary, arguments: [
            "--server", cloud.base, "--sn", sn, "--model", cloud.modelId, "--app", cloud.appId,
            "--data-dir", folder.appendingPathComponent("device").path, "--ticket", ticket, "--events-json",
        ] + (keepStartupPages ? ["--keep-startup-pages"] : []))
        do {
            let result = try await measure(device, phone: phone, user: user)
            await device.stop()
            return result
        } catch {
            await device.stop()
            throw error
        }
    }

    /// The figures of a device process that is online with a phone beside it.
    private func measure(_ device: DeviceProcess, phone: RingletPhone, user: (id: String, openId: String)) async throws
        -> [String: Any]
    {
        guard await device.waitFor("P2P_PEER_READY", seconds: 20) else { throw DemoError("the device did not come online") }
        try await Task.sleep(for: .seconds(2))
        let idle = device.rssKB()
        let idleAnon = device.rssKB(field: "RssAnon:")
        let idleMappings = device.residentByMapping()

        // One measured call.
        var sampler = RSSSampler()
        try device.send("call \(user.openId) video")
        guard await device.waitFor("onStartRealPlay", after: 0, seconds: 20) else { throw DemoError("the call did not start") }
        let callStart = ContinuousClock.now
        var anonSampler = RSSSampler()
        var peakMappings: [[String: Any]] = []
        while callStart.duration(to: .now) < .milliseconds(Int64(inCallSeconds * 1000)) {
            let rss = device.rssKB()
            if rss > sampler.max { peakMappings = device.residentByMapping() }
            sampler.add(rss)
            anonSampler.add(device.rssKB(field: "RssAnon:"))
            try await Task.sleep(for: .milliseconds(100))
        }
        let inCallStatus = device.lastStatus
        let phoneStats = await phone.statistics()
        try device.send("hangup")
        guard await device.waitFor("onStopRealPlay", after: 0, seconds: 10) else { throw DemoError("the call did not stop") }

        // Consecutive calls.
        var after: [[String: Int]] = []
        var firstAfter = 0
        var lastAfter = 0
        let marks = Set([1, 10, 50, 100, 150, calls])
        for n in 1...calls {
            let starts = device.count("onStartRealPlay")
            let stops = device.count("onStopRealPlay")
            try device.send("call \(user.openId) video")
            guard await device.waitForCount("onStartRealPlay", starts + 1, seconds: 20) else {
                throw DemoError("call \(n) did not start")
            }
            try await Task.sleep(for: .milliseconds(Int64(callSeconds * 1000)))
            try device.send("hangup")
            guard await device.waitForCount("onStopRealPlay", stops + 1, seconds: 10) else {
                throw DemoError("call \(n) did not stop")
            }
            try await Task.sleep(for: .milliseconds(100))
            let rss = device.rssKB()
            if n == 1 { firstAfter = rss }
            lastAfter = rss
            if marks.contains(n) { after.append(["calls": n, "rss_kb": rss, "anon_kb": device.rssKB(field: "RssAnon:")]) }
        }
        await phone.stop()
        let callDelta = sampler.max - idle
        let growth = lastAfter - firstAfter
        return [
            "device_binary": device.executable,
            "startup_pages": keepStartupPages ? "kept" : "released once online",
            "idle_rss_kb": idle,
            "idle_anon_kb": idleAnon,
            "idle_mappings": idleMappings,
            "in_call": [
                "rss_kb_max": sampler.max, "rss_kb_median": sampler.median, "delta_over_idle_kb": callDelta,
                "anon_kb_max": anonSampler.max, "mappings_at_max": peakMappings,
                "seconds": inCallSeconds, "video": "640x480 H.264 15 fps (bundled clip)", "audio": "G.711 µ-law 8 kHz",
                "device_status": inCallStatus, "phone_received_video_frames": phoneStats.videoReceived,
                "phone_received_audio_frames": phoneStats.audioReceived,
            ] as [String: Any],
            "consecutive_calls": [
                "calls": calls, "seconds_per_call": callSeconds, "rss_after": after,
                "growth_kb": growth, "growth_measured_from": "after call 1 to after call \(calls)",
            ] as [String: Any],
            "goals": ["idle_rss_kb_max": 14 * 1024, "in_call_delta_kb_max": 5 * 1024, "growth_kb_max": 1024],
            "met": ["idle": idle <= 14 * 1024, "in_call": callDelta <= 5 * 1024, "growth": growth <= 1024],
        ]
    }
}

/// RSS samples (KiB).
struct RSSSampler {
    private(set) var samples: [Int] = []
    mutating func add(_ kb: Int) { if kb > 0 { samples.append(kb) } }
    var max: Int { samples.max() ?? 0 }
    var median: Int { samples.isEmpty ? 0 : samples.sorted()[samples.count / 2] }
}

/// A `ringlet device` child with its standard input and its JSON events.
final class DeviceProcess: @unchecked Sendable {
    // @unchecked Sendable: `lines` is under `lock`; the process and pipes are used by one task.
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let executable: String
    private let lock = NIOLock()
    private var lines: [String] = []
    private var status: [String: Any] = [:]

    /// Starts `binary` (a `ringlet-device` program), else `ringlet-device` beside this program, else this
    /// program's `device` subcommand, with `arguments`.
    init(binary: String?, arguments: [String]) throws {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let beside = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("ringlet-device").path
        if let binary {
            executable = binary
            process.arguments = arguments
        } else if FileManager.default.isExecutableFile(atPath: beside) {
            executable = beside
            process.arguments = arguments
        } else {
            executable = me
            process.arguments = ["device"] + arguments
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            let text = String(decoding: data, as: UTF8.self)
            self.lock.withLock {
                self.pending += text
                while let nl = self.pending.firstIndex(of: "\n") {
                    let line = String(self.pending[..<nl])
                    self.pending = String(self.pending[self.pending.index(after: nl)...])
                    self.lines.append(line)
                    if line.contains("\"cb\":\"status\""),
                       let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                        self.status = o
                    }
                }
            }
        }
        try process.run()
    }

    private var pending = ""

    var lastStatus: [String: Any] { lock.withLock { status } }

    func send(_ line: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    func count(_ marker: String) -> Int { lock.withLock { lines.filter { $0.contains(marker) }.count } }

    func waitFor(_ marker: String, after: Int = 0, seconds: Double) async -> Bool {
        await waitForCount(marker, after + 1, seconds: seconds)
    }

    func waitForCount(_ marker: String, _ n: Int, seconds: Double) async -> Bool {
        await pollUntil(seconds: seconds) { self.count(marker) >= n }
    }

    /// A field of /proc/<pid>/status in KiB (VmRSS by default; RssAnon is its anonymous part), 0 when gone.
    func rssKB(field: String = "VmRSS:") -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Where the resident memory is, from /proc/<pid>/smaps: KiB per backing file (its base name, or `[heap]`,
    /// `[stack]`, `anonymous`) and kind (`code` for executable mappings, `data` for the rest), largest first; the
    /// anonymous part of file mappings (written private pages) is counted under the file's `data`.
    func residentByMapping() -> [[String: Any]] {
        // Read to the end: procfs files report size 0, and a sized read stops early.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(process.processIdentifier)/smaps"),
              let data = try? handle.readToEnd() else { return [] }
        try? handle.close()
        let text = String(decoding: data, as: UTF8.self)
        var totals: [String: Int] = [:]
        var current: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5, !first.hasSuffix(":") {
                let perms = fields[1]
                let path = fields.count >= 6 ? fields[5...].joined(separator: " ") : "anonymous"
                let name = path.hasPrefix("/") ? String(path.split(separator: "/").last ?? "") : path
                current = "\(name) \(perms.contains("x") ? "code" : "data")"
            } else if fields.first == "Rss:", let current, fields.count >= 2, let kb = Int(fields[1]) {
                totals[current, default: 0] += kb
            }
        }
        return totals.filter { $0.value > 0 }.sorted { $0.value > $1.value }.map { ["mapping": $0.key, "rss_kb": $0.value] }
    }

    func stop() async {
        guard process.isRunning else { return }
        try? send("quit")
        let end = Date().addingTimeInterval(5)
        while process.isRunning, Date() < end { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { process.terminate() }
        output.fileHandleForReading.readabilityHandler = nil
    }
}

import Foundation
import Testing

/// No thread waits where Swift concurrency runs (issue 15, item 4): a grep of Sources for the primitives that make
/// a thread wait — semaphores, sleeps, condition waits, future waits. Only the files below may hold one, each
/// because its wait runs on a thread that no task runs on, and each still shows the mark that keeps it so.
@Suite("Sources: no blocking waits reachable from async code")
struct BlockingWaitGuardTests {
    /// What makes a thread wait.
    static let forbidden = ["DispatchSemaphore", "usleep(", "Thread.sleep(", "nanosleep(", "ConditionLock",
                            ".wait()", "waitUntilExit("]

    /// The files that may wait, why, and the text that must stay in the file (or the named one) for the reason to
    /// hold.
    static let allowed: [String: (reason: String, mark: String, in: String?)] = [
        "Sources/RingletDevice/Facade/ThreadBlocking.swift": (
            "the facade's blocking methods wait on the caller's own thread, and refuse inside a task",
            "guard !isInsideTask else { return nil }", nil),
        "Sources/ringlet/Bench/TURNBench.swift": (
            "bench turn and bench turn-server run on a thread of their own (BlockingCommand)",
            "struct TURNBenchCommand: BlockingCommand", nil),
        "Sources/ringlet/Bench/SetupBench.swift": (
            "bench setup runs on a thread of its own (BlockingCommand)",
            "struct SetupBenchCommand: BlockingCommand", "Sources/ringlet/Bench/SetupBench+Command.swift"),
        "Sources/ringlet/Bench/SetupBench+Chromium.swift": (
            "bench setup runs on a thread of its own (BlockingCommand)",
            "struct SetupBenchCommand: BlockingCommand", "Sources/ringlet/Bench/SetupBench+Command.swift"),
        "Sources/RingletNIO/ChildProcess.swift": (
            "the synchronous terminate is for the bench commands' threads; async code awaits the async form",
            "package func terminate(graceMilliseconds grace: Int = 2000) async", nil),
        "Sources/RingletTestSupport/ChildProcess.swift": (
            "synchronous waits for test helpers on threads of their own; async code uses the async forms",
            "public func wait(timeout: Double) async -> Bool", nil),
    ]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The forbidden words in a Swift source's code (comments left out).
    static func waits(in text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { line -> [String] in
            let code = line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line)
            return forbidden.filter { code.contains($0) }
        }
    }

    @Test("the scanner sees every forbidden primitive in code, and none in a comment")
    func scannerWorks() {
        for word in Self.forbidden {
            #expect(Self.waits(in: "    let x = \(word)") == [word])
            #expect(Self.waits(in: "    // \(word) in a comment").isEmpty)
        }
    }

    @Test("no DispatchSemaphore, usleep, sleep, condition or future wait in Sources except where the wait has a thread of its own")
    func sourcesDoNotBlock() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        #expect(files.count > 200, "the walk found the sources")
        var offenders: [String] = []
        for file in files {
            let path = String(file.path.dropFirst(Self.root.path.count + 1))
            let found = Self.waits(in: try String(contentsOf: file, encoding: .utf8))
            guard !found.isEmpty else { continue }
            if let rule = Self.allowed[path] {
                let markFile = rule.in.map { Self.root.appendingPathComponent($0) } ?? file
                let text = try String(contentsOf: markFile, encoding: .utf8)
                #expect(text.contains(rule.mark), "\(path) may wait only because \(rule.reason); its mark is gone")
            } else {
                offenders.append("\(path): \(Set(found).sorted().joined(separator: ", "))")
            }
        }
        #expect(offenders.isEmpty, "blocking waits outside the allowed files:\n\(offenders.joined(separator: "\n"))")
    }
}

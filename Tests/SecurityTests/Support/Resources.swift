import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process's resident memory and open descriptors, read from /proc/<pid> (`VmRSS` of `status`, the entries of
/// `fd`).
struct ProcessResources: CustomStringConvertible {
    var rssKB: Int
    var descriptors: Int

    static func read(_ pid: pid_t) -> ProcessResources? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        return ProcessResources(rssKB: kb, descriptors: fds)
    }

    var description: String { "RSS \(rssKB / 1024) MB, \(descriptors) descriptors" }
}

/// Samples a process every 100 ms from `start()` to `stop()` and keeps the first sample and the peaks.
final class ResourceSampler: @unchecked Sendable {
    // @unchecked Sendable: every var is under `lock`.
    let pid: pid_t
    private let lock = NSLock()
    private var first: ProcessResources?
    private var peakRSS = 0
    private var peakFDs = 0
    private var task: Task<Void, Never>?

    init(pid: pid_t) { self.pid = pid }

    /// Takes the baseline and starts sampling.
    func start() {
        let baseline = ProcessResources.read(pid)
        lock.withLock {
            first = baseline
            peakRSS = baseline?.rssKB ?? 0
            peakFDs = baseline?.descriptors ?? 0
        }
        task = Task { [weak self] in
            while !Task.isCancelled {
                self?.sample()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func sample() {
        guard let now = ProcessResources.read(pid) else { return }
        lock.withLock {
            peakRSS = max(peakRSS, now.rssKB)
            peakFDs = max(peakFDs, now.descriptors)
        }
    }

    /// Stops sampling; returns the baseline, the peaks and the state now.
    func stop() -> (baseline: ProcessResources, peak: ProcessResources, now: ProcessResources) {
        task?.cancel()
        sample()
        let now = ProcessResources.read(pid) ?? ProcessResources(rssKB: 0, descriptors: 0)
        return lock.withLock {
            (first ?? now, ProcessResources(rssKB: peakRSS, descriptors: peakFDs), now)
        }
    }
}

/// One line per attack in the test output, collected for the report: which limit held and what was measured.
enum SecurityReport {
    static func record(_ attack: String, limit: String, _ figures: [String: Any]) {
        var object = figures
        object["attack"] = attack
        object["limit"] = limit
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        print("SECURITY-REPORT " + String(decoding: data, as: UTF8.self))
    }
}

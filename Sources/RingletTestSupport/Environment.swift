import Foundation
import Glibc
import RingletCore

/// Folders searched after `PATH` by ``which(_:)``: daemons such as coturn's `turnserver` may live in an `sbin`.
private let extraToolFolders = ["/usr/local/sbin", "/usr/sbin", "/sbin"]

/// The absolute path of the executable `tool`, searched in `PATH` (or `/usr/bin:/bin` if unset) and then in the
/// `sbin` folders; `tool` itself if it contains a `/` and is executable; nil if not found.
public func which(_ tool: String) -> String? {
    if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let folders = path.split(separator: ":").map(String.init) + extraToolFolders
    return folders.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The absolute path of `tool` (see ``which(_:)``).
///
/// - Throws: ``TestSupportError`` naming the Debian `package` to install: a missing peer fails the test, it does
///   not skip it.
public func requireTool(_ tool: String, package: String) throws -> String {
    guard let path = which(tool) else {
        throw TestSupportError("\(tool) is not installed (apt-get install -y \(package)); the tests that use it need it")
    }
    return path
}

/// A fresh, empty folder `<temporary directory>/<prefix>-<UUID>` for one test. The caller removes it.
public func temporaryFolder(prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The monotonic clock (`CLOCK_MONOTONIC`) as an ``Instant``, for tests that drive a sans-IO state machine in
/// real time (the library itself never reads a clock).
public func monotonicNow() -> Instant {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
}

/// The built `ringlet` executable, beside the test bundle (`.build*/debug/ringlet`; `swift build --build-tests`
/// builds it).
/// - Throws: ``TestSupportError`` when it is not there.
public func ringletExecutable() throws -> String {
    let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [bundleFolder.appendingPathComponent("ringlet").path]
    // xctest bundles on Linux run as `<folder>/<Package>PackageTests.xctest`; on other layouts look one level up.
    candidates.append(bundleFolder.deletingLastPathComponent().appendingPathComponent("ringlet").path)
    guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw TestSupportError("no ringlet executable next to the tests (\(candidates)); run swift build --build-tests")
    }
    return path
}

import Foundation
import Glibc
import RingletCore

/// Why an interop test could not run.
struct InteropError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The `openssl` command-line tool, a peer nobody here wrote. Missing, it fails the test (it does not skip).
enum OpenSSLTool {
    static func path() throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/openssl"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw InteropError("openssl is not installed (apt-get install -y openssl)")
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-dtls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs openssl to completion (bounded) and returns its stdout.
    static func run(_ arguments: [String], folder: URL) throws -> String {
        let p = try OpenSSLProcess(arguments, folder: folder, name: "run")
        guard p.waitForExit(seconds: 20) else { throw InteropError("openssl \(arguments) did not finish") }
        return p.output
    }
}

/// One openssl process this test started. Only its own pid is ever signalled; every wait is bounded.
final class OpenSSLProcess {
    let process = Process()
    let stdin = Pipe()  // kept open: s_server and s_client end their session at end of input
    let outURL: URL
    let errURL: URL

    init(_ arguments: [String], folder: URL, name: String) throws {
        process.executableURL = URL(fileURLWithPath: try OpenSSLTool.path())
        process.arguments = arguments
        outURL = folder.appendingPathComponent("\(name).out")
        errURL = folder.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardInput = stdin
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
    }

    var output: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var errors: String { String(((try? String(contentsOf: errURL, encoding: .utf8)) ?? "").suffix(3000)) }

    func waitForExit(seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < end { usleep(10_000) }
        return !process.isRunning
    }

    /// Waits (bounded) until stdout contains `marker`; returns the line after it on that line, if any.
    func waitForLine(containing marker: String, seconds: Double) -> String? {
        let end = Date().addingTimeInterval(seconds)
        repeat {
            if let line = output.split(separator: "\n").first(where: { $0.contains(marker) }) {
                return String(line)
            }
            usleep(20_000)
        } while Date() < end
        return nil
    }

    /// SIGTERM to this pid, then SIGKILL after 0.5 s, each wait bounded.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)  // often blocked in the child (inherited mask); SIGKILL follows
        if waitForExit(seconds: 0.5) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(seconds: 3)
    }

    deinit { stop() }
}

/// A UDP socket on 127.0.0.1 with bounded receives that report the sender's port.
final class LoopbackSocket {
    let fd: Int32
    let port: UInt16

    init(port: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw InteropError("socket() failed") }
        var addr = Self.address(port: port)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw InteropError("bind failed: errno \(errno)")
        }
        var local = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        self.port = UInt16(bigEndian: local.sin_port)
    }

    deinit { close(fd) }

    static func address(port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return a
    }

    /// A port that was free a moment ago.
    static func freePort() throws -> UInt16 { try LoopbackSocket().port }

    func send(_ bytes: [UInt8], to port: UInt16) {
        var a = Self.address(port: port)
        _ = withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    /// One datagram and its sender's port, if one arrives within `milliseconds`.
    func receive(milliseconds: Int32) -> (bytes: [UInt8], port: UInt16)? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, max(0, milliseconds)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var from = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = withUnsafeMutablePointer(to: &from) { f in
            f.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                buffer.withUnsafeMutableBytes { recvfrom(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), sa, &len) }
            }
        }
        guard n > 0 else { return nil }
        return (Array(buffer.prefix(n)), UInt16(bigEndian: from.sin_port))
    }

    /// Whether some socket is bound to UDP `port` (Linux /proc/net/udp).
    static func isBound(port: UInt16) -> Bool {
        let hex = String(format: ":%04X", port)
        let table = (try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").dropFirst().contains { line in
            line.split(separator: " ").dropFirst().first?.hasSuffix(hex) ?? false
        }
    }
}

/// The monotonic clock as an `Instant` (tests only; the library never reads a clock).
func monotonicNow() -> Instant {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
}

import Foundation
import Glibc
import RingletCore
import RingletRTP
import Testing

/// Why an interop test could not run or failed outside an expectation.
struct InteropError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Finding and running ffmpeg. Missing ffmpeg fails the tests (it is installed by scripts/install-deps.sh).
enum FFmpeg {
    /// The path of a tool on PATH, or an error (the test fails, it does not skip).
    static func tool(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw InteropError("\(name) is not installed (apt-get install -y ffmpeg); the interop tests need it")
    }

    /// A fresh temporary folder for one test.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-ffmpeg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts `tool` with `arguments`, its stdout and stderr going to files in `folder`.
    static func start(_ tool: String, _ arguments: [String], folder: URL, name: String) throws -> RunningProcess {
        let process = Process()
        process.executableURL = try self.tool(tool)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = folder.appendingPathComponent("\(name).stdout"), err = folder.appendingPathComponent("\(name).stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return RunningProcess(process: process, stdout: out, stderr: err)
    }

    /// Runs `tool` to completion within `timeout` seconds; returns its stdout. Fails on a non-zero exit.
    static func run(_ tool: String, _ arguments: [String], folder: URL, timeout: Double = 60) throws -> String {
        let p = try start(tool, arguments, folder: folder, name: "\(tool)-\(UUID().uuidString.prefix(8))")
        guard p.wait(timeout: timeout) else {
            p.stop()
            throw InteropError("\(tool) did not finish within \(timeout) s: \(p.errorText)")
        }
        guard p.process.terminationStatus == 0 else {
            throw InteropError("\(tool) \(arguments.joined(separator: " ")) exited with \(p.process.terminationStatus): \(p.errorText)")
        }
        return p.outputText
    }
}

/// A process this test started; every wait is bounded and only this process is ever signalled.
final class RunningProcess {
    let process: Process
    let stdout: URL
    let stderr: URL

    init(process: Process, stdout: URL, stderr: URL) {
        self.process = process
        self.stdout = stdout
        self.stderr = stderr
    }

    var outputText: String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }
    var errorText: String { String(((try? String(contentsOf: stderr, encoding: .utf8)) ?? "").suffix(6000)) }

    /// Waits up to `timeout` seconds for the process to exit; returns whether it did.
    @discardableResult
    func wait(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Asks the process to finish (SIGINT, as ffmpeg's `q`), then SIGTERM, then SIGKILL, each bounded.
    func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        process.interrupt()
        if wait(timeout: grace) { return }
        process.terminate()
        if wait(timeout: 2) { return }
        kill(process.processIdentifier, SIGKILL)
        wait(timeout: 2)
    }

    deinit { stop(grace: 1) }
}

/// A UDP socket on 127.0.0.1 (plain Glibc), with bounded receives.
final class UDPSocket {
    let fd: Int32
    let port: UInt16

    /// Binds to 127.0.0.1:`port` (0 for any free port).
    init(port: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw InteropError("socket() failed: errno \(errno)") }
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var addr = UDPSocket.loopback(port: port)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw InteropError("bind(127.0.0.1:\(port)) failed: errno \(errno)")
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

    static func loopback(port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    /// Receives one datagram if one arrives within `timeoutMilliseconds`.
    func receive(timeoutMilliseconds: Int32) -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard n > 0 else { return nil }
        return Array(buffer.prefix(n))
    }

    /// Sends a datagram to 127.0.0.1:`port`.
    func send(_ bytes: [UInt8], to port: UInt16) throws {
        var addr = UDPSocket.loopback(port: port)
        let n = withUnsafePointer(to: &addr) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard n == bytes.count else { throw InteropError("sendto(\(port)) failed: errno \(errno)") }
    }

    /// An even port P with P and P + 1 both free on 127.0.0.1 (for an RTP receiver that also binds RTCP).
    static func freeEvenPortPair() throws -> UInt16 {
        for _ in 0..<50 {
            let p = try Self.probePort() & ~1
            guard p > 1024, let a = try? UDPSocket(port: p), let b = try? UDPSocket(port: p + 1) else { continue }
            _ = (a, b)
            return p
        }
        throw InteropError("no free even UDP port pair on 127.0.0.1")
    }

    /// A port that was free a moment ago (the probing socket is closed before this returns).
    private static func probePort() throws -> UInt16 {
        let probe = try UDPSocket()
        return probe.port
    }

    /// Whether some socket is bound to UDP `port` on this host (Linux /proc/net/udp).
    static func isBound(port: UInt16) -> Bool {
        let hex = String(format: ":%04X", port)
        let tables = ["/proc/net/udp", "/proc/net/udp6"].compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        return tables.contains { table in
            table.split(separator: "\n").dropFirst().contains { line in
                line.split(separator: " ").dropFirst().first?.hasSuffix(hex) ?? false
            }
        }
    }
}

/// Splits a raw H.264 Annex B stream into access units (ITU-T H.264 §7.4.1.2.3): a new access unit begins at an
/// AUD, SPS, PPS or SEI after a coded slice, or at a slice whose first_mb_in_slice is 0 after a coded slice.
func accessUnits(ofH264Stream stream: [UInt8]) throws -> [[[UInt8]]] {
    var units: [[[UInt8]]] = []
    var current: [[UInt8]] = []
    var sawSlice = false
    for nal in try AnnexB.split(stream[...]) {
        let type = nal[nal.startIndex] & 0x1F
        let isSlice = (1...5).contains(type)
        let firstMBIsZero = nal.count > 1 && nal[nal.startIndex + 1] & 0x80 != 0
        let starts = sawSlice && ((6...9).contains(type) || (isSlice && firstMBIsZero))
        if starts {
            units.append(current)
            current = []
            sawSlice = false
        }
        current.append(Array(nal))
        if isSlice { sawSlice = true }
    }
    if !current.isEmpty { units.append(current) }
    return units
}

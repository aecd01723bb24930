import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RingletNIO

/// Something a lab part (PostgreSQL, nginx, a node) could not do: what and why.
public struct LabError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Small process helpers of the lab: commands run to their end without blocking a thread, log tails, quoting.
enum Lab {
    /// Runs `argv + arguments` to its end, polling for its exit (it never blocks a thread of the cooperative
    /// pool); returns its exit status (128 + signal when killed). Output (stdout and stderr) goes to `output`.
    static func run(_ argv: [String], arguments: [String], output: String = "/dev/null",
                    timeout: Duration = .seconds(120)) async throws -> Int32 {
        let child = try ChildProcess.spawn(argv + arguments, outputPath: output)
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(2)
        while true {
            if let status = child.exitStatus() { return status }
            guard ContinuousClock.now < deadline else {
                await child.terminate(graceMilliseconds: 1000)
                throw LabError("\(argv.joined(separator: " ")) did not finish within \(timeout)")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// The last `bytes` of a file (a log), or "" when unreadable.
    static func tail(of path: String, bytes: Int = 1500) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    /// `text` as one word of `/bin/sh`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A fresh empty file's path in the temporary folder.
    static func temporaryFile(prefix: String) throws -> String {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw LabError("mkstemp failed: errno \(errno)") }
        close(fd)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The unprivileged account a server runs as when this process is root (PostgreSQL refuses to run as root).
struct ServiceUser {
    let uid: uid_t
    let gid: gid_t

    /// The `postgres` account when this process is root; nil otherwise (the server then runs as this user).
    static func postgresIfRoot() throws -> ServiceUser? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else {
            throw LabError("there is no postgres user (install Debian's postgresql package)")
        }
        return ServiceUser(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// The command prefix that runs a program as this user (`setpriv`, which execs it: no extra process).
    var prefix: [String] { ["setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--"] }

    /// Gives `path` (a folder this process made) to this user.
    func own(_ path: String) throws {
        guard chown(path, uid, gid) == 0 else { throw LabError("chown \(path) failed: errno \(errno)") }
    }
}

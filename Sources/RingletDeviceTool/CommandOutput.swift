#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOConcurrencyHelpers

// The command-line plumbing of `ringlet device` (and `ringlet phone`), written without Foundation so that the
// device program links only what a device app would: output lines, standard-input commands, signals, files.

/// One JSON object per line on standard output (`--events-json`), else a readable line; standard error gets
/// the status line. Field values are strings, integers, booleans or doubles.
package final class EventOutput: @unchecked Sendable {
    // @unchecked Sendable: writes are serialized by `lock`.
    package let json: Bool
    let start = ContinuousClock.now
    let lock = NIOLock()

    package init(json: Bool) { self.json = json }

    package var elapsedMilliseconds: Int64 {
        let d = start.duration(to: .now)
        return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    package func event(_ name: String, _ fields: [String: Any] = [:]) {
        var object = fields
        object["t"] = elapsedMilliseconds
        object["cb"] = name
        let line: String
        if json {
            line = JSONLine.object(object)
        } else {
            let rest = fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: " ")
            line = Self.seconds(elapsedMilliseconds) + " " + name + (rest.isEmpty ? "" : " " + rest)
        }
        lock.withLock { writeAll(1, line + "\n") }
    }

    /// The result of a facade method: `{"cb": step, "code": code, …}`, with `"meaning"` (the code in words and
    /// what to do, ``SeedCodeText``) when it is not 0.
    package func result(_ step: String, _ code: Int, _ fields: [String: Any] = [:]) {
        var all = fields
        all["code"] = code
        if let meaning = SeedCodeText.describe(code) { all["meaning"] = meaning }
        event(step, all)
    }

    package func status(_ line: String) {
        lock.withLock { writeAll(2, line + "\n") }
    }

    /// Milliseconds as seconds with three decimals, right-aligned in 7 characters (`  1.234`).
    package static func seconds(_ ms: Int64) -> String {
        let fraction = String(ms % 1000)
        let text = "\(ms / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        return String(repeating: " ", count: max(0, 7 - text.count)) + text
    }
}

/// A JSON object of simple values, keys sorted (what `--events-json` prints).
package enum JSONLine {
    package static func object(_ object: [String: Any]) -> String {
        "{" + object.keys.sorted().map { string($0) + ":" + value(object[$0]!) }.joined(separator: ",") + "}"
    }

    static func value(_ v: Any) -> String {
        switch v {
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let i as Int64: return String(i)
        case let i as Int32: return String(i)
        case let i as UInt32: return String(i)
        case let d as Double: return d.isFinite ? String(d) : "null"
        case let s as String: return string(s)
        case let o as [String: Any]: return object(o)
        case let a as [Any]: return "[" + a.map(value).joined(separator: ",") + "]"
        default: return string("\(v)")
        }
    }

    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// Writes all of `text` to the file descriptor `fd`.
package func writeAll(_ fd: Int32, _ text: String) {
    writeAll(fd, Array(text.utf8))
}

/// Writes all of `bytes` to the file descriptor `fd` (retrying short writes and EINTR).
package func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if n < 0, errno == EINTR { continue }
        if n <= 0 { return }
        written += n
    }
}

/// A file the simulated device writes what it receives to.
package final class RecordingFile {
    private var fd: Int32

    /// Creates (truncates) `name` in `folder`, making the folder when missing; nil when that fails.
    package init?(folder: String, name: String) {
        var path = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/") {
            path += "/" + part
            _ = mkdir(path, 0o755)
        }
        fd = open(folder + "/" + name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
    }

    package func write(_ bytes: [UInt8]) {
        guard fd >= 0 else { return }
        writeAll(fd, bytes)
    }

    package func close() {
        guard fd >= 0 else { return }
        _ = Glibc.close(fd)
        fd = -1
    }

    deinit { close() }
}

/// Waits (polling, bounded) until `condition` holds.
package func pollUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// Lines from standard input, read on a thread of their own (nothing more once it ends).
package final class StdinCommands: @unchecked Sendable {
    // @unchecked Sendable: `lines` is under `lock`.
    private let lock = NIOLock()
    private var lines: [String] = []

    package init() {
        DispatchQueue(label: "ringlet.stdin").async { [self] in
            while let line = readLine() {
                let trimmed = String(line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }
                    .reversed())
                if !trimmed.isEmpty { lock.withLock { lines.append(trimmed) } }
            }
        }
    }

    /// The next line, if one arrived.
    package func next() -> String? {
        lock.withLock { lines.isEmpty ? nil : lines.removeFirst() }
    }
}

package func stdinCommands() -> StdinCommands { StdinCommands() }

/// SIGINT and SIGTERM, caught so that a command can hang up and tear down before it exits.
package final class StopSignal: @unchecked Sendable {
    // @unchecked Sendable: `flag` is under `lock`; the sources are only kept alive.
    private let lock = NIOLock()
    private var flag = false
    private var sources: [any DispatchSourceSignal] = []

    package init() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.lock.withLock { self?.flag = true } }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a signal arrived.
    package var raised: Bool { lock.withLock { flag } }
}

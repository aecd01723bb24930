import Foundation
import NIOConcurrencyHelpers

/// One JSON object per line on standard output (`--events-json`), else a readable line; standard error gets
/// the status line.
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
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
            line = String(decoding: data, as: UTF8.self)
        } else {
            let rest = fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: " ")
            line = String(format: "%7.3f ", Double(elapsedMilliseconds) / 1000) + name + (rest.isEmpty ? "" : " " + rest)
        }
        lock.withLock { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    }

    package func status(_ line: String) {
        lock.withLock { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
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
    private let lock = NSLock()
    private var lines: [String] = []

    package init() {
        Thread.detachNewThread { [self] in
            while let line = readLine() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
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
    private let lock = NSLock()
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

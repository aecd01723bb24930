import Foundation
import RingletCore
import RingletRTP
import RingletTestSupport
import Testing

/// Running ffmpeg and ffprobe. Missing ffmpeg fails the tests (it is installed by scripts/install-deps.sh).
enum FFmpeg {
    /// A fresh temporary folder for one test.
    static func temporaryFolder() throws -> URL { try RingletTestSupport.temporaryFolder(prefix: "ringlet-ffmpeg") }

    /// Starts `tool` (ffmpeg or ffprobe) with `arguments`, its stdout and stderr going to files in `folder`;
    /// stopping it sends SIGINT first (ffmpeg then finishes its outputs, as on `q`).
    static func start(_ tool: String, _ arguments: [String], folder: URL, name: String) throws -> ChildProcess {
        try ChildProcess(try requireTool(tool, package: "ffmpeg"), arguments: arguments, folder: folder, name: name,
                         options: .init(interruptFirst: true, grace: 5))
    }

    /// Runs `tool` to completion within `timeout` seconds; returns its stdout. Fails on a non-zero exit.
    static func run(_ tool: String, _ arguments: [String], folder: URL, timeout: Double = 60) throws -> String {
        let p = try start(tool, arguments, folder: folder, name: "\(tool)-\(UUID().uuidString.prefix(8))")
        guard p.wait(timeout: timeout) else {
            p.stop()
            throw TestSupportError("\(tool) did not finish within \(timeout) s: \(p.errorText)")
        }
        guard p.terminationStatus == 0 else {
            let command = ([tool] + arguments).joined(separator: " ")
            throw TestSupportError("\(command) exited with \(p.terminationStatus ?? -1): \(p.errorText)")
        }
        return p.outputText
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

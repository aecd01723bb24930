import ArgumentParser
import Foundation

/// `ringlet bench setup`: call setup on loopback, from the offer to the first whole video frame, Swift ↔ Swift and
/// (with `--chromium-rounds` > 0, as root) Chromium ↔ Swift in a private network namespace, both offer directions.
struct SetupBenchCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Swift ↔ Swift and Chromium ↔ Swift on loopback: offer → ICE connected → DTLS connected → first "
            + "whole video frame."
    )

    @Option(help: "Swift ↔ Swift calls to set up; every figure is min/median/max over them.")
    var rounds: Int = 10

    @Option(help: "Bytes of the IDR slice sent the moment DTLS connects (Swift ↔ Swift).")
    var idrSize: Int = 20_000

    @Option(help: "Seed for the engines' randomness (SSRCs, ICE credentials, tie-breakers; Swift ↔ Swift).")
    var seed: UInt64 = 1

    @Option(help: "Chromium ↔ Swift calls per offer direction (needs root and Debian's chromium; 0 skips them).")
    var chromiumRounds: Int = 5

    @Flag(help: "Print each Chromium call's timeline and counters on standard error.")
    var verbose = false

    func validate() throws {
        guard (1...200).contains(rounds) else { throw ValidationError("--rounds must be 1…200") }
        guard (16...1_000_000).contains(idrSize) else { throw ValidationError("--idr-size must be 16…1000000") }
        guard (0...50).contains(chromiumRounds) else { throw ValidationError("--chromium-rounds must be 0…50") }
    }

    func runBlocking() throws {
        let timings = try SetupBench.run(rounds: rounds, idrSize: idrSize, seed: seed)
        var report = SetupBenchReport(
            rounds: rounds, idrBytes: idrSize,
            swiftSwiftLoopback: [
                "offer_to_ice_connected_ms": PhaseRange(timings.map(\.iceConnected)),
                "offer_to_dtls_connected_ms": PhaseRange(timings.map(\.dtlsConnected)),
                "offer_to_first_video_frame_ms": PhaseRange(timings.map(\.firstFrame)),
                "dtls_connected_to_first_video_frame_ms": PhaseRange(timings.map(\.firstFrameAfterDTLS)),
            ])
        if chromiumRounds > 0 {
            report.chromiumRounds = chromiumRounds
            report.chromiumSwiftLoopback = try ChromiumSetupBench.runBlocking(rounds: chromiumRounds, verbose: verbose)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}

/// min / median / max of one phase over the rounds, in ms (one decimal).
struct PhaseRange: Encodable {
    var min: Double
    var median: Double
    var max: Double

    init(_ values: [Double]) {
        let s = values.sorted()
        min = rounded(s.first ?? 0)
        median = rounded(s.isEmpty ? 0 : s[s.count / 2])
        max = rounded(s.last ?? 0)
    }
}

/// The report of `ringlet bench setup`.
struct SetupBenchReport: Encodable {
    var bench = "setup"
    var rounds: Int
    var idrBytes: Int
    var goalFirstFrameAfterDTLSms = 100
    var swiftSwiftLoopback: [String: PhaseRange]
    var chromiumRounds: Int?
    var chromiumSwiftLoopback: [String: [String: [String: PhaseRange]]]?

    enum CodingKeys: String, CodingKey {
        case bench, rounds
        case idrBytes = "idr_bytes"
        case goalFirstFrameAfterDTLSms = "goal_dtls_connected_to_first_video_frame_ms"
        case swiftSwiftLoopback = "swift_swift_loopback"
        case chromiumRounds = "chromium_rounds"
        case chromiumSwiftLoopback = "chromium_swift_loopback"
    }
}

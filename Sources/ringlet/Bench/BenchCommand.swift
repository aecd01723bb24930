import ArgumentParser
import Foundation

/// `ringlet bench`: benchmarks that print JSON.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks; each prints one JSON object.",
        subcommands: [CodecBenchCommand.self, SetupBenchCommand.self, TURNBenchCommand.self, TURNServerBenchCommand.self]
    )
}

/// `ringlet bench codec`: the protocol core's hot paths, with raw OpenSSL EVP as the ceiling for SRTP.
struct CodecBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "STUN decode and integrity check, RTP/RTCP parse, SRTP protect/unprotect vs raw OpenSSL EVP."
    )

    @Option(help: "Rounds per operation; every figure is reported as min/median/max over rounds.")
    var rounds: Int = 7

    @Option(help: "Seconds of work per operation per round.")
    var secondsPerRound: Double = 0.2

    func validate() throws {
        guard (1...1000).contains(rounds) else { throw ValidationError("--rounds must be 1…1000") }
        guard secondsPerRound > 0, secondsPerRound <= 10 else {
            throw ValidationError("--seconds-per-round must be in (0, 10]")
        }
    }

    func run() throws {
        let report = try CodecBench.run(rounds: rounds, secondsPerRound: secondsPerRound)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(report)
        print(String(decoding: data, as: UTF8.self))
    }
}

/// `ringlet bench setup`: call setup on loopback, from the offer to the first whole video frame.
struct SetupBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Swift ↔ Swift on loopback: offer → ICE connected → DTLS connected → first whole video frame."
    )

    @Option(help: "Calls to set up; every figure is min/median/max over them.")
    var rounds: Int = 10

    @Option(help: "Bytes of the IDR slice sent the moment DTLS connects.")
    var idrSize: Int = 20_000

    @Option(help: "Seed for the engines' randomness (SSRCs, ICE credentials, tie-breakers).")
    var seed: UInt64 = 1

    func validate() throws {
        guard (1...200).contains(rounds) else { throw ValidationError("--rounds must be 1…200") }
        guard (16...1_000_000).contains(idrSize) else { throw ValidationError("--idr-size must be 16…1000000") }
    }

    func run() throws {
        let timings = try SetupBench.run(rounds: rounds, idrSize: idrSize, seed: seed)
        func range(_ values: [Double]) -> [String: Double] {
            let s = values.sorted()
            return ["min": rounded(s.first ?? 0), "median": rounded(s.isEmpty ? 0 : s[s.count / 2]),
                    "max": rounded(s.last ?? 0)]
        }
        let report = SetupBenchReport(
            rounds: rounds, idrBytes: idrSize,
            swiftSwiftLoopback: [
                "offer_to_ice_connected_ms": range(timings.map(\.iceConnected)),
                "offer_to_dtls_connected_ms": range(timings.map(\.dtlsConnected)),
                "offer_to_first_video_frame_ms": range(timings.map(\.firstFrame)),
                "dtls_connected_to_first_video_frame_ms": range(timings.map(\.firstFrameAfterDTLS)),
            ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}

/// The report of `ringlet bench setup`.
struct SetupBenchReport: Encodable {
    var bench = "setup"
    var rounds: Int
    var idrBytes: Int
    var goalFirstFrameAfterDTLSms = 100
    var swiftSwiftLoopback: [String: [String: Double]]

    enum CodingKeys: String, CodingKey {
        case bench, rounds
        case idrBytes = "idr_bytes"
        case goalFirstFrameAfterDTLSms = "goal_dtls_connected_to_first_video_frame_ms"
        case swiftSwiftLoopback = "swift_swift_loopback"
    }
}

import ArgumentParser
import Foundation

/// `ringlet bench`: benchmarks that print JSON.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks; each prints one JSON object.",
        subcommands: [CodecBenchCommand.self, SetupBenchCommand.self, TURNBenchCommand.self, TURNServerBenchCommand.self,
                      DeviceBenchCommand.self, SizeBenchCommand.self, PushBenchCommand.self, StoreBenchCommand.self]
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

// `ringlet bench setup` (SetupBenchCommand) lives in SetupBench+Command.swift.

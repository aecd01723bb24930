import Foundation
import RingletSRTP

/// The report of `ringlet bench codec`.
struct CodecBenchReport: Encodable {
    var bench = "codec"
    var build: String
    var cores: Int
    var rounds: Int
    var secondsPerRound: Double
    var stun: STUNBenchResult
    var rtp: RTPBenchResult
    var srtp: [String: SRTPSuiteResult]

    enum CodingKeys: String, CodingKey {
        case bench, build, cores, rounds, stun, rtp, srtp
        case secondsPerRound = "seconds_per_round"
    }
}

enum CodecBench {
    static func run(rounds: Int, secondsPerRound: Double) throws -> CodecBenchReport {
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        let stun = try STUNBench.run(rounds: rounds, secondsPerRound: secondsPerRound)
        let rtp = try RTPBench.run(rounds: rounds, secondsPerRound: secondsPerRound)
        var srtp = [String: SRTPSuiteResult]()
        srtp["aes_cm_128_hmac_sha1_80"] = try SRTPBench.run(
            profile: .aes128CmHmacSha1_80, ceiling: .aesCMHmacSHA1_80, rounds: rounds, secondsPerRound: secondsPerRound)
        srtp["aead_aes_128_gcm"] = try SRTPBench.run(
            profile: .aeadAes128Gcm, ceiling: .aeadAES128GCM, rounds: rounds, secondsPerRound: secondsPerRound)
        return CodecBenchReport(
            build: build, cores: ProcessInfo.processInfo.activeProcessorCount, rounds: rounds,
            secondsPerRound: secondsPerRound, stun: stun, rtp: rtp, srtp: srtp)
    }
}

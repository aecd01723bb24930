import RingletCore
import RingletSTUN

/// STUN hot paths on the RFC 5769 §2.1 sample request (USERNAME, PRIORITY, ICE-CONTROLLED, SOFTWARE,
/// MESSAGE-INTEGRITY, FINGERPRINT): what an ICE agent does per connectivity check.
struct STUNBenchResult: Encodable {
    var decode: Measurement
    var messageIntegrityCheck: Measurement
    var fingerprintCheck: Measurement
    var decodeAndVerify: Measurement

    enum CodingKeys: String, CodingKey {
        case decode
        case messageIntegrityCheck = "message_integrity_check"
        case fingerprintCheck = "fingerprint_check"
        case decodeAndVerify = "decode_integrity_fingerprint"
    }
}

enum STUNBench {
    /// RFC 5769 §2.1, byte for byte (the same bytes as Tests/RingletSTUNTests/Vectors/rfc5769-2.1-request.hex).
    static let request = [UInt8](hex: """
        000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74
        002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020000800149aeaa70cbfd8cb56
        781ef2b5b2d3f249c1b571a280280004e57a3bcf
        """) ?? []

    static func run(rounds: Int, secondsPerRound: Double) throws -> STUNBenchResult {
        let key = try STUNIntegrityKey.shortTerm(password: "VOkJxbRl1RmTxUk/WvJxBt")
        let message = try STUNMessage(parsing: request)
        guard message.verifyMessageIntegrity(key), message.verifyFingerprint() else {
            throw BenchError("the RFC 5769 request does not verify")
        }
        let bytes = request
        let results = measureInterleaved(rounds: rounds, secondsPerRound: secondsPerRound, [
            ("decode", { (try? STUNMessage(parsing: bytes))?.attributeCount ?? -1 }),
            ("integrity", { message.verifyMessageIntegrity(key) ? 1 : 0 }),
            ("fingerprint", { message.verifyFingerprint() ? 1 : 0 }),
            ("all", {
                guard let m = try? STUNMessage(parsing: bytes) else { return -1 }
                return m.verifyMessageIntegrity(key) && m.verifyFingerprint() ? 1 : 0
            }),
        ])
        let empty = Measurement(nsPerOp: [])
        return STUNBenchResult(
            decode: results["decode"] ?? empty, messageIntegrityCheck: results["integrity"] ?? empty,
            fingerprintCheck: results["fingerprint"] ?? empty, decodeAndVerify: results["all"] ?? empty)
    }
}

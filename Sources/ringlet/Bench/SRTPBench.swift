import RingletCore
import RingletSRTP

/// SRTP protect and unprotect of 1200-byte RTP packets for one suite, with raw OpenSSL EVP as the ceiling.
struct SRTPSuiteResult: Encodable {
    var protect: Measurement
    var unprotect: Measurement
    var rawEVP: Measurement
    var protectVsRawEVP: Ratio
    var unprotectVsRawEVP: Ratio

    enum CodingKeys: String, CodingKey {
        case protect, unprotect
        case rawEVP = "raw_evp"
        case protectVsRawEVP = "protect_throughput_vs_raw_evp"
        case unprotectVsRawEVP = "unprotect_throughput_vs_raw_evp"
    }
}

enum SRTPBench {
    static let packetSize = 1200

    /// An RTP packet of `packetSize` bytes: 12-byte header, no extension, with sequence number `seq`.
    static func rtpPacket(seq: UInt16) -> [UInt8] {
        var w = ByteWriter(capacity: packetSize)
        w.writeUInt8(0x80)
        w.writeUInt8(96)
        w.writeUInt16(seq)
        w.writeUInt32(UInt32(seq) &* 3000)
        w.writeUInt32(0x1234_5678)
        w.writeRepeating(0xA5, count: packetSize - 12)
        return w.bytes
    }

    static func run(
        profile: SRTPProtectionProfile, ceiling: RawEVPCeiling.Suite, rounds: Int, secondsPerRound: Double
    ) throws -> SRTPSuiteResult {
        var rng = SeededRandom(seed: 7)
        let key = SRTPMasterKey(key: rng.bytes(profile.masterKeyLength), salt: rng.bytes(profile.masterSaltLength))
        let sender = try SRTPContext(profile: profile, masterKey: key)
        guard let raw = RawEVPCeiling(suite: ceiling) else { throw BenchError("OpenSSL EVP setup failed") }

        var packet = rtpPacket(seq: 0)
        var out = [UInt8](repeating: 0, count: 2048)
        var seq: UInt16 = 0
        let protectOp: () -> Int = {
            seq &+= 1
            packet[2] = UInt8(truncatingIfNeeded: seq >> 8)
            packet[3] = UInt8(truncatingIfNeeded: seq)
            do { try sender.protectRTP(packet, into: &out) } catch { return -1 }
            return out.count
        }
        let rawOp: () -> Int = { raw.protect(packet) }

        // Unprotect needs fresh packets (the replay window refuses repeats): protect a batch once, then unprotect
        // it in order with a new receiving context each round.
        let batch = 16_384
        let batchSender = try SRTPContext(profile: profile, masterKey: key)
        var protected = [[UInt8]]()
        protected.reserveCapacity(batch)
        for i in 0..<batch { protected.append(try batchSender.protectRTP(rtpPacket(seq: UInt16(i)))) }

        var protectNs = [Double](), unprotectNs = [Double](), rawNs = [Double]()
        let n = calibrate(target: secondsPerRound, protectOp)
        let nRaw = calibrate(target: secondsPerRound, rawOp)
        for _ in 0..<rounds {
            protectNs.append(timeOnce(iterations: n, protectOp))
            rawNs.append(timeOnce(iterations: nRaw, rawOp))
            let receiver = try SRTPContext(profile: profile, masterKey: key)
            var index = 0
            var failures = 0
            unprotectNs.append(timeOnce(iterations: batch) {
                defer { index += 1 }
                do { try receiver.unprotectRTP(protected[index], into: &out) } catch { failures += 1; return -1 }
                return out.count
            })
            guard failures == 0 else { throw BenchError("unprotect failed on \(failures) packets") }
        }
        return SRTPSuiteResult(
            protect: Measurement(nsPerOp: protectNs),
            unprotect: Measurement(nsPerOp: unprotectNs),
            rawEVP: Measurement(nsPerOp: rawNs),
            protectVsRawEVP: Ratio(perRound: zip(protectNs, rawNs).map { $1 / $0 }),
            unprotectVsRawEVP: Ratio(perRound: zip(unprotectNs, rawNs).map { $1 / $0 })
        )
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

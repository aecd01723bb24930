import Foundation
import RingletCore
@testable import RingletSRTP

/// Loads a `name hex` vector file from the test bundle's Vectors folder.
func loadVectors(_ name: String) throws -> [String: [UInt8]] {
    guard let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Vectors") else {
        throw VectorError.missing(name)
    }
    let text = try String(contentsOf: url, encoding: .utf8)
    var out: [String: [UInt8]] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let bytes = [UInt8](hex: String(parts[1])) else { continue }
        out[String(parts[0])] = bytes
    }
    return out
}

enum VectorError: Error { case missing(String) }

extension Dictionary where Key == String, Value == [UInt8] {
    func bytes(_ key: String) throws -> [UInt8] {
        guard let v = self[key] else { throw VectorError.missing(key) }
        return v
    }
}

let allProfiles: [SRTPProtectionProfile] = [.aes128CmHmacSha1_80, .aes128CmHmacSha1_32, .aeadAes128Gcm]

/// A master key with bytes derived from `seed`, of the lengths `profile` takes.
func masterKey(_ profile: SRTPProtectionProfile, seed: UInt64 = 1) -> SRTPMasterKey {
    var rng = SeededRandom(seed: seed)
    return SRTPMasterKey(key: rng.bytes(profile.masterKeyLength), salt: rng.bytes(profile.masterSaltLength))
}

/// A sender and a receiver context sharing one master key.
func pair(
    _ profile: SRTPProtectionProfile, seed: UInt64 = 1,
    configuration: SRTPContext.Configuration = .init()
) throws -> (sender: SRTPContext, receiver: SRTPContext) {
    let key = masterKey(profile, seed: seed)
    return (try SRTPContext(profile: profile, masterKey: key, configuration: configuration),
            try SRTPContext(profile: profile, masterKey: key, configuration: configuration))
}

/// A minimal RTP packet: V=2, PT 96, the given sequence number and SSRC, `payloadLength` bytes of payload.
func rtpPacket(seq: UInt16, ssrc: UInt32 = 0x1122_3344, payloadLength: Int = 40, csrcs: Int = 0,
               extensionWords: Int? = nil) -> [UInt8] {
    var w = ByteWriter()
    w.writeUInt8(0x80 | UInt8(csrcs) | (extensionWords == nil ? 0 : 0x10))
    w.writeUInt8(96)
    w.writeUInt16(seq)
    w.writeUInt32(UInt32(seq) &* 960)
    w.writeUInt32(ssrc)
    for i in 0..<csrcs { w.writeUInt32(UInt32(0xC000 + i)) }
    if let words = extensionWords {
        w.writeUInt16(0xBEDE)
        w.writeUInt16(UInt16(words))
        w.writeRepeating(0x5A, count: 4 * words)
    }
    for i in 0..<payloadLength { w.writeUInt8(UInt8(truncatingIfNeeded: i &+ Int(seq))) }
    return w.bytes
}

/// A receiver report from `ssrc` with one report block.
func rtcpPacket(ssrc: UInt32 = 0x5566_7788) -> [UInt8] {
    var w = ByteWriter()
    w.writeUInt8(0x81); w.writeUInt8(201); w.writeUInt16(7)
    w.writeUInt32(ssrc)
    w.writeUInt32(0x1122_3344)
    w.writeRepeating(0x11, count: 20)
    return w.bytes
}

/// Runs `body` expecting an `SRTPError` and returns its code (nil if nothing was thrown).
func errorCode(_ body: () throws(SRTPError) -> Void) -> SRTPError.Code? {
    do throws(SRTPError) {
        try body()
        return nil
    } catch {
        return error.code
    }
}

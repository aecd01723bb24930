import COpenSSL
import RingletCore

extension STUNMessage {
    /// Whether the message carries a MESSAGE-INTEGRITY attribute that counts (RFC 8489 §14.5).
    public var hasMessageIntegrity: Bool { integrityOffset >= 0 }
    /// Whether the message carries a MESSAGE-INTEGRITY-SHA256 attribute that counts (RFC 8489 §14.6).
    public var hasMessageIntegritySHA256: Bool { integritySHA256Offset >= 0 }
    /// Whether the message carries a FINGERPRINT attribute (RFC 8489 §14.7).
    public var hasFingerprint: Bool { fingerprintOffset >= 0 }

    /// Checks MESSAGE-INTEGRITY (for an `.hmacSHA1` key) or MESSAGE-INTEGRITY-SHA256 (for an `.hmacSHA256` key,
    /// accepting a truncated value of 16–32 bytes) on the message's bytes as received (RFC 8489 §14.5, §14.6).
    ///
    /// The HMAC covers the header, with its length field set as if the integrity attribute ended the message,
    /// and every attribute before the integrity attribute. Returns false if the attribute is absent or does not
    /// match. Allocates nothing; comparison is constant-time.
    public func verifyMessageIntegrity(_ key: STUNIntegrityKey) -> Bool {
        let offset = key.algorithm == .hmacSHA1 ? integrityOffset : integritySHA256Offset
        guard offset >= 20, offset + 4 <= bytes.count else { return false }
        let s = bytes.startIndex
        let n = Int(bytes[s + offset + 2]) << 8 | Int(bytes[s + offset + 3])
        guard n >= 16, n <= 32, offset + 4 + n <= bytes.count else { return false }
        // Length as if the message ended after this attribute (its value is 20, or a multiple of 4).
        let adjusted = UInt16(truncatingIfNeeded: offset - 20 + 4 + n)
        var lengthField = adjusted.bigEndian
        return bytes.withUnsafeBytes { raw in
            withUnsafeBytes(of: &lengthField) { len in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { out in
                    let size = key.compute(out, UnsafeRawBufferPointer(rebasing: raw[0..<2]), len,
                                           UnsafeRawBufferPointer(rebasing: raw[4..<offset]))
                    guard size >= n, let mac = out.baseAddress, let base = raw.baseAddress else { return false }
                    return CRYPTO_memcmp(mac, base + offset + 4, n) == 0
                }
            }
        }
    }

    /// Checks FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message up to the attribute, with the header length
    /// set as if FINGERPRINT ended the message, XOR 0x5354554E. False if absent or wrong.
    public func verifyFingerprint() -> Bool {
        let offset = fingerprintOffset
        guard offset >= 20, offset + 8 <= bytes.count else { return false }
        let adjusted = UInt16(truncatingIfNeeded: offset - 20 + 8)
        var lengthField = adjusted.bigEndian
        return bytes.withUnsafeBytes { raw in
            withUnsafeBytes(of: &lengthField) { len in
                var crc = CRC32.update(0, UnsafeRawBufferPointer(rebasing: raw[0..<2]))
                crc = CRC32.update(crc, len)
                crc = CRC32.update(crc, UnsafeRawBufferPointer(rebasing: raw[4..<offset]))
                let v = raw[offset + 4..<offset + 8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                return crc ^ CRC32.fingerprintXOR == v
            }
        }
    }

    /// Encodes the message and appends, in this order, MESSAGE-INTEGRITY (if `messageIntegrity` is given),
    /// MESSAGE-INTEGRITY-SHA256 (if `messageIntegritySHA256` is given, truncated to `sha256Length` bytes) and
    /// FINGERPRINT (if `fingerprint`), each computed with the header length adjusted as RFC 8489 §14.5–14.7
    /// describe.
    /// - Throws: `invalidArgument` if a key has the wrong algorithm, `sha256Length` is not 16–32 in steps of 4,
    ///   or the message already carries integrity or fingerprint attributes; `tooLarge` past 65 535 bytes.
    public func encode(into writer: inout ByteWriter, messageIntegrity: STUNIntegrityKey? = nil,
                       messageIntegritySHA256: STUNIntegrityKey? = nil, sha256Length: Int = 32,
                       fingerprint: Bool = false) throws(STUNError)
    {
        if let k = messageIntegrity, k.algorithm != .hmacSHA1 {
            throw STUNError(.invalidArgument, field: "MESSAGE-INTEGRITY", "the key is not HMAC-SHA1")
        }
        if let k = messageIntegritySHA256, k.algorithm != .hmacSHA256 {
            throw STUNError(.invalidArgument, field: "MESSAGE-INTEGRITY-SHA256", "the key is not HMAC-SHA256")
        }
        guard sha256Length >= 16, sha256Length <= 32, sha256Length & 3 == 0 else {
            throw STUNError(.invalidArgument, field: "MESSAGE-INTEGRITY-SHA256", "length \(sha256Length)")
        }
        guard !hasMessageIntegrity, !hasMessageIntegritySHA256, !hasFingerprint else {
            throw STUNError(.invalidArgument, field: "attributes", "the message already carries integrity or fingerprint")
        }
        var length = bytes.count - 20
        if messageIntegrity != nil { length += 24 }
        if messageIntegritySHA256 != nil { length += 4 + sha256Length }
        if fingerprint { length += 8 }
        guard length <= 0xFFFF else {
            throw STUNError(.tooLarge, field: "header.length", "\(length) bytes of attributes exceed 65535")
        }
        let start = writer.count
        encode(into: &writer)
        var scratch = [UInt8](repeating: 0, count: 32)
        if let key = messageIntegrity {
            writer.setUInt16(UInt16(writer.count - start - 20 + 24), at: start + 2)
            let n = macOfWritten(writer, from: start, key: key, into: &scratch)
            writer.writeUInt16(STUNAttributeType.messageIntegrity.rawValue)
            writer.writeUInt16(20)
            writer.writeBytes(scratch.prefix(min(n, 20)))
            writer.writeRepeating(0, count: 20 - min(n, 20))
        }
        if let key = messageIntegritySHA256 {
            writer.setUInt16(UInt16(writer.count - start - 20 + 4 + sha256Length), at: start + 2)
            let n = macOfWritten(writer, from: start, key: key, into: &scratch)
            writer.writeUInt16(STUNAttributeType.messageIntegritySHA256.rawValue)
            writer.writeUInt16(UInt16(sha256Length))
            writer.writeBytes(scratch.prefix(min(n, sha256Length)))
            writer.writeRepeating(0, count: sha256Length - min(n, sha256Length))
        }
        if fingerprint {
            writer.setUInt16(UInt16(writer.count - start - 20 + 8), at: start + 2)
            let crc = writer.bytes.withUnsafeBytes { raw in
                CRC32.update(0, UnsafeRawBufferPointer(rebasing: raw[start..<raw.count]))
            }
            writer.writeUInt16(STUNAttributeType.fingerprint.rawValue)
            writer.writeUInt16(4)
            writer.writeUInt32(crc ^ CRC32.fingerprintXOR)
        }
        writer.setUInt16(UInt16(writer.count - start - 20), at: start + 2)
    }

    /// The message encoded with the integrity and fingerprint attributes asked for; see
    /// ``encode(into:messageIntegrity:messageIntegritySHA256:sha256Length:fingerprint:)``.
    public func encoded(messageIntegrity: STUNIntegrityKey? = nil, messageIntegritySHA256: STUNIntegrityKey? = nil,
                        sha256Length: Int = 32, fingerprint: Bool = false) throws(STUNError) -> [UInt8]
    {
        var w = ByteWriter(capacity: encodedSize + 68)
        try encode(into: &w, messageIntegrity: messageIntegrity, messageIntegritySHA256: messageIntegritySHA256,
                   sha256Length: sha256Length, fingerprint: fingerprint)
        return w.bytes
    }

    private func macOfWritten(_ writer: ByteWriter, from start: Int, key: STUNIntegrityKey,
                              into out: inout [UInt8]) -> Int
    {
        writer.bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { o in
                key.compute(o, UnsafeRawBufferPointer(rebasing: raw[start..<raw.count]),
                            UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0))
            }
        }
    }
}

/// CRC-32 as FINGERPRINT uses it (RFC 8489 §14.7): the ISO-HDLC CRC-32 (reflected polynomial 0xEDB88320,
/// as in ITU-T V.42), XOR-ed with 0x5354554E.
enum CRC32 {
    /// The XOR applied to the CRC for FINGERPRINT ("STUN" in ASCII).
    static let fingerprintXOR: UInt32 = 0x5354_554E

    /// The byte-at-a-time lookup table.
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// Continues a CRC (pass the previous result; start with 0) over `bytes`.
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        table.withUnsafeBufferPointer { t in
            for b in bytes {
                // The index is masked to 0...255 and the table has 256 entries.
                c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8)
            }
        }
        return ~c
    }

    /// CRC-32 of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}

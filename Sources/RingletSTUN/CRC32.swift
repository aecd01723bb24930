/// CRC-32 as FINGERPRINT uses it (RFC 8489 §14.7): the ISO-HDLC CRC-32 (reflected polynomial 0xEDB88320,
/// as in ITU-T V.42), XOR-ed with 0x5354554E.
///
/// Table-driven, eight bytes per step ("slicing-by-8": eight 256-entry tables, where table k gives the CRC
/// contribution of a byte followed by k zero bytes), then one byte per step for the tail.
enum CRC32 {
    /// The XOR applied to the CRC for FINGERPRINT ("STUN" in ASCII).
    static let fingerprintXOR: UInt32 = 0x5354_554E

    /// Eight tables of 256 entries, flattened: entry `k * 256 + b`.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let prev = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// Continues a CRC (pass the previous result; start with 0) over `bytes`.
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        tables.withUnsafeBufferPointer { t in
            // Every index below is a byte (0...255) plus k * 256 for k in 0...7, inside the 2048 entries.
            @inline(__always) func at(_ k: Int, _ v: UInt32) -> UInt32 { t[k &* 256 &+ Int(v & 0xFF)] }
            var i = 0
            let n = bytes.count
            while n &- i >= 8 {
                let one = c ^ (UInt32(bytes[i]) | UInt32(bytes[i &+ 1]) << 8
                    | UInt32(bytes[i &+ 2]) << 16 | UInt32(bytes[i &+ 3]) << 24)
                let two = UInt32(bytes[i &+ 4]) | UInt32(bytes[i &+ 5]) << 8
                    | UInt32(bytes[i &+ 6]) << 16 | UInt32(bytes[i &+ 7]) << 24
                c = at(7, one) ^ at(6, one >> 8) ^ at(5, one >> 16) ^ at(4, one >> 24)
                    ^ at(3, two) ^ at(2, two >> 8) ^ at(1, two >> 16) ^ at(0, two >> 24)
                i &+= 8
            }
            while i < n {
                c = at(0, c ^ UInt32(bytes[i])) ^ (c >> 8)
                i &+= 1
            }
        }
        return ~c
    }

    /// CRC-32 of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}

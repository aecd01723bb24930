/// G.711 companding (ITU-T G.711): μ-law and A-law, each sample 8 bits, for test tones and simple endpoints.
///
/// Linear samples are 16-bit signed PCM. μ-law uses the bias-132 segment encoding (full scale ±32 124);
/// A-law the 13-bit segment encoding scaled to 16 bits (full scale ±32 256). Encoded bytes are the wire bytes,
/// even bits already inverted for A-law and all bits inverted for μ-law, as G.711 sends them.
public enum G711 {
    /// Which companding law: μ-law (RTP payload type 0, PCMU) or A-law (payload type 8, PCMA), RFC 3551 §4.5.14.
    public enum Law: Hashable, Sendable {
        /// μ-law, PCMU.
        case muLaw
        /// A-law, PCMA.
        case aLaw

        /// The static RTP payload type (RFC 3551 table 4): 0 for PCMU, 8 for PCMA.
        public var payloadType: UInt8 { self == .muLaw ? 0 : 8 }
        /// The encoding name used in SDP `a=rtpmap` (RFC 3551 §6).
        public var encodingName: String { self == .muLaw ? "PCMU" : "PCMA" }
    }

    /// The RTP clock rate of G.711, 8000 Hz (RFC 3551 §4.5.14).
    public static let clockRate: UInt32 = 8000

    /// Encodes one linear sample with μ-law. 0 encodes as 0xFF.
    public static func muLaw(encode sample: Int16) -> UInt8 {
        let bias = 0x84, clip = 32635
        var magnitude = Int(sample)
        let sign: Int = magnitude < 0 ? 0x80 : 0
        if magnitude < 0 { magnitude = -magnitude }
        magnitude = min(magnitude, clip) + bias
        var exponent = 7
        while exponent > 0 && magnitude & (0x80 << exponent) == 0 { exponent -= 1 }
        let mantissa = (magnitude >> (exponent + 3)) & 0x0F
        return ~UInt8(truncatingIfNeeded: sign | exponent << 4 | mantissa)
    }

    /// Decodes one μ-law byte to a linear sample.
    public static func muLaw(decode byte: UInt8) -> Int16 {
        let u = Int(~byte)
        let exponent = (u >> 4) & 7, mantissa = u & 0x0F
        let magnitude = ((mantissa << 3) + 0x84) << exponent - 0x84
        return Int16(u & 0x80 != 0 ? -magnitude : magnitude)
    }

    /// Encodes one linear sample with A-law. 0 encodes as 0xD5.
    public static func aLaw(encode sample: Int16) -> UInt8 {
        let mask: Int
        var magnitude: Int
        if sample >= 0 {
            mask = 0xD5
            magnitude = Int(sample)
        } else {
            mask = 0x55
            magnitude = -Int(sample) - 1
        }
        magnitude = min(magnitude, 32767)
        let code: Int
        if magnitude < 256 {
            code = magnitude >> 4
        } else {
            var exponent = 7
            while exponent > 1 && magnitude & (0x80 << exponent) == 0 { exponent -= 1 }
            code = exponent << 4 | (magnitude >> (exponent + 3)) & 0x0F
        }
        return UInt8(truncatingIfNeeded: code ^ mask)
    }

    /// Decodes one A-law byte to a linear sample.
    public static func aLaw(decode byte: UInt8) -> Int16 {
        let a = Int(byte ^ 0x55)
        let exponent = (a >> 4) & 7, mantissa = a & 0x0F
        let magnitude = exponent == 0 ? mantissa << 4 + 8 : (mantissa << 4 + 0x108) << (exponent - 1)
        return Int16(a & 0x80 != 0 ? magnitude : -magnitude)
    }

    /// Encodes linear samples with `law`.
    public static func encode(_ samples: some Sequence<Int16>, law: Law) -> [UInt8] {
        law == .muLaw ? samples.map { muLaw(encode: $0) } : samples.map { aLaw(encode: $0) }
    }

    /// Decodes bytes with `law`.
    public static func decode(_ bytes: some Sequence<UInt8>, law: Law) -> [Int16] {
        law == .muLaw ? bytes.map { muLaw(decode: $0) } : bytes.map { aLaw(decode: $0) }
    }
}

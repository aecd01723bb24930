/// The table-of-contents byte of an Opus packet (RFC 6716 §3.1) and the frame count rules (§3.2), enough to
/// tell how long a packet lasts.
public struct OpusTOC: Hashable, Sendable {
    /// The configuration number, 0–31: mode, bandwidth and frame size (RFC 6716 table 2).
    public let configuration: UInt8
    /// Whether the packet is stereo.
    public let isStereo: Bool
    /// The frame count code, 0–3.
    public let frameCountCode: UInt8

    /// Reads the TOC byte.
    public init(_ byte: UInt8) {
        configuration = byte >> 3
        isStereo = byte & 0x04 != 0
        frameCountCode = byte & 0x03
    }

    /// Samples in each frame at 48 kHz: SILK 10/20/40/60 ms, Hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
    public var samplesPerFrame: Int {
        let c = Int(configuration)
        switch c {
        case 0...11: return [480, 960, 1920, 2880][c & 3]
        case 12...15: return [480, 960][c & 1]
        default: return [120, 240, 480, 960][c & 3]
        }
    }

    /// How many 48 kHz samples an Opus packet lasts (RFC 6716 §3.2).
    /// - Throws: `PayloadFormatError` `.emptyPayload` for an empty packet, `.invalidOpusPacket` for a code 1 packet
    ///   of even length, a code 3 packet without its frame count byte, zero frames, or more than 120 ms (§3.4).
    public static func sampleCount(ofPacket packet: ArraySlice<UInt8>) throws(PayloadFormatError) -> Int {
        guard let first = packet.first else {
            throw PayloadFormatError(.emptyPayload, field: "TOC", offset: 0, "empty Opus packet")
        }
        let toc = OpusTOC(first)
        let frames: Int
        switch toc.frameCountCode {
        case 0: frames = 1
        case 1:
            guard (packet.count - 1) % 2 == 0 else {
                throw PayloadFormatError(.invalidOpusPacket, field: "TOC", offset: 0,
                                         "code 1 packet with an odd number of frame bytes")
            }
            frames = 2
        case 2: frames = 2
        default:
            guard packet.count >= 2 else {
                throw PayloadFormatError(.invalidOpusPacket, field: "frame count", offset: 1,
                                         "code 3 packet without its frame count byte")
            }
            frames = Int(packet[packet.startIndex + 1] & 0x3F)
            guard frames > 0 else {
                throw PayloadFormatError(.invalidOpusPacket, field: "frame count", offset: 1, "zero frames")
            }
        }
        let samples = frames * toc.samplesPerFrame
        guard samples <= 5760 else {
            throw PayloadFormatError(.invalidOpusPacket, field: "frame count", offset: 1,
                                     "\(samples) samples, more than 120 ms")
        }
        return samples
    }
}

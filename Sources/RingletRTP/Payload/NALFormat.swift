/// The differences between the H.264 (RFC 6184) and H.265 (RFC 7798) payload formats that the shared NAL unit
/// packetizer and depacketizer need.
enum NALFormat: Sendable {
    case h264
    case h265

    /// Bytes in a NAL unit header: 1 (H.264 §7.3.1) or 2 (H.265 §7.3.1.2).
    @inline(__always) var headerSize: Int { self == .h264 ? 1 : 2 }

    /// The NAL unit type from the first header byte.
    @inline(__always) func type(_ firstByte: UInt8) -> UInt8 {
        self == .h264 ? firstByte & 0x1F : (firstByte >> 1) & 0x3F
    }

    /// The aggregation packet type: STAP-A 24 (RFC 6184 §5.7.1) or AP 48 (RFC 7798 §4.4.2).
    var aggregationType: UInt8 { self == .h264 ? 24 : 48 }
    /// The fragmentation unit type: FU-A 28 (RFC 6184 §5.8) or FU 49 (RFC 7798 §4.4.3).
    var fragmentationType: UInt8 { self == .h264 ? 28 : 49 }

    /// Whether a NAL unit of this type may be carried on its own (not an RTP-only or unspecified type).
    @inline(__always) func isCarriable(_ type: UInt8) -> Bool {
        switch self {
        case .h264: return (1...23).contains(type)
        case .h265: return type <= 47
        }
    }

    /// Whether the type is a coded slice (VCL): H.264 1–5, H.265 0–31.
    @inline(__always) func isVCL(_ type: UInt8) -> Bool {
        self == .h264 ? (1...5).contains(type) : type <= 31
    }

    /// Whether the type starts a random access point: IDR (H.264 type 5) or IRAP (H.265 types 16–21).
    @inline(__always) func isKeyframe(_ type: UInt8) -> Bool {
        self == .h264 ? type == 5 : (16...21).contains(type)
    }

    /// The parameter-set slot of a type: H.264 SPS 7 → 0, PPS 8 → 1; H.265 VPS 32 → 0, SPS 33 → 1, PPS 34 → 2.
    @inline(__always) func parameterSetSlot(_ type: UInt8) -> Int? {
        switch self {
        case .h264: return type == 7 ? 0 : type == 8 ? 1 : nil
        case .h265: return (32...34).contains(type) ? Int(type) - 32 : nil
        }
    }

    /// Whether a NAL unit of this type may open an access unit and never follows its pictures' slices: the
    /// non-VCL units that, after the last slice of a picture, start the next access unit — H.264 SEI 6, SPS 7,
    /// PPS 8, access unit delimiter 9 (ITU-T H.264 §7.4.1.2.3); H.265 VPS 32, SPS 33, PPS 34, AUD 35, prefix
    /// SEI 39 (ITU-T H.265 §7.4.2.4.4). A slice never proves it: slices of one picture follow one another, and
    /// an IDR slice may have lost the parameter sets sent before it.
    func opensAccessUnit(_ type: UInt8) -> Bool {
        switch self {
        case .h264: return (6...9).contains(type)
        case .h265: return (32...35).contains(type) || type == 39
        }
    }

    /// The type of the first NAL unit that begins in an RTP payload: the payload's own (single NAL unit packet),
    /// an aggregation packet's first, or a fragmentation unit's when its start bit is set; nil when no NAL unit
    /// begins there (a later fragment) or the payload is too short to tell.
    func firstNALType(inPayload payload: ArraySlice<UInt8>) -> UInt8? {
        let hs = headerSize, start = payload.startIndex
        guard payload.count >= hs else { return nil }
        let outer = type(payload[start])
        if outer == aggregationType {
            guard payload.count > hs + 2 else { return nil }
            return type(payload[start + hs + 2])
        }
        if outer == fragmentationType {
            guard payload.count > hs, payload[start + hs] & 0x80 != 0 else { return nil }
            return self == .h264 ? payload[start + hs] & 0x1F : payload[start + hs] & 0x3F
        }
        return outer
    }

    /// How many parameter-set slots the format has.
    var parameterSetCount: Int { self == .h264 ? 2 : 3 }

    /// The name used in error messages.
    var name: String { self == .h264 ? "H.264" : "H.265" }
}

import RingletRTP
import RingletSDP

/// What a device needs from an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1): the profile, its
/// constraint flags and level, the picture size, and the frame rate when the VUI carries timing (E.1.1).
public struct H264SequenceParameterSet: Sendable, Hashable {
    /// `profile_idc` (66 baseline, 77 main, 88 extended, 100 high …).
    public let profile: UInt8
    /// `constraint_set0_flag` … `constraint_set5_flag`, most significant bit first (the `profile-iop` byte).
    public let constraints: UInt8
    /// `level_idc` (31 = level 3.1).
    public let level: UInt8
    /// Width and height in pixels after cropping; nil for the profiles whose SPS is not read past the level.
    public let width: Int?
    public let height: Int?
    /// Frames per second from the VUI timing (`time_scale / (2 × num_units_in_tick)`), when present.
    public let framesPerSecond: Double?

    /// The profile as the SDP's `profile-level-id` (RFC 6184 §8.1), e.g. `42e01f`.
    public var profileLevelID: String {
        [profile, constraints, level].map { b in
            let h = String(b, radix: 16)
            return h.count == 1 ? "0" + h : h
        }.joined()
    }

    /// Whether a WebRTC call that negotiated Constrained Baseline (all that Ringlet offers and accepts) can carry
    /// it: the rule of `H264ProfileLevelID.isBaselineCompatible` (baseline, or the constrained-baseline
    /// spellings under main and extended).
    public var isConstrainedBaselineCompatible: Bool {
        H264ProfileLevelID(profileLevelID)?.isBaselineCompatible ?? false
    }

    /// A profile's name for messages.
    public var profileName: String {
        switch profile {
        case 66: constraints & 0x40 != 0 ? "Constrained Baseline" : "Baseline"
        case 77: constraints & 0x40 != 0 ? "Main (constrained-baseline compatible)" : "Main"
        case 88: "Extended"
        case 100: "High"
        case 110: "High 10"
        case 122: "High 4:2:2"
        case 244: "High 4:4:4 Predictive"
        default: "profile_idc \(profile)"
        }
    }

    /// The message for a stream a call cannot carry: what it is and what to change.
    public var refusal: String {
        """
        the H.264 stream is \(profileName) (profile-level-id \(profileLevelID)); WebRTC calls here carry \
        Constrained Baseline (42e01f) only — a browser would decode nothing. Encode with a baseline profile: \
        ffmpeg/libx264 -profile:v baseline, GStreamer x264enc with video/x-h264,profile=constrained-baseline, \
        v4l2h264enc with extra-controls="controls,h264_profile=0" (Raspberry Pi), rpicam-vid --profile baseline
        """
    }

    /// Parses an SPS NAL unit (with its one-byte header, emulation prevention bytes in place).
    /// - Throws: `invalidFrame` for a NAL unit that is not an SPS or ends before its level.
    public init(nal: [UInt8]) throws(MediaStreamError) {
        guard nal.count >= 4, nal[0] & 0x1F == 7 else {
            throw MediaStreamError(.invalidFrame, offset: 0, "not an H.264 sequence parameter set")
        }
        let rbsp = Self.unescape(nal.dropFirst())
        profile = rbsp[0]
        constraints = rbsp[1]
        level = rbsp[2]
        var bits = BitReader(rbsp, startByte: 3)
        let size = try? Self.readRest(&bits, profile: profile)
        width = size?.width
        height = size?.height
        framesPerSecond = size?.fps ?? nil
    }

    /// The SPS an H.264 access unit (Annex B) carries, when it carries one that parses.
    public static func first(inAccessUnit data: [UInt8]) -> H264SequenceParameterSet? {
        guard let nals = try? AnnexB.split(data[...]), let sps = nals.first(where: { ($0.first ?? 0) & 0x1F == 7 }) else {
            return nil
        }
        return try? H264SequenceParameterSet(nal: Array(sps))
    }

    /// The RBSP of a NAL payload: `00 00 03` → `00 00` (§7.4.1).
    static func unescape(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var zeros = 0
        for b in bytes {
            if zeros >= 2 && b == 3 {
                zeros = 0
                continue
            }
            out.append(b)
            zeros = b == 0 ? zeros + 1 : 0
        }
        return out
    }

    /// Reads past the level to the picture size and the VUI timing.
    private static func readRest(_ r: inout BitReader, profile: UInt8) throws(MediaStreamError)
        -> (width: Int, height: Int, fps: Double?)
    {
        _ = try r.ue()  // seq_parameter_set_id
        var chromaFormat = 1
        if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(profile) {
            chromaFormat = try r.ue()
            if chromaFormat == 3 { _ = try r.bit() }
            _ = try r.ue()
            _ = try r.ue()
            _ = try r.bit()
            if try r.bit() == 1 {  // seq_scaling_matrix_present_flag
                for i in 0..<(chromaFormat != 3 ? 8 : 12) where try r.bit() == 1 {
                    var last = 8, next = 8
                    for _ in 0..<(i < 6 ? 16 : 64) where next != 0 {
                        next = (last + (try r.se()) + 256) % 256
                        last = next == 0 ? last : next
                    }
                }
            }
        }
        _ = try r.ue()  // log2_max_frame_num_minus4
        let pocType = try r.ue()
        if pocType == 0 {
            _ = try r.ue()
        } else if pocType == 1 {
            _ = try r.bit()
            _ = try r.se()
            _ = try r.se()
            let cycle = try r.ue()
            guard cycle < 256 else { throw MediaStreamError(.invalidFrame, offset: 0, "SPS poc cycle \(cycle)") }
            for _ in 0..<cycle { _ = try r.se() }
        }
        _ = try r.ue()  // max_num_ref_frames
        _ = try r.bit()
        let widthMBs = try r.ue() + 1
        let heightUnits = try r.ue() + 1
        let frameMBsOnly = try r.bit()
        if frameMBsOnly == 0 { _ = try r.bit() }
        _ = try r.bit()  // direct_8x8_inference_flag
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if try r.bit() == 1 { crop = (try r.ue(), try r.ue(), try r.ue(), try r.ue()) }
        let subWidth = chromaFormat == 1 || chromaFormat == 2 ? 2 : 1
        let subHeight = (chromaFormat == 1 ? 2 : 1) * (2 - frameMBsOnly)
        let width = widthMBs * 16 - (crop.left + crop.right) * subWidth
        let height = heightUnits * 16 * (2 - frameMBsOnly) - (crop.top + crop.bottom) * subHeight
        var fps: Double?
        if try r.bit() == 1 {  // vui_parameters_present_flag (E.1.1)
            if try r.bit() == 1, try r.bits(8) == 255 { _ = try r.bits(32) }  // aspect ratio (Extended_SAR)
            if try r.bit() == 1 { _ = try r.bit() }  // overscan
            if try r.bit() == 1 {  // video signal type
                _ = try r.bits(4)
                if try r.bit() == 1 { _ = try r.bits(24) }
            }
            if try r.bit() == 1 {  // chroma location
                _ = try r.ue()
                _ = try r.ue()
            }
            if try r.bit() == 1 {  // timing_info_present_flag
                let units = try r.bits(32), scale = try r.bits(32)
                if units > 0, scale > 0 { fps = Double(scale) / Double(2 * units) }
            }
        }
        return (width, height, fps)
    }
}

/// Reads bits most significant first, with Exp-Golomb codes (ITU-T H.264 §9.1).
struct BitReader {
    let bytes: [UInt8]
    var position: Int

    init(_ bytes: [UInt8], startByte: Int) {
        self.bytes = bytes
        position = startByte * 8
    }

    mutating func bit() throws(MediaStreamError) -> Int {
        guard position < bytes.count * 8 else { throw MediaStreamError(.truncated, offset: 0, "the SPS ends early") }
        defer { position += 1 }
        return Int(bytes[position / 8] >> (7 - UInt8(position % 8))) & 1
    }

    mutating func bits(_ n: Int) throws(MediaStreamError) -> Int {
        var v = 0
        for _ in 0..<n { v = v << 1 | (try bit()) }
        return v
    }

    /// ue(v).
    mutating func ue() throws(MediaStreamError) -> Int {
        var zeros = 0
        while try bit() == 0 {
            zeros += 1
            guard zeros < 32 else { throw MediaStreamError(.invalidFrame, offset: 0, "an Exp-Golomb code over 32 bits") }
        }
        return (1 << zeros) - 1 + (try bits(zeros))
    }

    /// se(v).
    mutating func se() throws(MediaStreamError) -> Int {
        let k = try ue()
        return k % 2 == 1 ? (k + 1) / 2 : -(k / 2)
    }
}

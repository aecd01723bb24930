/// A codec Ringlet can negotiate (DESIGN.md "Media"): the app sends and receives encoded frames in these.
public enum RingletCodec: String, Hashable, Sendable, CaseIterable {
    /// Opus, 48000/2 (RFC 7587), `minptime=10;useinbandfec=1`.
    case opus
    /// G.711 µ-law, static payload type 0 (RFC 3551 §4.5.14).
    case pcmu
    /// G.711 A-law, static payload type 8 (RFC 3551 §4.5.14).
    case pcma
    /// H.264 constrained baseline, `packetization-mode=1` (RFC 6184).
    case h264
    /// H.265 Main, single RTP stream (RFC 7798), for peers that take it (not browsers, mostly: Chromium offers it
    /// only with a hardware decoder).
    case h265

    /// The media type the codec belongs to.
    public var media: SDPMediaType { self == .h264 || self == .h265 ? .video : .audio }

    /// The payload type Ringlet's offers use (Chromium's numbers for Opus and H.264 42e01f would differ; any
    /// dynamic number is valid, RFC 3551 §3).
    public var defaultPayloadType: UInt8 {
        switch self {
        case .opus: 111
        case .pcmu: 0
        case .pcma: 8
        case .h264: 96
        case .h265: 98
        }
    }

    /// The codec as written in Ringlet's offers.
    func offered(feedback: [RTCPFeedback]) -> RTPCodec {
        offered(payloadType: defaultPayloadType, feedback: feedback, profileLevelID: "42e01f")
    }

    /// The codec with a given payload type (≤ 127, from `defaultPayloadType` or a parsed offer), feedback and
    /// (for H.264) profile-level-id.
    func offered(payloadType: UInt8, feedback: [RTCPFeedback], profileLevelID: String) -> RTPCodec {
        switch self {
        case .opus:
            RTPCodec(unchecked: payloadType, "opus", 48000, 2,
                     [FormatParameter("minptime", "10"), FormatParameter("useinbandfec", "1")], feedback)
        case .pcmu: RTPCodec(unchecked: payloadType, "PCMU", 8000, nil, [], feedback)
        case .pcma: RTPCodec(unchecked: payloadType, "PCMA", 8000, nil, [], feedback)
        case .h264:
            RTPCodec(unchecked: payloadType, "H264", 90000, nil,
                     [FormatParameter("level-asymmetry-allowed", "1"), FormatParameter("packetization-mode", "1"),
                      FormatParameter("profile-level-id", profileLevelID)], feedback)
        case .h265:
            RTPCodec(unchecked: payloadType, "H265", 90000, nil,
                     [FormatParameter("level-id", "93"), FormatParameter("profile-id", "1"),
                      FormatParameter("tier-flag", "0"), FormatParameter("tx-mode", "SRST")], feedback)
        }
    }

    /// Whether an offered codec is this one, as far as Ringlet can send and receive it.
    ///
    /// - Opus: name `opus`, clock 48000, 2 channels (RFC 7587 §7).
    /// - PCMU/PCMA: name and clock 8000, one channel or none written.
    /// - H.264: name `H264`, clock 90000, `packetization-mode=1`, and a `profile-level-id` whose profile is
    ///   baseline or constrained baseline (see `H264ProfileLevelID.isBaselineCompatible`); a missing
    ///   profile-level-id means 42000A (RFC 6184 §8.1), which is baseline and accepted.
    /// - H.265: name `H265`, clock 90000, Main profile (`profile-id` 1 or absent), `tx-mode` SRST or absent.
    public func matches(_ codec: RTPCodec) -> Bool {
        switch self {
        case .opus:
            return codec.isNamed("opus") && codec.clockRate == 48000 && codec.channels == 2
        case .pcmu, .pcma:
            return codec.isNamed(self == .pcmu ? "PCMU" : "PCMA") && codec.clockRate == 8000
                && (codec.channels ?? 1) == 1
        case .h264:
            guard codec.isNamed("H264"), codec.clockRate == 90000, codec.parameter("packetization-mode") == "1"
            else { return false }
            guard let pli = codec.parameter("profile-level-id") else { return true }
            return H264ProfileLevelID(pli)?.isBaselineCompatible ?? false
        case .h265:
            // RFC 7798 §7.1: profile-id absent means Main (1); only one RTP stream (tx-mode SRST, the default).
            return codec.isNamed("H265") && codec.clockRate == 90000 && (codec.parameter("profile-id") ?? "1") == "1"
                && (codec.parameter("tx-mode") ?? "SRST") == "SRST"
        }
    }
}

/// An H.264 `profile-level-id` (RFC 6184 §8.1): profile_idc, profile-iop (constraint flags) and level_idc.
public struct H264ProfileLevelID: Hashable, Sendable {
    /// profile_idc (0x42 baseline, 0x4D main, 0x58 extended, 0x64 high).
    public let profile: UInt8
    /// profile-iop: constraint_set0..5 flags, most significant bit first.
    public let constraints: UInt8
    /// level_idc (e.g. 0x1F for level 3.1).
    public let level: UInt8

    /// Parses six hex digits; nil otherwise.
    public init?(_ text: String) {
        guard text.utf8.count == 6, let b = [UInt8](hex: text), b.count == 3 else { return nil }
        profile = b[0]
        constraints = b[1]
        level = b[2]
    }

    /// Whether a constrained-baseline encoder (what Ringlet's apps send) and a baseline-capable decoder fit
    /// this profile. Ringlet's rule: profile_idc 0x42 (baseline, with or without constraint_set1, e.g.
    /// 42001f, 42e01f, 42c01f), or the constrained-baseline spellings of RFC 6184 Table 5 under other
    /// profile_idc values: 0x4D with constraint_set0 (4d8xxx) and 0x58 with constraint_set0 and set1 (58cxxx).
    /// Main (4d001f) and high (64xxxx) are refused: they may use CABAC and B-frames.
    public var isBaselineCompatible: Bool {
        switch profile {
        case 0x42: return true
        case 0x4D: return constraints & 0x80 != 0
        case 0x58: return constraints & 0xC0 == 0xC0
        default: return false
        }
    }
}

/// What the local side (a Ringlet device) offers or accepts for one kind of media.
public struct SDPLocalMedia: Hashable, Sendable {
    /// The direction wanted: `sendrecv` for a call, `sendonly` for a camera, `recvonly` for a viewer.
    public var direction: MediaDirection
    /// The codecs, in order of preference.
    public var codecs: [RingletCodec]
    /// The SSRC this side sends with, announced with `a=ssrc` (RFC 5576) when set and sending.
    public var ssrc: UInt32?
    /// The `msid` (RFC 8830) announced when sending.
    public var msid: MediaStreamID?

    /// Makes a media description of the local side.
    public init(
        direction: MediaDirection = .sendrecv, codecs: [RingletCodec], ssrc: UInt32? = nil,
        msid: MediaStreamID? = nil
    ) {
        self.direction = direction
        self.codecs = codecs
        self.ssrc = ssrc
        self.msid = msid
    }
}

/// Everything the SDP writers need about the local side. A plain configuration struct; the writers validate
/// nothing further (its parts validate themselves).
public struct SDPLocalCapabilities: Hashable, Sendable {
    /// Local ICE credentials; `options` should hold `trickle` (RFC 8840).
    public var ice: ICEParameters
    /// The fingerprint of the local DTLS certificate (RFC 8122).
    public var fingerprint: DTLSFingerprint
    /// The `o=` session id (RFC 9429 §5.2.1: random, under 2^63). Random input is the caller's.
    public var sessionID: UInt64
    /// The `o=` session version; bump it for each new description (RFC 9429 §5.2.2).
    public var sessionVersion: UInt64
    /// Audio, or nil for none. Default: sendrecv with Opus, PCMU, PCMA.
    public var audio: SDPLocalMedia?
    /// Video, or nil for none. Default: sendrecv with H.264.
    public var video: SDPLocalMedia?
    /// The RTCP feedback Ringlet supports for video (RFC 4585, RFC 5104, REMB, transport-cc).
    public var videoFeedback: [RTCPFeedback]
    /// The RTCP feedback Ringlet supports for audio.
    public var audioFeedback: [RTCPFeedback]
    /// The header extensions Ringlet supports (RFC 8285), with the ids its offers use. Default: abs-send-time
    /// (2), transport-wide-cc (3), mid (4), the ids Chromium uses.
    public var headerExtensions: [RTPHeaderExtensionMap]
    /// The CNAME announced with `a=ssrc:<ssrc> cname:` (RFC 7022), when set.
    public var cname: String?
    /// Local candidates written into the first m-section (all share the BUNDLE transport).
    public var candidates: [ICECandidateLine]
    /// Whether gathering is complete: adds `end-of-candidates` (RFC 8840 §8.2).
    public var endOfCandidates: Bool

    /// Makes capabilities with Ringlet's defaults.
    public init(
        ice: ICEParameters, fingerprint: DTLSFingerprint, sessionID: UInt64, sessionVersion: UInt64 = 2,
        audio: SDPLocalMedia? = SDPLocalMedia(codecs: [.opus, .pcmu, .pcma]),
        video: SDPLocalMedia? = SDPLocalMedia(codecs: [.h264]),
        cname: String? = nil, candidates: [ICECandidateLine] = [], endOfCandidates: Bool = false
    ) {
        self.ice = ice
        self.fingerprint = fingerprint
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.audio = audio
        self.video = video
        self.videoFeedback = [.googREMB, .transportCC, .ccmFIR, .nack, .nackPLI]
        self.audioFeedback = [.transportCC]
        self.headerExtensions = [
            (2, RTPHeaderExtensionMap.absSendTimeURI), (3, RTPHeaderExtensionMap.transportWideCCURI),
            (4, RTPHeaderExtensionMap.midURI),
        ].compactMap { try? RTPHeaderExtensionMap(id: $0.0, uri: $0.1) }
        self.cname = cname
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
    }
}

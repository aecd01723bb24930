/// The WebRTC meaning of one m-section (RFC 9429 §5.2.1 and the RFCs of each attribute).
public struct WebRTCMediaView: Hashable, Sendable {
    /// The m-section's position in the description (0-based).
    public let index: Int
    /// The media type.
    public let kind: SDPMediaType
    /// The port of the m-line; 0 when rejected or `bundle-only`.
    public let port: UInt16
    /// The transport protocol, e.g. `UDP/TLS/RTP/SAVPF`.
    public let proto: String
    /// The formats of the m-line.
    public let formats: [String]
    /// The `mid` (RFC 8843 §15.1 / RFC 5888 §4), when present.
    public let mid: String?
    /// The direction; `sendrecv` when none is written (RFC 3264 §5.1).
    public let direction: MediaDirection
    /// ICE credentials: this m-section's, else the session's.
    public let ice: ICEParameters?
    /// Fingerprints: this m-section's, else the session's.
    public let fingerprints: [DTLSFingerprint]
    /// `setup`: this m-section's, else the session's.
    public let setup: DTLSSetupRole?
    /// Whether `rtcp-mux` is present (RFC 5761 §5.1.3).
    public let rtcpMux: Bool
    /// Whether `rtcp-rsize` is present (RFC 5506 §5).
    public let rtcpReducedSize: Bool
    /// Whether `bundle-only` is present (RFC 8843 §6).
    public let bundleOnly: Bool
    /// Whether `end-of-candidates` is present (RFC 8840 §8.2).
    public let endOfCandidates: Bool
    /// The `msid` attributes (RFC 8830).
    public let msids: [MediaStreamID]
    /// The codecs, in the m-line's order of preference. Formats without `rtpmap` get the static payload type
    /// when RFC 3551 defines one used by WebRTC (0 PCMU, 8 PCMA, 9 G722, 13 CN) and are skipped otherwise.
    public let codecs: [RTPCodec]
    /// The `extmap` attributes (RFC 8285).
    public let headerExtensions: [RTPHeaderExtensionMap]
    /// The `ssrc` attributes (RFC 5576 §4.1).
    public let ssrcs: [SSRCAttribute]
    /// The `ssrc-group` attributes (RFC 5576 §4.2).
    public let ssrcGroups: [SSRCGroup]
    /// The `candidate` attributes (RFC 8839 §5.1).
    public let candidates: [ICECandidateLine]

    /// Whether the m-section is rejected: port 0 without `bundle-only` (RFC 3264 §6, RFC 8843 §7.3).
    public var isRejected: Bool { port == 0 && !bundleOnly }
    /// Whether the protocol carries RTP (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, …).
    public var isRTP: Bool { proto.utf8.split(separator: UInt8(ascii: "/")).contains { Array($0) == Array("RTP".utf8) } }
    /// The codec for `payloadType`.
    public func codec(payloadType: UInt8) -> RTPCodec? { codecs.first(where: { $0.payloadType == payloadType }) }
    /// The extension id mapped to `uri`.
    public func headerExtensionID(uri: String) -> UInt16? { headerExtensions.first(where: { $0.uri == uri })?.id }

    init(
        _ m: MediaDescription, index: Int, sessionICE: ICEParameters?, sessionFingerprints: [DTLSFingerprint],
        sessionSetup: DTLSSetupRole?, sessionICEOptions: [String]?
    ) throws(SDPError) {
        typealias S = WebRTCSessionView
        var mid: String?
        var direction: MediaDirection?
        var ufrag: String?
        var pwd: String?
        var options: [String]?
        var fingerprints = [DTLSFingerprint]()
        var setup: DTLSSetupRole?
        var msids = [MediaStreamID]()
        var rtpmaps = [UInt8: (String, UInt32, UInt32?)]()
        var fmtps = [String: [FormatParameter]]()
        var feedback = [(String, RTCPFeedback)]()
        var extmaps = [RTPHeaderExtensionMap]()
        var ssrcs = [SSRCAttribute]()
        var groups = [SSRCGroup]()
        var candidates = [ICECandidateLine]()
        for a in m.attributes {
            switch a.name {
            case "mid":
                let v = try S.required(a)
                guard SDPText.isToken(v) else { throw SDPError(.invalidAttribute, field: "mid", "mid must be a token") }
                try S.once(&mid, v, a.name)
            case "sendrecv", "sendonly", "recvonly", "inactive":
                try S.once(&direction, MediaDirection(rawValue: a.name) ?? .sendrecv, "direction")
            case "ice-ufrag": try S.once(&ufrag, try S.required(a), a.name)
            case "ice-pwd": try S.once(&pwd, try S.required(a), a.name)
            case "ice-options": try S.once(&options, try S.options(a), a.name)
            case "fingerprint": fingerprints.append(try DTLSFingerprint(parsing: try S.required(a)))
            case "setup": try S.once(&setup, DTLSSetupRole(rawValue: try S.required(a)), a.name)
            case "msid": msids.append(try MediaStreamID(parsing: try S.required(a)))
            case "rtpmap":
                let (pt, name, rate, ch) = try RTPCodec.parseRTPMap(try S.required(a))
                guard rtpmaps[pt] == nil else {
                    throw SDPError(.duplicateAttribute, field: "rtpmap", "two rtpmap lines for payload type \(pt)")
                }
                rtpmaps[pt] = (name, rate, ch)
            case "fmtp":
                let (format, params) = try RTPCodec.parseFMTP(try S.required(a))
                guard fmtps[format] == nil else {
                    throw SDPError(.duplicateAttribute, field: "fmtp", "two fmtp lines for format \(format)")
                }
                fmtps[format] = params
            case "rtcp-fb": feedback.append(try RTPCodec.parseRTCPFeedback(try S.required(a)))
            case "extmap": extmaps.append(try RTPHeaderExtensionMap(parsing: try S.required(a)))
            case "ssrc": ssrcs.append(try SSRCAttribute(parsing: try S.required(a)))
            case "ssrc-group": groups.append(try SSRCGroup(parsing: try S.required(a)))
            case "candidate": candidates.append(try ICECandidateLine(parsing: try S.required(a)))
            default: break
            }
        }
        let mediaICE = try S.ice(ufrag, pwd, options ?? sessionICEOptions)
        var codecs = [RTPCodec]()
        if m.proto.utf8.split(separator: UInt8(ascii: "/")).contains(where: { Array($0) == Array("RTP".utf8) }) {
            for f in m.formats {
                guard let pt = SDPText.decimal(f, as: UInt8.self), pt <= 127 else {
                    throw SDPError(.invalidField, field: "m", "RTP format \(f) is not a payload type 0-127")
                }
                let map: (String, UInt32, UInt32?)
                if let r = rtpmaps[pt] {
                    map = r
                } else if let s = Self.staticPayloadType(pt) {
                    map = s
                } else {
                    continue
                }
                let fb = feedback.filter { $0.0 == f || $0.0 == "*" }.map(\.1)
                codecs.append(try RTPCodec(payloadType: pt, name: map.0, clockRate: map.1, channels: map.2,
                                           parameters: fmtps[f] ?? [], feedback: fb))
            }
        }
        self.index = index
        self.kind = m.media
        self.port = m.port
        self.proto = m.proto
        self.formats = m.formats
        self.mid = mid
        self.direction = direction ?? .sendrecv
        self.ice = mediaICE ?? sessionICE
        self.fingerprints = fingerprints.isEmpty ? sessionFingerprints : fingerprints
        self.setup = setup ?? sessionSetup
        self.rtcpMux = m.hasAttribute("rtcp-mux")
        self.rtcpReducedSize = m.hasAttribute("rtcp-rsize")
        self.bundleOnly = m.hasAttribute("bundle-only")
        self.endOfCandidates = m.hasAttribute("end-of-candidates")
        self.msids = msids
        self.codecs = codecs
        self.headerExtensions = extmaps
        self.ssrcs = ssrcs
        self.ssrcGroups = groups
        self.candidates = candidates
    }

    /// The static payload types of RFC 3551 §6 that WebRTC endpoints use without an `rtpmap`.
    static func staticPayloadType(_ pt: UInt8) -> (String, UInt32, UInt32?)? {
        switch pt {
        case 0: ("PCMU", 8000, nil)
        case 8: ("PCMA", 8000, nil)
        case 9: ("G722", 8000, nil)
        case 13: ("CN", 8000, nil)
        default: nil
        }
    }
}

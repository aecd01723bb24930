extension SessionDescription {
    /// Answers `offer` for a Ringlet peer (RFC 9429 §5.3.1, RFC 3264 §6).
    ///
    /// Per offered m-section, in order:
    /// - Accepted when it is the first `audio` (or `video`) m-section, `local` has that kind, it is not
    ///   rejected in the offer (port 0 without `bundle-only`), its proto is RTP/SAVPF over DTLS, it is in the
    ///   offer's BUNDLE group (or is the first m-section when the offer has no group — Ringlet runs one
    ///   transport), and one of its codecs is supported. The codec chosen follows the answerer's preference
    ///   (RFC 3264 §6.1 lets it choose): the first codec of `local`'s list that an offered one `matches` (see
    ///   `RingletCodec.matches` for the H.264 rule), and of the offered ones it matches, the first in the m-line;
    ///   its payload type is kept.
    ///   Feedback is the offered feedback Ringlet supports; header extensions are the offered ones whose URI
    ///   Ringlet supports, with the offered ids.
    /// - Otherwise rejected: port 0, the offered proto and formats, `c=IN IP4 0.0.0.0` and the `mid`.
    ///
    /// The answer mirrors mids, lists the accepted mids in `a=group:BUNDLE` when the offer had a BUNDLE group,
    /// answers `setup:active` to `actpass` or `passive` and `setup:passive` to `active` (RFC 8842 §5.2; a
    /// missing `setup` means `active`, RFC 4145 §4), and reverses the offered direction, limited by the local
    /// direction. Candidates go into the first accepted m-section.
    /// - Throws: `SDPError` — `.noCommonCodec` when nothing can be accepted, `.missingICECredentials` and
    ///   `.missingFingerprint` when an accepted m-section has none (its own, the session's, or the BUNDLE
    ///   tag's), `.unsupportedSetup` for `holdconn` or an unknown role, `.unsupportedOffer` for an offer with
    ///   no m-section, and any error of `WebRTCSessionView`.
    public static func answer(to offer: SessionDescription, local: SDPLocalCapabilities) throws(SDPError)
        -> SessionDescription
    {
        let view = try WebRTCSessionView(offer)
        guard !view.media.isEmpty else {
            throw SDPError(.unsupportedOffer, field: "m", "the offer has no m-section")
        }
        let bundle = view.bundle
        let tag = bundle?.mids.first.flatMap { view.media(mid: $0) }
        var usedKinds = Set<SDPMediaType>()
        var acceptedMids = [String]()
        var sections = [MediaDescription]()
        var firstAccepted = true
        for m in view.media {
            let offered = offer.media[m.index]
            guard let (localMedia, feedback) = localMedia(for: m.kind, local), !usedKinds.contains(m.kind),
                !m.isRejected, m.isRTP, isDTLSSRTP(m.proto),
                bundle.map({ g in m.mid.map(g.mids.contains) ?? false }) ?? firstAccepted,
                let (codec, localCodec) = firstSupported(m.codecs, localMedia.codecs)
            else {
                sections.append(rejected(offered, mid: m.mid))
                continue
            }
            guard m.ice ?? tag?.ice != nil else {
                throw SDPError(.missingICECredentials, mediaIndex: m.index, field: "ice-ufrag",
                               "no ice-ufrag/ice-pwd for this m-section, the session or the BUNDLE tag")
            }
            guard !m.fingerprints.isEmpty || !(tag?.fingerprints.isEmpty ?? true) else {
                throw SDPError(.missingFingerprint, mediaIndex: m.index, field: "fingerprint",
                               "no fingerprint for this m-section, the session or the BUNDLE tag")
            }
            let setup = try answerSetup(m.setup ?? tag?.setup, mediaIndex: m.index)
            let chosen = localCodec.offered(
                payloadType: codec.payloadType, feedback: codec.feedback.filter(feedback.contains),
                profileLevelID: codec.parameter("profile-level-id") ?? "42000a")
            let supportedURIs = Set(local.headerExtensions.map(\.uri))
            let extensions = m.headerExtensions.filter { supportedURIs.contains($0.uri) }.compactMap {
                try? RTPHeaderExtensionMap(id: $0.id, uri: $0.uri)
            }
            let direction = MediaDirection(
                sends: m.direction.receives && localMedia.direction.sends,
                receives: m.direction.sends && localMedia.direction.receives)
            sections.append(
                mediaSection(
                    kind: m.kind, mid: m.mid, codecs: [chosen], direction: direction, setup: setup, local: local,
                    media: localMedia, extensions: extensions, reducedSize: m.rtcpReducedSize,
                    withCandidates: firstAccepted))
            usedKinds.insert(m.kind)
            if let mid = m.mid { acceptedMids.append(mid) }
            firstAccepted = false
        }
        guard !firstAccepted else {
            throw SDPError(.noCommonCodec, field: "m", "no offered m-section has a codec Ringlet supports")
        }
        var attributes = [SDPAttribute]()
        if let bundle {
            let mids = bundle.mids.filter(acceptedMids.contains)
            attributes.append(SDPAttribute(known: "group", SDPGroup(semantics: "BUNDLE", mids: mids).value))
        }
        return try SessionDescription(
            origin: SDPOrigin(sessionID: local.sessionID, sessionVersion: local.sessionVersion),
            attributes: attributes, media: sections)
    }

    static func localMedia(for kind: SDPMediaType, _ local: SDPLocalCapabilities)
        -> (SDPLocalMedia, [RTCPFeedback])?
    {
        switch kind {
        case .audio: local.audio.map { ($0, local.audioFeedback) }
        case .video: local.video.map { ($0, local.videoFeedback) }
        default: nil
        }
    }

    /// Whether `proto` is RTP/SAVP(F) keyed by DTLS (RFC 5764 §8, RFC 7850).
    static func isDTLSSRTP(_ proto: String) -> Bool {
        ["UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP", "TCP/DTLS/RTP/SAVPF", "TCP/DTLS/RTP/SAVP"].contains(proto)
    }

    /// The codec to answer with: for the first of `local` (in its order of preference) that matches an offered
    /// codec, the first offered codec (in the m-line's order) it matches.
    static func firstSupported(_ offered: [RTPCodec], _ local: [RingletCodec]) -> (RTPCodec, RingletCodec)? {
        for l in local {
            if let c = offered.first(where: { l.matches($0) }) { return (c, l) }
        }
        return nil
    }

    /// The answerer's role for an offered `setup` (RFC 8842 §5.2, RFC 4145 §4).
    static func answerSetup(_ offered: DTLSSetupRole?, mediaIndex: Int) throws(SDPError) -> DTLSSetupRole {
        switch offered ?? .active {
        case .actpass, .passive: return .active
        case .active: return .passive
        default:
            throw SDPError(.unsupportedSetup, mediaIndex: mediaIndex, field: "setup",
                           "cannot answer setup:\(offered?.rawValue ?? "")")
        }
    }

    /// A rejected m-section in the answer: port 0, the offer's proto and formats (RFC 3264 §6).
    static func rejected(_ offered: MediaDescription, mid: String?) -> MediaDescription {
        MediaDescription(
            writer: offered.media, port: 0, proto: offered.proto, formats: offered.formats,
            connection: .unspecified, attributes: mid.map { [SDPAttribute(known: "mid", $0)] } ?? [])
    }
}

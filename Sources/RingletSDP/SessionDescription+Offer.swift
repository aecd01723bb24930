extension SessionDescription {
    /// The protocol of every RTP m-section Ringlet writes: RTP/SAVPF over DTLS-SRTP (RFC 5764 §8).
    static let rtpProto = "UDP/TLS/RTP/SAVPF"

    /// Writes an offer for a Ringlet peer (RFC 9429 §5.2.1): one audio m-section (mid `0`) and one video
    /// m-section (mid `1`), whichever `local` has, BUNDLEd (RFC 8843) with rtcp-mux (RFC 5761), rtcp-rsize,
    /// `setup:actpass` (RFC 8842 §5.2), the local ICE credentials and fingerprint, the codecs in `local`'s
    /// order with their RTCP feedback, and the header extensions in `local`.
    /// - Throws: `SDPError.Code.unsupportedOffer` when `local` has neither audio nor video or a media kind
    ///   has no codec of its type.
    public static func offer(local: SDPLocalCapabilities) throws(SDPError) -> SessionDescription {
        var sections = [MediaDescription]()
        var mids = [String]()
        for (kind, media) in [(SDPMediaType.audio, local.audio), (.video, local.video)] {
            guard let media else { continue }
            let codecs = media.codecs.filter { $0.media == kind }
            guard !codecs.isEmpty, codecs.count == media.codecs.count else {
                throw SDPError(.unsupportedOffer, field: "m", "\(kind) needs codecs of its own kind")
            }
            let feedback = kind == .video ? local.videoFeedback : local.audioFeedback
            let mid = kind == .audio ? "0" : "1"
            sections.append(
                mediaSection(
                    kind: kind, mid: mid, codecs: codecs.map { $0.offered(feedback: feedback) },
                    direction: media.direction, setup: .actpass, local: local, media: media,
                    extensions: local.headerExtensions, reducedSize: true, withCandidates: sections.isEmpty))
            mids.append(mid)
        }
        guard !sections.isEmpty else {
            throw SDPError(.unsupportedOffer, field: "m", "nothing to offer: no audio and no video")
        }
        return try SessionDescription(
            origin: SDPOrigin(sessionID: local.sessionID, sessionVersion: local.sessionVersion),
            attributes: [SDPAttribute(known: "group", SDPGroup(semantics: "BUNDLE", mids: mids).value)],
            media: sections)
    }

    /// One accepted RTP m-section in Chromium's attribute order.
    static func mediaSection(
        kind: SDPMediaType, mid: String?, codecs: [RTPCodec], direction: MediaDirection, setup: DTLSSetupRole,
        local: SDPLocalCapabilities, media: SDPLocalMedia, extensions: [RTPHeaderExtensionMap], reducedSize: Bool,
        withCandidates: Bool
    ) -> MediaDescription {
        let (address, port) = defaultAddress(local)
        var a = [SDPAttribute(known: "rtcp", "9 IN IP4 0.0.0.0")]
        if withCandidates {
            for c in local.candidates { a.append(SDPAttribute(known: "candidate", c.value)) }
            if local.endOfCandidates { a.append(SDPAttribute(known: "end-of-candidates")) }
        }
        a += local.ice.attributes
        a.append(SDPAttribute(known: "fingerprint", local.fingerprint.value))
        a.append(SDPAttribute(known: "setup", setup.rawValue))
        if let mid { a.append(SDPAttribute(known: "mid", mid)) }
        for e in extensions { a.append(SDPAttribute(known: "extmap", e.value)) }
        a.append(SDPAttribute(known: direction.rawValue))
        if direction.sends, let msid = media.msid { a.append(SDPAttribute(known: "msid", msid.value)) }
        a.append(SDPAttribute(known: "rtcp-mux"))
        if reducedSize { a.append(SDPAttribute(known: "rtcp-rsize")) }
        for c in codecs { a += c.attributes }
        if direction.sends, let ssrc = media.ssrc {
            if let cname = local.cname { a.append(SDPAttribute(known: "ssrc", "\(ssrc) cname:\(cname)")) }
            if let msid = media.msid { a.append(SDPAttribute(known: "ssrc", "\(ssrc) msid:\(msid.value)")) }
        }
        return MediaDescription(
            writer: kind, port: port, proto: rtpProto, formats: codecs.map { String($0.payloadType) },
            connection: address, attributes: a)
    }

    /// The default candidate (RFC 9429 §5.2.1): the first UDP candidate with an IP literal, else `0.0.0.0:9`.
    static func defaultAddress(_ local: SDPLocalCapabilities) -> (SDPConnection, UInt16) {
        for c in local.candidates where c.isUDP && c.component == 1 {
            let isIPv6 = c.address.utf8.contains(UInt8(ascii: ":"))
            let isIPv4 = !isIPv6 && c.address.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
            guard isIPv4 || isIPv6,
                let conn = try? SDPConnection(addressType: isIPv6 ? "IP6" : "IP4", address: c.address)
            else { continue }
            return (conn, c.port)
        }
        return (SDPConnection.unspecified, 9)
    }
}

extension SDPConnection {
    /// `IN IP4 0.0.0.0`, the placeholder JSEP writes (RFC 9429 §5.2.1).
    static let unspecified: SDPConnection = SDPConnection(uncheckedAddress: "0.0.0.0")

    private init(uncheckedAddress: String) {
        netType = "IN"
        addressType = "IP4"
        address = uncheckedAddress
    }
}

extension MediaDescription {
    /// An m-section built by the writers from valid parts (tokens, at least one format).
    init(
        writer media: SDPMediaType, port: UInt16, proto: String, formats: [String], connection: SDPConnection,
        attributes: [SDPAttribute]
    ) {
        self.media = media
        self.port = port
        self.portCount = nil
        self.proto = proto
        self.formats = formats
        self.title = nil
        self.connections = [connection]
        self.bandwidths = []
        self.encryptionKey = nil
        self.attributes = attributes
    }
}

import RingletCore
import RingletDTLS
import RingletICE
import RingletRTP
import RingletSDP
import RingletSRTP

extension PeerConnection {
    /// Demultiplexes one received datagram (RFC 7983 §7; TURN flow first, RFC 8656 §12).
    ///
    /// A TURN flow is its server, local address *and transport*: a server listens for UDP and TCP on the same
    /// address, and a TCP connection's bytes are a stream that only its own client can unframe. Stream bytes no
    /// TURN client owns are dropped (ICE itself runs on UDP only).
    func receive(_ datagram: Datagram, now: Instant) {
        let payload = datagram.payload
        if datagram.transport == .tcp {
            guard let i = turnSlot(for: datagram) else {
                counters.unknownDropped &+= 1
                return
            }
            turn[i].client.handleIncoming(payload, now: now)
            return
        }
        let kind = DatagramKind.classify(payload)
        if kind == .turnChannelData || (kind == .stun && !Self.isBinding(payload)), let i = turnSlot(for: datagram) {
            turn[i].client.handleIncoming(payload, now: now)
            return
        }
        guard connectionState != .closed, ice != nil else {
            counters.unknownDropped &+= 1
            return
        }
        switch kind {
        case .stun, .dtls, .rtp, .rtcp:
            receiveOnCandidate(payload[...], kind: kind, from: datagram.source, to: datagram.destination, now: now)
        default:
            counters.unknownDropped &+= 1
        }
    }

    /// The TURN client whose flow (server, local address, transport) `datagram` arrived on.
    func turnSlot(for datagram: Datagram) -> Int? {
        turn.firstIndex {
            $0.server == datagram.source && $0.local == datagram.destination
                && $0.client.configuration.transport == datagram.transport
        }
    }

    /// Whether a STUN message is a Binding (method 0x001, RFC 8489 §5): those belong to ICE even when they come
    /// from the TURN server (which may also be the STUN server).
    static func isBinding(_ payload: [UInt8]) -> Bool {
        guard payload.count >= 2 else { return false }
        let t = UInt16(payload[0]) << 8 | UInt16(payload[1])
        let method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)
        return method == 0x001
    }

    /// A datagram on a local candidate (a host socket, or the relayed address for data the relay delivered).
    func receiveOnCandidate(_ payload: ArraySlice<UInt8>, kind: DatagramKind, from source: TransportAddress,
                            to local: TransportAddress, now: Instant) {
        guard let result = ice?.handleDatagram(payload, from: source, to: local, now: now) else { return }
        switch result {
        case .consumed:
            return
        case .dropped:
            counters.iceDropped &+= 1
        case .applicationData(let pair):
            switch kind {
            case .dtls: receiveDTLS(payload, pair: pair, now: now)
            case .rtp: receiveSRTP(payload, now: now)
            case .rtcp: receiveSRTCP(payload, now: now)
            default: counters.unknownDropped &+= 1
            }
        }
    }

    func receiveDTLS(_ payload: ArraySlice<UInt8>, pair: ICECandidatePair.ID, now: Instant) {
        guard let dtls, connectionState != .closed else {
            counters.notReadyDropped &+= 1
            return
        }
        lastDTLSPair = pair
        if !dtlsStarted {
            dtlsStarted = true
            dtls.start(now: now)
        }
        dtls.handleDatagram(payload, now: now)
    }

    func receiveSRTP(_ payload: ArraySlice<UInt8>, now: Instant) {
        guard let srtpReceive else {
            counters.notReadyDropped &+= 1
            return
        }
        var plain = [UInt8]()
        do {
            try srtpReceive.unprotectRTP(payload, into: &plain)
        } catch {
            counters.srtpDropped &+= 1
            return
        }
        guard let packet = try? RTPPacket(parsing: plain) else {
            counters.malformedDropped &+= 1
            return
        }
        receiveRTP(packet, now: now)
    }

    func receiveRTP(_ packet: RTPPacket, now: Instant) {
        let midID = negotiatedMedia.lazy.compactMap(\.midID).first
        let mid = midID.flatMap { packet.headerExtension?.element(id: $0) }.map { String(decoding: $0, as: UTF8.self) }
        guard let kind = demux.route(ssrc: packet.ssrc, payloadType: packet.payloadType, mid: mid),
              let media = negotiatedMedia.first(where: { $0.kind == kind && $0.receives }),
              let codec = media.receivePayloadTypes[packet.payloadType],
              receivers[packet.ssrc].map({ $0.codec == codec }) ?? true  // one codec per stream (its clock)
        else {
            counters.unknownSSRCDropped &+= 1
            return
        }
        if let id = media.transportWideCCID, let e = packet.headerExtension?.element(id: id), e.count >= 2 {
            let seq = UInt16(e[e.startIndex]) << 8 | UInt16(e[e.startIndex + 1])
            transportFeedback?.record(sequenceNumber: seq, arrival: now)
        }
        if receivers[packet.ssrc] == nil {
            guard receivers.count < 16, let stream = makeReceiveStream(ssrc: packet.ssrc, media: media, codec: codec) else {
                counters.unknownSSRCDropped &+= 1
                return
            }
            receivers[packet.ssrc] = ReceiveSlot(kind: kind, codec: codec, stream: stream)
            receiverOrder.append(packet.ssrc)
            if nextReceiverReport == nil { nextReceiverReport = now + configuration.receiverReportInterval }
        }
        receivers[packet.ssrc]?.stream.handlePacket(packet, now: now)
    }

    /// The codec the peer sends `kind` in (its first stream of that kind), once a packet of it arrived.
    public func receiveCodec(_ kind: RTPSendMedia) -> RingletCodec? {
        receiverOrder.lazy.compactMap { self.receivers[$0] }.first { $0.kind == kind }?.codec
    }

    func makeReceiveStream(ssrc: UInt32, media: NegotiatedMedia, codec: RingletCodec) -> RTPReceiveStream? {
        var c = media.kind == .video ? configuration.videoReceive : configuration.audioReceive
        switch codec {
        case .h264: c.format = .h264
        case .h265: c.format = .h265
        case .opus: c.format = .opus
        case .pcmu, .pcma: c.format = .g711
        }
        if media.kind == .video { c.nackEnabled = c.nackEnabled && media.nack }
        return try? RTPReceiveStream(ssrc: ssrc, feedbackSSRC: localSSRC(media.kind), configuration: c)
    }

    func localSSRC(_ kind: RTPSendMedia) -> UInt32 { kind == .audio ? audioSSRC : videoSSRC }

    func receiveSRTCP(_ payload: ArraySlice<UInt8>, now: Instant) {
        guard let srtpReceive else {
            counters.notReadyDropped &+= 1
            return
        }
        var plain = [UInt8]()
        do {
            try srtpReceive.unprotectRTCP(payload, into: &plain)
        } catch {
            counters.srtpDropped &+= 1
            return
        }
        guard let compound = try? RTCPCompoundPacket(parsing: plain) else {
            counters.malformedDropped &+= 1
            return
        }
        for packet in compound.packets {
            if case .senderReport(let sr) = packet { receivers[sr.ssrc]?.stream.handleSenderReport(sr, now: now) }
        }
        sender?.handle(compound: compound, now: now)
    }
}

import RingletCore
import RingletICE
import RingletRTP
import RingletSDP

extension PeerConnection {
    /// Sends one H.264 access unit (Annex B) through the pacer, SRTP and the selected pair.
    /// - Parameters:
    ///   - frame: the access unit with start codes (SPS/PPS/IDR for a keyframe).
    ///   - ptsMilliseconds: its presentation time.
    ///   - isKeyframe: whether it is an IDR; the first frame must be one.
    /// - Throws: `notConnected` before ``PeerConnectionEvent/readyToSend``; `noSuchMedia` when video is not sent;
    ///   `invalidConfiguration` (with the send session's ``RTPError`` as `underlying`) when the negotiated media
    ///   could not be set up for sending; `firstFrameNotKeyframe`; `invalidFrame`.
    public func sendVideo(frame: [UInt8], ptsMilliseconds: Int64, isKeyframe: Bool, now: Instant) throws(EngineError) {
        try send(frame: frame, media: .video, ptsMilliseconds: ptsMilliseconds, isKeyframe: isKeyframe, now: now)
    }

    /// Sends one audio frame (an Opus packet, or G.711 samples) through SRTP and the selected pair.
    /// - Throws: as ``sendVideo(frame:ptsMilliseconds:isKeyframe:now:)``.
    public func sendAudio(frame: [UInt8], ptsMilliseconds: Int64, now: Instant) throws(EngineError) {
        try send(frame: frame, media: .audio, ptsMilliseconds: ptsMilliseconds, isKeyframe: false, now: now)
    }

    func send(frame: [UInt8], media: RTPSendMedia, ptsMilliseconds: Int64, isKeyframe: Bool, now: Instant)
        throws(EngineError)
    {
        let field = media == .video ? "sendVideo" : "sendAudio"
        guard connectionState != .closed, srtpSend != nil else {
            throw EngineError(.notConnected, field: field, "DTLS is not connected; wait for readyToSend")
        }
        if let senderFailure { throw senderFailure }
        guard sender != nil, negotiatedMedia.contains(where: { $0.kind == media && $0.sends }) else {
            throw EngineError(.noSuchMedia, field: field, "no \(media) stream is negotiated for sending")
        }
        do {
            try sender?.send(frame: frame[...], media: media, ptsMilliseconds: ptsMilliseconds,
                             isKeyframe: isKeyframe, now: now)
        } catch {
            let code: EngineError.Code = error.code == .firstFrameNotKeyframe ? .firstFrameNotKeyframe : .invalidFrame
            throw EngineError(code, field: field, error.message, underlying: error)
        }
        pump(now: now)
    }

    /// Asks the peer for a keyframe (PLI, RFC 4585 §6.3.1) on every video stream it sends us — e.g. when the
    /// application starts showing video that was already flowing. Throttled like the receive side's own requests.
    public func requestKeyframe(now: Instant) {
        for ssrc in receiverOrder where receivers[ssrc]?.kind == .video {
            receivers[ssrc]?.stream.requestKeyframe(now: now)
        }
        pump(now: now)
    }

    /// Sets up (once) the send session and (each negotiation) the receive demultiplexer from the result.
    func configureMedia(_ media: [NegotiatedMedia], now: Instant) {
        negotiatedMedia = media
        for m in media where m.receives {
            for ssrc in m.remoteSSRCs { demux.register(ssrc: ssrc, for: m.kind) }
            if let mid = m.mid { demux.register(mid: mid, for: m.kind) }
            for pt in m.receivePayloadTypes.keys.sorted() { demux.register(payloadType: pt, for: m.kind) }
        }
        if transportFeedback == nil, media.contains(where: { $0.receives && $0.transportCC && $0.transportWideCCID != nil }) {
            transportFeedback = TransportFeedbackGenerator(interval: configuration.transportFeedbackInterval)
        }
        guard sender == nil else { return }
        var c = configuration.send
        c.audio = nil
        c.video = nil
        for m in media where m.sends {
            let codec: RTPSendStream.Codec
            switch m.codec {
            case .h264: codec = .h264
            case .h265: codec = .h265
            case .opus: codec = .opus
            case .pcmu: codec = .g711(.muLaw)
            case .pcma: codec = .g711(.aLaw)
            }
            let ext = RTPSendHeaderExtensions(
                transportWideSequenceNumberID: m.transportCC ? m.transportWideCCID : nil,
                absSendTimeID: m.absSendTimeID, midID: m.midID, mid: m.mid)
            let stream = RTPSendStream.Configuration(codec: codec, payloadType: m.payloadType, headerExtensions: ext,
                                                     ssrc: localSSRC(m.kind))
            if m.kind == .audio { c.audio = stream } else { c.video = stream }
        }
        guard c.audio != nil || c.video != nil else { return }
        do {
            sender = try RTPSendSession(configuration: c, ntpOffset: configuration.ntpOffset, using: &rng)
        } catch {
            senderFailure = EngineError(.invalidConfiguration, field: "send", error.message, underlying: error)
        }
    }

    /// Ends the connection (W3C `close()`): DTLS close_notify, TURN deallocation (Refresh with LIFETIME 0),
    /// ICE closed. TURN answers are still taken afterwards; everything else is dropped.
    public func close(now: Instant) {
        guard connectionState != .closed else { return }
        if dtlsStarted { dtls?.close(now: now) }
        _ = drainDTLS(now: now)
        for i in turn.indices { turn[i].client.close(now: now) }
        ice?.close(now: now)
        _ = drainICE(now: now)
        _ = drainTURN(now: now)
        sender = nil
        connectionState = .closed
        emit(.connectionStateChanged(.closed))
    }
}

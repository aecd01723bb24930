import NIOCore
import RingletCall
import RingletCore
import RingletEngine
import RingletRTP
import RingletSDP
import RingletSignaling

extension DeviceRuntime {
    // MARK: Sessions

    /// Keeps the call's resolved ICE servers until its media starts.
    func stashICEServers(_ set: ICEServerSet, for callId: String) {
        resolvedICE = (callId, set)
    }

    func startMedia(callId: String, offer: Bool) {
        guard let certificate, let call = machine.call, call.id == callId else { return }
        media?.close()
        let slot = CallMediaSlot(callId: callId, logger: logger)
        media = slot
        link = .none
        highWatermark = false
        videoFramesSent = 0
        audioFramesSent = 0
        let ice: ICEServerSet
        if let (id, set) = resolvedICE, id == callId { ice = set } else { ice = welcomeICE ?? ICEServerSet() }
        resolvedICE = nil
        if !ice.skipped.isEmpty { logger.info("ICE servers left out", metadata: ["skipped": "\(ice.skipped)"]) }
        var settings = CallMediaSession.Settings(
            certificate: certificate,
            hostAddresses: configuration.hostAddresses ?? LocalInterfaces.addresses(forServer: serverHost))
        settings.iceTransportPolicy = configuration.iceTransportPolicy
        settings.audio = .init(codecs: configuration.audioCodecs.compactMap(\.codec))
        settings.video = call.kind == .video ? .init(codecs: [.h264]) : nil
        settings.consentLossTimeout = configuration.consentLossTimeout
        settings.watermarks = watermarks
        settings.tlsConfiguration = configuration.tlsConfiguration
        let send = sendSignal
        CallMediaSession.start(callId: callId, settings: settings, iceServers: ice, driver: driver,
                               ntpOffset: ntpOffset, sendSignal: { _ = send($0) }) { [weak self] result in
            guard let self else { return }
            switch result {
            case .failure(let error):
                logger.error("media session failed to start", metadata: ["error": "\(error)"])
                if media === slot, !slot.isClosed {
                    machine.mediaLost(callId: callId)
                    drainMachine()
                }
            case .success(let session):
                // Events of this slot's session only: after a media restart (early video answered on another
                // page) the old session's closing must not count as the new media's loss.
                session.onEvent = { [weak self, weak slot] in
                    guard let self, let slot, media === slot else { return }
                    mediaEvent($0, callId: callId)
                }
                guard media === slot, slot.attach(session) else { return }
                if offer {
                    do {
                        try session.offer()
                    } catch {
                        logger.error("offer failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    func stopMedia(callId: String) {
        guard let slot = media, slot.callId == callId else { return }
        media = nil
        highWatermark = false
        slot.close()
    }

    func routeToMedia(_ message: ServerMessage, callId: String) {
        guard let slot = media, slot.callId == callId else { return }
        slot.deliver(message)
    }

    // MARK: Engine events (inside the driver: no session calls here)

    func mediaEvent(_ event: PeerConnectionEvent, callId: String) {
        guard let slot = media, slot.callId == callId, !slot.isClosed, let session = slot.session else { return }
        switch event {
        case .readyToSend:
            machine.mediaReady(callId: callId)
        case .selectedPath(let p):
            link = p.relayed ? .relayed : .direct
            machine.pathSelected(callId: callId, address: p.remoteAddress.ip.description)
        case .connectionStateChanged(let s):
            if s == .disconnected || s == .failed { machine.mediaLost(callId: callId) }
        case .videoFrame(let f):
            let info = ReceivedStreamInfo(kind: .video, audio: nil, video: .h264, sampleRate: 0, samplesPerFrame: 0)
            machine.frameReceived(callId: callId, kind: .video, data: f.data, ptsMilliseconds: f.presentationTimeMilliseconds,
                                  isKeyframe: f.isKeyframe, info: info)
        case .audioFrame(let f):
            let codec = session.peer.pc.negotiatedMedia.first { $0.kind == .audio }?.codec
            let encoding = codec.flatMap(AudioEncoding.init)
            let info = ReceivedStreamInfo(kind: .audio, audio: encoding, video: nil,
                                          sampleRate: codec == .opus ? 48000 : 8000, samplesPerFrame: f.sampleCount)
            machine.frameReceived(callId: callId, kind: .audio, data: f.data, ptsMilliseconds: f.presentationTimeMilliseconds,
                                  isKeyframe: false, info: info)
        case .keyframeRequested:
            machine.keyframeRequested(callId: callId)
        case .watermark(let mark, let rising, _):
            watermark(mark, rising: rising)
        case .localCandidate, .gatheringComplete, .iceConnectionStateChanged, .framesDropped:
            break
        }
        drainMachine()
    }

    /// The seed's marks: above warn → WARN, above high → HIGH (sends refused), back below low → LOW (resume).
    private func watermark(_ mark: RTPSendWatermark, rising: Bool) {
        let ctx = machine.streamContext
        switch (mark, rising) {
        case (.high, true):
            highWatermark = true
            emitEvent(.notification(.watermarkHigh, ctx))
        case (.warn, true):
            emitEvent(.notification(.watermarkWarn, ctx))
        case (.low, false):
            highWatermark = false
            emitEvent(.notification(.watermarkLow, ctx))
        default:
            break
        }
    }

    // MARK: Sending

    /// Sends one frame of the current stream.
    func send(_ kind: StreamKind, data: [UInt8], ptsMilliseconds: Int64, isKeyframe: Bool) throws(DeviceError) {
        guard let ctx = machine.streamContext, let slot = media, slot.callId == ctx.callId, !slot.isClosed,
              let session = slot.session else { throw DeviceError(.noStream, "no stream is started") }
        guard !data.isEmpty else { throw DeviceError(.invalidFrame, "the frame is empty") }
        // Early video: sound waits for the answer (the person only sees who is there before answering).
        if kind == .audio, machine.isEarlyStreaming { return }
        guard data.count <= maximumFrameSize else {
            throw DeviceError(.frameTooLarge, "the frame is \(data.count) bytes, over \(maximumFrameSize)")
        }
        let negotiated = session.peer.pc.negotiatedMedia.first { $0.kind == (kind == .video ? .video : .audio) && $0.sends }
        guard let negotiated else { throw DeviceError(.noStream, "the call sends no \(kind)") }
        switch kind {
        case .video:
            guard sendFormat.video == .h264 else {
                throw DeviceError(.formatMismatch, "the stream was declared \(sendFormat.video); the call carries H264")
            }
            guard Self.looksLikeH264AnnexB(data) else {
                throw DeviceError(.formatMismatch, "the frame is not an H.264 Annex B access unit")
            }
        case .audio:
            guard let carried = AudioEncoding(negotiated.codec), carried == sendFormat.audio else {
                throw DeviceError(.formatMismatch,
                                  "the stream was declared \(sendFormat.audio); the call carries \(negotiated.codec)")
            }
        }
        guard !highWatermark else {
            throw DeviceError(.sendBufferFull, "the send queue is above the high watermark")
        }
        do {
            try session.run { pc, now in
                if kind == .video {
                    try pc.sendVideo(frame: data, ptsMilliseconds: ptsMilliseconds, isKeyframe: isKeyframe, now: now)
                } else {
                    try pc.sendAudio(frame: data, ptsMilliseconds: ptsMilliseconds, now: now)
                }
            }
        } catch let error as EngineError {
            switch error.code {
            case .firstFrameNotKeyframe: throw DeviceError(.needKeyframe, "the first video frame must be an IDR")
            case .notConnected, .noSuchMedia: throw DeviceError(.noStream, error.message)
            default: throw DeviceError(.invalidFrame, error.message)
            }
        } catch {
            throw DeviceError(.noStream, "\(error)")
        }
        if kind == .video { videoFramesSent += 1 } else { audioFramesSent += 1 }
    }

    /// Whether `data` starts with an Annex B start code followed by an H.264 NAL unit header (types 1–23; an
    /// H.265 stream's first NAL reads as type 0 or > 23 here).
    static func looksLikeH264AnnexB(_ data: [UInt8]) -> Bool {
        var i = 0
        while i < data.count, i < 4, data[i] == 0 { i += 1 }
        guard i >= 2, i < data.count, data[i] == 1, i + 1 < data.count else { return false }
        let header = data[i + 1]
        let type = header & 0x1F
        return header & 0x80 == 0 && type >= 1 && type <= 23
    }

    func sendStatus() -> SendStatus? {
        guard machine.streamContext != nil, let slot = media, !slot.isClosed, let session = slot.session,
              let s = session.peer.pc.statistics(now: now).send else { return nil }
        // The seed's ave_sent_rate is what the peer acknowledged over the last second; without transport-wide
        // feedback (nothing acknowledged) the send rate stands in.
        return SendStatus(instantaneousRate: s.sendRate,
                          averageRate: s.acknowledgedBytes > 0 ? s.acknowledgedRate : s.sendRate,
                          acknowledgedBytes: s.acknowledgedBytes, link: link, queuedBytes: s.queueBytes,
                          videoFramesSent: videoFramesSent, audioFramesSent: audioFramesSent)
    }
}

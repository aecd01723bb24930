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
        videoFramesSent = 0
        audioFramesSent = 0
        framesDropped = 0
        let ice: ICEServerSet
        if let (id, set) = resolvedICE, id == callId { ice = set } else { ice = welcomeICE ?? ICEServerSet() }
        resolvedICE = nil
        if !ice.skipped.isEmpty { logger.info("ICE servers left out", metadata: ["skipped": "\(ice.skipped)"]) }
        var settings = CallMediaSession.Settings(
            certificate: certificate,
            hostAddresses: configuration.hostAddresses ?? LocalInterfaces.addresses(forServer: serverHost))
        settings.iceTransportPolicy = configuration.iceTransportPolicy
        settings.audio = .init(codecs: audioCodecs.compactMap(\.codec))
        settings.video = call.kind == .video ? .init(codecs: videoCodecs.compactMap(\.codec)) : nil
        settings.consentLossTimeout = configuration.consentLossTimeout
        settings.watermarks = watermarks
        settings.tlsConfiguration = configuration.tlsConfiguration
        CallMediaSession.start(callId: callId, settings: settings, iceServers: ice, driver: driver,
                               ntpOffset: ntpOffset, sendSignal: { [weak self] in _ = self?.sendSignal($0) }) { [weak self] result in
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
        statusTimer?.cancel()
        statusTimer = nil
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
            machine.mediaReady(callId: callId, format: Self.format(of: session.peer.pc.negotiatedMedia))
        case .selectedPath(let p):
            machine.pathSelected(callId: callId, address: p.remoteAddress.ip.description)
        case .connectionStateChanged(let s):
            if s == .disconnected || s == .failed { machine.mediaLost(callId: callId) }
        case .videoFrame(let f):
            let codec = session.peer.pc.receiveCodec(.video) ?? session.peer.pc.negotiatedMedia.first { $0.kind == .video }?.codec
            let info = ReceivedStreamInfo(kind: .video, audio: nil, video: codec.flatMap(VideoEncoding.init) ?? .h264,
                                          sampleRate: 0, samplesPerFrame: 0)
            machine.frameReceived(callId: callId, kind: .video, data: f.data, ptsMilliseconds: f.presentationTimeMilliseconds,
                                  isKeyframe: f.isKeyframe, info: info)
        case .audioFrame(let f):
            // What the peer sends in (it may be another of the offered codecs than the one it receives, RFC 3264).
            let codec = session.peer.pc.receiveCodec(.audio) ?? session.peer.pc.negotiatedMedia.first { $0.kind == .audio }?.codec
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
            gate.publish { $0.aboveHighMark = true }
            emitEvent(.notification(.watermarkHigh, ctx))
        case (.warn, true):
            emitEvent(.notification(.watermarkWarn, ctx))
        case (.low, false):
            gate.publish { $0.aboveHighMark = false }
            emitEvent(.notification(.watermarkLow, ctx))
        default:
            break
        }
    }

    /// What the device sends in a call that negotiated `media`.
    static func format(of media: [NegotiatedMedia]) -> StreamFormat {
        let audio = media.first { $0.kind == .audio && $0.sends }.flatMap { AudioEncoding($0.codec) }
        let video = media.first { $0.kind == .video && $0.sends }.flatMap { VideoEncoding($0.codec) }
        return StreamFormat(audio: audio, video: video)
    }

    // MARK: The declared format

    /// A stream started: what it negotiated is what it sends until the application declares otherwise (the
    /// gate took that over when the stream was published); its status is published every 200 ms.
    func streamStarted() {
        mismatchReported = false
        if let f = machine.call?.format, f.audio == nil { logger.warning("the peer took none of \(audioCodecs)") }
        publishStatus()
    }

    /// The application declared a format other than the negotiated one for stream `epoch`: frames of it are
    /// refused (-308). Say so once, with what to change.
    func declaredMismatch(_ format: SendFormat, epoch: UInt64) {
        guard epoch == streamEpoch, let ctx = machine.streamContext, let negotiated = machine.call?.format,
              !mismatchReported else { return }
        var wrong: [String] = []
        if let audio = negotiated.audio, audio != format.audio {
            wrong.append("audio \(format.audio) declared, \(audio) negotiated")
        }
        if let video = negotiated.video, video != format.video {
            wrong.append("video \(format.video) declared, \(video) negotiated")
        }
        guard !wrong.isEmpty else { return }
        mismatchReported = true
        logger.error("""
            the stream's declared format is not the negotiated one (\(wrong.joined(separator: "; "))): those frames \
            will be refused (-308). Send what was negotiated (onGetAvEncInfo's argument), or declare only what you \
            can send before the call (AvtInitInfo.sendAudioTypes, DeviceConfiguration.audioCodecs)
            """)
        emitEvent(.notification(.formatMismatch, ctx))
    }

    // MARK: Sending

    /// Sends the frames the application queued (``SendGate``), those of the current stream, in order. The gate
    /// checked them; what the engine still refuses (a frame with no NAL unit in it) is counted and logged once
    /// per stream.
    func drainSendQueue() {
        let frames = gate.take()
        guard !frames.isEmpty else { return }
        guard machine.streamContext != nil, let slot = media, !slot.isClosed, let session = slot.session else { return }
        for f in frames where f.epoch == streamEpoch {
            do {
                try session.run { pc, now in
                    if f.kind == .video {
                        try pc.sendVideo(frame: f.data, ptsMilliseconds: f.ptsMilliseconds, isKeyframe: f.isKeyframe, now: now)
                    } else {
                        try pc.sendAudio(frame: f.data, ptsMilliseconds: f.ptsMilliseconds, now: now)
                    }
                }
                if f.kind == .video { videoFramesSent += 1 } else { audioFramesSent += 1 }
            } catch {
                framesDropped += 1
                if framesDropped == 1 {
                    let cause = (error as? EngineError).map(DeviceError.Cause.engine)
                    let e = DeviceError(.invalidFrame, "a \(f.kind) frame the engine could not send", cause: cause)
                    logger.warning("frame dropped", metadata: ["error": "\(e)"])
                }
            }
        }
        publishStatus()
    }

    /// Publishes the send side of the stream (what `getSendStreamStatus` and `getSendStreamBuf` read): after
    /// each batch of frames sent, and every 200 ms while the stream runs.
    func publishStatus() {
        let status = sendStatus()
        gate.publish { $0.sendStatus = status }
        statusTimer?.cancel()
        statusTimer = status == nil ? nil : loop.assumeIsolated().scheduleTask(in: .milliseconds(200)) { [weak self] in
            self?.publishStatus()
        }
    }

    func sendStatus() -> SendStatus? {
        guard machine.streamContext != nil, let slot = media, !slot.isClosed, let session = slot.session,
              case let stats = session.peer.pc.statistics(now: now), let s = stats.send else { return nil }
        // Direct or relayed: the pair ICE uses now (not the last path event seen, which a loaded loop may have
        // delivered to a session not attached yet).
        let link: LinkMode = stats.selectedPair.map {
            $0.local.kind == .relayed || $0.remote.kind == .relayed ? .relayed : .direct
        } ?? .none
        // The seed's ave_sent_rate is what the peer acknowledged over the last second; without transport-wide
        // feedback (nothing acknowledged) the send rate stands in.
        return SendStatus(instantaneousRate: s.sendRate,
                          averageRate: s.acknowledgedBytes > 0 ? s.acknowledgedRate : s.sendRate,
                          acknowledgedBytes: s.acknowledgedBytes, link: link, queuedBytes: s.queueBytes,
                          videoFramesSent: videoFramesSent, audioFramesSent: audioFramesSent)
    }
}

import RingletCore

/// The sending half of an RTP session (RFC 3550), sans-IO: packetization, pacing, retransmission on NACK,
/// keyframe requests, sender reports and the send-rate estimate. SRTP protection happens after it.
///
/// Drain contract: after every input (`send(frame:…)`, `handle(rtcp:now:)`, `handleTimeout(now:)`), call
/// ``pollOutput()`` until it returns nil, sending each ``Output/rtp(_:)`` packet at once, then arm a timer for
/// ``pollTimeout()`` and call ``handleTimeout(now:)`` when it passes. Time is whatever `Instant` the caller
/// passes; the NTP clock of sender reports and abs-send-time is that instant plus ``ntpOffset``.
///
/// ```
///  frame ──▶ RTPSendStream ──▶ pacer ──────────────▶ Output.rtp ──▶ (engine: SRTP, socket)
///            (packetizer)      audio > rtx > video        │
///                                 ▲                        ▼
///  NACK ──▶ retransmission buffer ┘              retransmission buffer, TWCC history
///  PLI/FIR ──▶ Output.event(.keyframeRequested)
///  RR/SR blocks ──▶ loss, jitter, RTT      REMB / TWCC ──▶ estimate ──▶ pacer rate
///  timer ──▶ Output.rtcp(SR) every 1 s (video) / 5 s (audio)
/// ```
public struct RTPSendSession: Sendable {
    struct StreamState: Sendable {
        var stream: RTPSendStream
        var retransmission: RTPRetransmissionBuffer
        var stats: RTPSendStreamStatistics
        var reportInterval: Duration
        var nextReport: Instant?
        var lastKeyframeRequest: Instant?
        var lastFIRSequence: UInt8?
    }

    /// The validated configuration.
    public let configuration: Configuration
    /// NTP time (seconds since 1900, RFC 5905) at `Instant.zero`: the wall clock the engine reads once and
    /// passes in (and may update).
    public var ntpOffset: Duration
    var audio: StreamState?
    var video: StreamState?
    var pacer: RTPPacer
    var estimator: SendBandwidthEstimator
    var outputs = FIFOQueue<Output>()
    private var scratch: [RTPSendPacket] = []
    private var transportSequence: UInt16 = 1
    private var sent = SendRateWindow()
    private var retransmitted = 0
    var rttEstimate: Duration?
    private var pacerWake: Instant?
    let usesTransportFeedback: Bool

    /// Makes a send session; SSRCs, initial sequence numbers and timestamp offsets come from `rng`.
    /// - Parameter ntpOffset: NTP time at `Instant.zero` (see ``ntpOffset``).
    /// - Throws: ``RTPError`` `.invalidConfiguration` when a setting is out of range.
    public init(configuration: Configuration, ntpOffset: Duration = .zero,
                using rng: inout some RandomNumberGenerator) throws(RTPError) {
        try configuration.validate()
        self.configuration = configuration
        self.ntpOffset = ntpOffset
        func state(_ c: RTPSendStream.Configuration, interval: Duration) throws(RTPError) -> StreamState {
            let stream = try RTPSendStream(configuration: c, using: &rng)
            return StreamState(stream: stream,
                               retransmission: RTPRetransmissionBuffer(capacity: configuration.retransmissionCapacity,
                                                                       maxAge: configuration.retransmissionMaxAge),
                               stats: RTPSendStreamStatistics(ssrc: stream.ssrc), reportInterval: interval)
        }
        if let a = configuration.audio { audio = try state(a, interval: configuration.audioReportInterval) }
        if var v = configuration.video {
            if let a = audio, v.ssrc == nil {
                // Draw until distinct from the audio SSRC (RFC 3550 §8.1).
                var s = UInt32(truncatingIfNeeded: rng.next())
                while s == a.stream.ssrc { s = UInt32(truncatingIfNeeded: rng.next()) }
                v.ssrc = s
            }
            video = try state(v, interval: configuration.videoReportInterval)
        }
        usesTransportFeedback = audio?.stream.headerExtensions.transportWideSequenceNumberID != nil
            || video?.stream.headerExtensions.transportWideSequenceNumberID != nil
        estimator = SendBandwidthEstimator(initial: Double(configuration.initialBitrate),
                                           bounds: .init(minimum: Double(configuration.minimumBitrate),
                                                         maximum: Double(configuration.maximumBitrate)))
        pacer = RTPPacer(limits: .init(burstInterval: configuration.burstInterval, low: configuration.lowWatermark,
                                       warn: configuration.warnWatermark, high: configuration.highWatermark,
                                       maxQueueBytes: configuration.maxQueueBytes),
                         bytesPerSecond: estimator.estimate * configuration.pacingFactor / 8)
    }

    /// The audio stream (its SSRC, payload type, clock), if configured.
    public var audioStream: RTPSendStream? { audio?.stream }
    /// The video stream, if configured.
    public var videoStream: RTPSendStream? { video?.stream }

    /// Packetizes one encoded frame and queues its packets in the pacer; packets whose time has come are ready
    /// from ``pollOutput()`` at once.
    ///
    /// - Parameters:
    ///   - frame: an Annex B access unit (video), an Opus packet or G.711 samples (audio).
    ///   - ptsMilliseconds: presentation time; the RTP timestamp is the stream's offset plus its ticks.
    ///   - isKeyframe: whether a video frame is an IDR/IRAP picture (ignored for audio).
    /// - Throws: ``RTPError`` `.noSuchStream` when `media` is not configured; `.firstFrameNotKeyframe` when the
    ///   first video frame is not a keyframe; `.invalidFrame` when the payload format refuses the frame.
    public mutating func send(frame: ArraySlice<UInt8>, media: RTPSendMedia, ptsMilliseconds: Int64,
                              isKeyframe: Bool, now: Instant) throws(RTPError) {
        scratch.removeAll(keepingCapacity: true)
        switch media {
        case .audio:
            guard audio != nil else { throw RTPError(.noSuchStream, field: "media", "no audio stream is configured") }
            try audio?.stream.packetize(frame: frame, ptsMilliseconds: ptsMilliseconds, isKeyframe: isKeyframe,
                                        now: now, into: &scratch)
        case .video:
            guard video != nil else { throw RTPError(.noSuchStream, field: "media", "no video stream is configured") }
            try video?.stream.packetize(frame: frame, ptsMilliseconds: ptsMilliseconds, isKeyframe: isKeyframe,
                                        now: now, into: &scratch)
        }
        let dropped = pacer.enqueue(frame: scratch)
        if dropped > 0 {
            outputs.append(.event(.framesDropped(count: dropped)))
            if let ssrc = video?.stream.ssrc { requestKeyframeIfVideo(ssrc: ssrc, now: now) }
        }
        process(now: now)
    }

    /// Takes every packet of a received compound RTCP packet. See ``handle(rtcp:now:)``.
    public mutating func handle(compound: RTCPCompoundPacket, now: Instant) {
        for packet in compound.packets { take(packet, now: now) }
        process(now: now)
    }

    /// Takes one received RTCP packet: report blocks about our SSRCs (loss, jitter, RTT), generic NACK
    /// (retransmission), PLI and FIR (keyframe request), REMB (rate cap) and transport-wide feedback
    /// (estimate). Packets about other SSRCs are ignored.
    public mutating func handle(rtcp packet: RTCPPacket, now: Instant) {
        take(packet, now: now)
        process(now: now)
    }

    /// Releases paced packets and sends due sender reports; call when ``pollTimeout()`` passes.
    public mutating func handleTimeout(now: Instant) {
        process(now: now)
    }

    /// The next thing to do, or nil when everything has been drained.
    public mutating func pollOutput() -> Output? { outputs.popFirst() }

    /// When to call ``handleTimeout(now:)`` next: the pacer's next release or the next sender report, or nil
    /// when nothing is pending.
    public func pollTimeout() -> Instant? {
        var times: [Instant] = []
        if let pacerWake { times.append(pacerWake) }
        if let t = audio?.nextReport { times.append(t) }
        if let t = video?.nextReport { times.append(t) }
        return times.min()
    }

    /// Counters, rates and the peer's reports at `now`.
    public mutating func statistics(now: Instant) -> RTPSendStatistics {
        var acked = estimator.acked
        return RTPSendStatistics(
            sentBytes: sent.total, sendRate: sent.rate(at: now), averageSendRate: sent.average(at: now),
            acknowledgedBytes: acked.total, acknowledgedRate: acked.rate(at: now),
            estimatedBitrate: Int64(estimator.estimate), roundTripTime: rttEstimate,
            lossFraction: estimator.lossFraction, delaySignal: estimator.signal,
            queueBytes: pacer.queueBytes, queuePackets: pacer.queuePackets, droppedFrames: pacer.droppedFrames,
            retransmittedPackets: retransmitted, audio: audio?.stats, video: video?.stats)
    }

    /// Packets held for retransmission (audio and video), for memory checks.
    var retransmissionBufferCount: Int { (audio?.retransmission.count ?? 0) + (video?.retransmission.count ?? 0) }

    // MARK: - Processing

    private mutating func process(now: Instant) {
        while let p = pacer.pop(now: now) { transmit(p, now: now) }
        for (mark, rising) in pacer.takeCrossings() {
            outputs.append(.event(.watermark(mark, rising: rising, queueBytes: pacer.queueBytes)))
        }
        if let sr = audio?.dueReport(now: now, ntpOffset: ntpOffset) { outputs.append(.rtcp(sr)) }
        if let sr = video?.dueReport(now: now, ntpOffset: ntpOffset) { outputs.append(.rtcp(sr)) }
        audio?.retransmission.prune(now: now)
        video?.retransmission.prune(now: now)
        pacerWake = pacer.nextWakeUp(now: now)
    }

    private mutating func transmit(_ p: RTPSendPacket, now: Instant) {
        let extensions = (p.media == .audio ? audio : video)?.stream.headerExtensions ?? .none
        let seq = transportSequence
        let ntp = SendNTP.timestamp(now, offset: ntpOffset)
        guard let packet = try? RTPPacket(marker: p.marker, payloadType: p.payloadType,
                                          sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, ssrc: p.ssrc,
                                          headerExtension: extensions.build(transportSequence: seq, ntp: ntp),
                                          payload: p.payload) else { return }
        if extensions.transportWideSequenceNumberID != nil {
            estimator.sent(transportSequence: seq, size: packet.encodedSize, at: now)
            transportSequence &+= 1
        }
        sent.add(packet.encodedSize, at: now)
        if p.isRetransmission { retransmitted += 1 }
        if p.media == .audio { audio?.count(p, now: now) } else { video?.count(p, now: now) }
        outputs.append(.rtp(packet))
    }

    /// Raises a keyframe request for the video stream, at most once per `keyframeRequestInterval`.
    mutating func requestKeyframeIfVideo(ssrc: UInt32, now: Instant) {
        guard let v = video, v.stream.ssrc == ssrc else { return }
        if let last = v.lastKeyframeRequest, now - last < configuration.keyframeRequestInterval { return }
        video?.lastKeyframeRequest = now
        outputs.append(.event(.keyframeRequested(ssrc: ssrc)))
    }
}

extension RTPSendSession {
    var videoSSRC: UInt32? { video?.stream.ssrc }

    var lastFIRSequence: UInt8? {
        get { video?.lastFIRSequence }
        set { video?.lastFIRSequence = newValue }
    }


    /// Gives the pacer the rate of the current estimate.
    mutating func applyEstimate(now: Instant) {
        pacer.setRate(bytesPerSecond: estimator.estimate * configuration.pacingFactor / 8, now: now)
    }

    /// The held packet `seq` of the stream `ssrc`, if it may be resent now.
    mutating func retransmissionPacket(ssrc: UInt32, seq: UInt16, now: Instant,
                                       interval: Duration) -> RTPSendPacket? {
        if ssrc == audio?.stream.ssrc {
            return audio?.retransmission.retransmission(of: seq, now: now, minInterval: interval)
        }
        if ssrc == video?.stream.ssrc {
            return video?.retransmission.retransmission(of: seq, now: now, minInterval: interval)
        }
        return nil
    }

    /// Puts a retransmission in the pacer, ahead of new video.
    mutating func queueRetransmission(_ p: RTPSendPacket) {
        _ = pacer.enqueue(retransmission: p)
    }
}

extension RTPSendSession.StreamState {
    /// Takes the loss, jitter and round-trip time of a report block about this stream (RFC 3550 §6.4.1).
    mutating func applyReport(_ block: RTCPReceptionReport, roundTripTime rtt: Duration?) {
        stats.fractionLost = Double(block.fractionLost) / 256
        stats.cumulativeLost = block.cumulativeLost
        stats.jitter = .nanoseconds(Int64(block.jitter) * 1_000_000_000 / Int64(stream.clock.rate))
        if let rtt { stats.roundTripTime = rtt }
    }

    /// Counts a transmitted packet and keeps a first transmission for retransmission.
    mutating func count(_ p: RTPSendPacket, now: Instant) {
        stats.packetCount &+= 1
        stats.octetCount &+= UInt32(truncatingIfNeeded: p.payload.count)
        if !p.isRetransmission { retransmission.store(p, sentAt: now) }
        if nextReport == nil { nextReport = now }
    }

    /// A sender report (RFC 3550 §6.4.1) when one is due: the NTP time of `now`, the RTP timestamp the stream's
    /// clock shows at `now`, and the packet and octet counts.
    mutating func dueReport(now: Instant, ntpOffset: Duration) -> RTCPPacket? {
        guard let due = nextReport, now >= due else { return nil }
        nextReport = now + reportInterval
        let ntp = SendNTP.timestamp(now, offset: ntpOffset)
        let rtp = stream.timestamp(at: now) ?? stream.timestampOffset
        return (try? RTCPSenderReport(ssrc: stream.ssrc, ntpTimestamp: ntp, rtpTimestamp: rtp,
                                      packetCount: stats.packetCount, octetCount: stats.octetCount))
            .map { .senderReport($0) }
    }
}

import RingletCore

/// The receiving half of an RTP session for one remote SSRC (sans-IO): sequence validation, reception
/// statistics for RTCP receiver reports, NACK-driven recovery, a bounded jitter buffer and frame assembly.
///
/// The engine unprotects SRTP, picks the stream (``RTPReceiveDemultiplexer``) and drives it:
/// ```
///  handlePacket(_:now:) ─┐                       ┌─► pollOutput(): .frame / .nack / .keyframeRequest
///  handleTimeout(now:) ──┼─► sequence (A.1) ─► jitter buffer ─► depacketizer ─► loss policy
///  handleSenderReport ───┘        │                  ▲
///                                  └─► NACK list ────┘ (skipped after maxDelay)
///  pollTimeout() → the next instant handleTimeout must be called (nil: none pending)
///  makeReceptionReport(now:) → an RR block (RFC 3550 §6.4.1), when the engine builds an RR or SR
/// ```
/// Drain contract: after every `handle…` call, call `pollOutput()` until it returns nil, then `pollTimeout()`
/// and call `handleTimeout(now:)` at (or after) that instant. Outputs keep their order.
///
/// Per packet: `received` (validated, RFC 3550 A.1) → buffered, or dropped as duplicate or late → released in
/// sequence order when its predecessors are present (after `playoutDelay`), or after `maxDelay` with the missing
/// ones skipped → depacketized. Video after a skip: frames are dropped until a keyframe and a PLI is output.
/// Nothing here traps on any packet: every index is bounded and every counter wraps or saturates.
public struct RTPReceiveStream: Sendable {
    /// The remote SSRC (media source).
    public let ssrc: UInt32
    /// The local SSRC that feedback is sent from (the NACK and PLI "packet sender").
    public let feedbackSSRC: UInt32
    /// The configuration, validated.
    public let configuration: Configuration

    private var tracker: RTPSequenceTracker
    private var jitter: RTPInterarrivalJitter
    private var buffer: RTPJitterBuffer
    private var nack: RTPNACKGenerator
    private var assembler: RTPFrameAssembler
    private var stats = RTPReceiveStatistics()
    private var events: [RTPFrameAssembler.Event] = []
    private var outputs = FIFOQueue<RTPReceiveOutput>()
    private var lastKeyframeRequest: Instant?
    private var videoLossPending = false
    private var ptsUnwrapper = RTPTimestampUnwrapper()
    private var ptsOffset: Int64 = 0
    private var lastDelivered: (pts: Int64, arrival: Instant)?
    private var lastSenderReport: (middle: UInt32, at: Instant)?
    /// The packet dropped as a jump: replayed if the next packet confirms a restart.
    private var jumpedPacket: (packet: RTPPacket, arrival: Instant)?

    /// Most sequence numbers in one NACK packet (keeps it well under an MTU).
    static let maxSequenceNumbersPerNACK = 128

    /// Makes a stream.
    /// - Parameters:
    ///   - ssrc: the remote source.
    ///   - feedbackSSRC: the local SSRC for NACK and PLI.
    ///   - configuration: buffering and recovery settings; see ``Configuration``.
    /// - Throws: ``RTPError`` `.invalidValue` when the configuration is out of range.
    public init(ssrc: UInt32, feedbackSSRC: UInt32, configuration: Configuration) throws(RTPError) {
        try configuration.validate()
        self.ssrc = ssrc
        self.feedbackSSRC = feedbackSSRC
        self.configuration = configuration
        tracker = RTPSequenceTracker(maxDropout: configuration.maxDropout, maxMisorder: configuration.maxMisorder)
        jitter = RTPInterarrivalJitter(clock: configuration.format.clock)
        buffer = RTPJitterBuffer(configuration: configuration)
        nack = RTPNACKGenerator(configuration: configuration)
        assembler = RTPFrameAssembler(format: configuration.format, video: configuration.depacketizer)
    }

    /// Counters since the stream was made, with the current jitter and buffer occupancy.
    public var statistics: RTPReceiveStatistics {
        var s = stats
        s.packetsLost = tracker.cumulativeLost
        s.jitter = jitter.value
        s.bufferedPackets = buffer.count
        s.bufferedBytes = buffer.bytes
        return s
    }

    /// Sets the round-trip time that spaces NACK retries (from the engine's RTCP RTT estimate).
    public mutating func setRoundTripTime(_ rtt: Duration) {
        nack.roundTripTime = max(.milliseconds(1), min(rtt, .seconds(10)))
    }

    /// Takes one RTP packet of this stream (already SRTP-unprotected) that arrived at `now`.
    public mutating func handlePacket(_ packet: RTPPacket, now: Instant) {
        let previousHighest = tracker.highestIndex
        let index: Int64
        var isNewHighest = false
        switch tracker.update(packet.sequenceNumber) {
        case .dropped:
            stats.invalidPackets += 1
            jumpedPacket = (packet, now)
            return
        case .restarted(let i):
            stats.restarts += 1
            restart(now: now)
            index = i
            if let jumped = jumpedPacket, jumped.packet.sequenceNumber == packet.sequenceNumber &- 1 {
                stats.invalidPackets -= 1
                stats.packetsReceived += 1
                stats.bytesReceived += jumped.packet.rawBytes.count
                jitter.update(timestamp: jumped.packet.timestamp, arrival: jumped.arrival)
                _ = buffer.insert(jumped.packet, index: i &- 1, arrival: jumped.arrival)
            }
            jumpedPacket = nil
        case .accepted(let i, let newHighest):
            jumpedPacket = nil
            index = i
            isNewHighest = newHighest
        }
        stats.packetsReceived += 1
        stats.bytesReceived += packet.rawBytes.count
        var giveUpBelow: Int64?
        if isNewHighest {
            jitter.update(timestamp: packet.timestamp, arrival: now)
            if configuration.nackEnabled, previousHighest >= 0,
               !nack.handleNewHighest(index, previous: previousHighest, now: now) {
                giveUpBelow = index
            }
        }
        makeRoom(for: index, size: packet.rawBytes.count, now: now)
        switch buffer.insert(packet, index: index, arrival: now) {
        case .inserted:
            if nack.handleArrival(index) == true { stats.packetsRecoveredByNACK += 1 }
        case .duplicate:
            stats.duplicates += 1
        case .late:
            stats.latePackets += 1
        }
        if let limit = giveUpBelow {
            while let head = buffer.head, head < limit, let step = buffer.next(now: now, forced: true) {
                process(step)
            }
        }
        advance(now: now)
    }

    /// Takes an RTCP sender report from this source, for the LSR and DLSR of later reception reports.
    public mutating func handleSenderReport(_ report: RTCPSenderReport, now: Instant) {
        guard report.ssrc == ssrc else { return }
        lastSenderReport = (UInt32(truncatingIfNeeded: report.ntpTimestamp >> 16), now)
    }

    /// Runs what fell due by `now`: skips after `maxDelay`, releases after `playoutDelay`, NACK retries.
    public mutating func handleTimeout(now: Instant) {
        advance(now: now)
    }

    /// The next output, oldest first; nil when there is none.
    public mutating func pollOutput() -> RTPReceiveOutput? { outputs.popFirst() }

    /// The instant by which `handleTimeout(now:)` must be called; nil when nothing waits.
    public mutating func pollTimeout() -> Instant? {
        let a = buffer.nextDeadline()
        let b = configuration.nackEnabled ? nack.nextDeadline : nil
        switch (a, b) {
        case let (x?, y?): return min(x, y)
        case let (x?, nil): return x
        case let (nil, y): return y
        }
    }

    /// A reception report block for this source (RFC 3550 §6.4.1, A.3, A.8); nil before the first packet.
    /// Each call starts a new interval for `fractionLost`.
    public mutating func makeReceptionReport(now: Instant) -> RTCPReceptionReport? {
        guard tracker.started else { return nil }
        let fraction = tracker.takeFractionLost()
        let lost = Int32(clamping: min(max(tracker.cumulativeLost, -0x80_0000), 0x7F_FFFF))
        var lsr: UInt32 = 0, dlsr: UInt32 = 0
        if let sr = lastSenderReport {
            lsr = sr.middle
            let ns = max(0, (now - sr.at).nanosecondsClamped)
            let units = (ns / 1_000_000_000) &* 65_536 &+ (ns % 1_000_000_000) &* 65_536 / 1_000_000_000
            dlsr = UInt32(clamping: units)
        }
        return try? RTCPReceptionReport(ssrc: ssrc, fractionLost: fraction, cumulativeLost: lost,
                                        extendedHighestSequenceNumber: UInt32(truncatingIfNeeded: tracker.extendedHighest),
                                        jitter: jitter.value, lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
    }

    // MARK: - Internals

    private mutating func restart(now: Instant) {
        buffer.reset()
        nack.clear()
        assembler.reset(into: &events)
        if let last = lastDelivered {
            ptsOffset = last.pts &+ max(1, (now - last.arrival).nanosecondsClamped / 1_000_000)
        }
        ptsUnwrapper = RTPTimestampUnwrapper()
    }

    private mutating func makeRoom(for index: Int64, size: Int, now: Instant) {
        var guardSteps = buffer.capacity &* 2 &+ 4
        while !buffer.hasRoom(for: index, size: size), guardSteps > 0 {
            guardSteps -= 1
            if buffer.count == 0 {
                if let skipped = buffer.jumpIfEmpty(to: index) { process(.skipped(skipped)) }
                return
            }
            guard let step = buffer.next(now: now, forced: true) else { return }
            process(step)
        }
    }

    private mutating func process(_ step: RTPJitterBuffer.Step) {
        switch step {
        case .packet(let slot):
            assembler.feed(slot.packet, arrival: slot.arrival, into: &events)
        case .skipped(let range):
            stats.packetsSkipped &+= Int(clamping: range.count)
            nack.removeAll(below: range.upperBound)
            assembler.handleLoss(into: &events)
        }
    }

    private mutating func advance(now: Instant) {
        while let step = buffer.next(now: now) { process(step) }
        if let head = buffer.head { nack.removeAll(below: head) }
        emitEvents(now: now)
        if configuration.nackEnabled { emitNACKs(now: now) }
    }

    private mutating func emitEvents(now: Instant) {
        for event in events {
            switch event {
            case .video(let f, let arrival):
                deliver(data: f.annexB, timestamp: f.timestamp, isKeyframe: f.isKeyframe, followsLoss: videoLossPending,
                        samples: 0, arrival: arrival)
                if f.isKeyframe {
                    videoLossPending = false
                    lastKeyframeRequest = nil
                }
            case .audio(let f, let arrival):
                deliver(data: f.data, timestamp: f.timestamp, isKeyframe: false, followsLoss: f.followsLoss,
                        samples: f.sampleCount, arrival: arrival)
            case .frameDropped:
                stats.framesDropped += 1
            case .keyframeNeeded:
                videoLossPending = true
                requestKeyframe(now: now)
            }
        }
        events.removeAll(keepingCapacity: true)
    }

    private mutating func deliver(data: [UInt8], timestamp: UInt32, isKeyframe: Bool, followsLoss: Bool, samples: Int,
                                  arrival: Instant) {
        let pts = ptsOffset &+ configuration.format.clock.milliseconds(ticks: ptsUnwrapper.unwrap(timestamp))
        lastDelivered = (pts, arrival)
        stats.framesDelivered += 1
        outputs.append(.frame(RTPReceivedFrame(data: data, rtpTimestamp: timestamp, presentationTimeMilliseconds: pts,
                                               isKeyframe: isKeyframe, followsLoss: followsLoss, sampleCount: samples,
                                               arrival: arrival)))
    }

    /// Asks the sender for a keyframe (a PLI, RFC 4585 §6.3.1, in the outputs), at most once per
    /// `keyframeRequestInterval`; nothing for audio.
    public mutating func requestKeyframe(now: Instant) {
        guard configuration.format.isVideo else { return }
        if let last = lastKeyframeRequest, now - last < configuration.keyframeRequestInterval { return }
        lastKeyframeRequest = now
        stats.keyframeRequests += 1
        outputs.append(.keyframeRequest(RTCPPictureLossIndication(senderSSRC: feedbackSSRC, mediaSSRC: ssrc)))
    }

    private mutating func emitNACKs(now: Instant) {
        let due = nack.takeDue(now: now)
        guard !due.isEmpty else { return }
        stats.nackedPackets &+= due.count
        var start = 0
        while start < due.count {
            let end = min(start + Self.maxSequenceNumbersPerNACK, due.count)
            if let packet = try? RTCPGenericNACK(senderSSRC: feedbackSSRC, mediaSSRC: ssrc,
                                                 lostSequenceNumbers: Array(due[start..<end])) {
                outputs.append(.nack(packet))
            }
            start = end
        }
    }
}

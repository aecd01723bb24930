import RingletCore

extension RTPSendSession {
    /// How long a packet must wait before it is retransmitted again: the RTT clamped to 10 ms–1 s, or 100 ms
    /// while no RTT is known.
    var retransmissionInterval: Duration {
        guard let rtt = rttEstimate else { return .milliseconds(100) }
        return min(max(rtt, .milliseconds(10)), .seconds(1))
    }

    /// Applies one received RTCP packet (without draining the pacer).
    ///
    /// Not optimized: Swift 6.3.1's CopyPropagation pass crashes on this function in release builds ("Found
    /// ownership error" on a borrow of `Optional<StreamState>`). RTCP arrives a few times a second, so the
    /// unoptimized code costs nothing measurable; remove the attribute once the compiler is fixed.
    @_optimize(none)
    mutating func take(_ packet: RTCPPacket, now: Instant) {
        switch packet {
        case .senderReport(let sr):
            for block in sr.reports { takeReport(block, now: now) }
        case .receiverReport(let rr):
            for block in rr.reports { takeReport(block, now: now) }
        case .genericNACK(let nack):
            takeNACK(nack, now: now)
        case .pictureLossIndication(let pli):
            requestKeyframeIfVideo(ssrc: pli.mediaSSRC, now: now)
        case .fullIntraRequest(let fir):
            for entry in fir.entries where entry.ssrc == videoSSRC {
                // RFC 5104 §4.3.1.2: a repeated sequence number is the same request.
                if lastFIRSequence == entry.sequenceNumber { continue }
                lastFIRSequence = entry.sequenceNumber
                requestKeyframeIfVideo(ssrc: entry.ssrc, now: now)
            }
        case .receiverEstimatedMaximumBitrate(let remb):
            let ours = [audioStream?.ssrc, videoSSRC].compactMap { $0 }
            guard remb.ssrcs.isEmpty || remb.ssrcs.contains(where: ours.contains) else { return }
            estimator.remb(bitrate: remb.bitrate)
            applyEstimate(now: now)
        case .transportWideFeedback(let fb):
            guard usesTransportFeedback else { return }
            estimator.feedback(fb, now: now, rtt: rttEstimate ?? .milliseconds(100))
            applyEstimate(now: now)
        case .sourceDescription, .goodbye, .raw:
            return
        }
    }

    /// A report block about one of our streams (RFC 3550 §6.4.1): loss, jitter, and the RTT
    /// `A − LSR − DLSR` in 1/65536 s, where A is the middle 32 bits of the NTP time now.
    private mutating func takeReport(_ block: RTCPReceptionReport, now: Instant) {
        // No closures over `self` or `inout` here: the Swift 6.3 optimizer crashed ("Found ownership error")
        // on that form of this method in release builds.
        let rtt = Self.roundTripTime(block, ntpNow: SendNTP.middle(SendNTP.timestamp(now, offset: ntpOffset)))
        if block.ssrc == audioStream?.ssrc {
            audio?.applyReport(block, roundTripTime: rtt)
        } else if block.ssrc == videoSSRC {
            video?.applyReport(block, roundTripTime: rtt)
        } else {
            return
        }
        if let rtt { rttEstimate = rtt }
        if !usesTransportFeedback {
            estimator.receiverReportLoss(fraction: Double(block.fractionLost) / 256, now: now,
                                         rtt: rttEstimate ?? .milliseconds(100))
            applyEstimate(now: now)
        }
    }

    /// `A − LSR − DLSR` (RFC 3550 §6.4.1) as a duration, or nil without an LSR or when negative.
    private static func roundTripTime(_ block: RTCPReceptionReport, ntpNow a: UInt32) -> Duration? {
        guard block.lastSenderReport != 0 else { return nil }
        let units = a &- block.lastSenderReport &- block.delaySinceLastSenderReport
        guard units < 0x8000_0000 else { return nil }
        return .nanoseconds(Int64(units) * 1_000_000_000 / 65_536)
    }

    /// Queues the NACKed packets still held, each at most once per ``retransmissionInterval``.
    private mutating func takeNACK(_ nack: RTCPGenericNACK, now: Instant) {
        let interval = retransmissionInterval
        for seq in nack.lostSequenceNumbers {
            guard let p = retransmissionPacket(ssrc: nack.mediaSSRC, seq: seq, now: now, interval: interval) else {
                continue
            }
            queueRetransmission(p)
        }
    }
}

import RingletCore
import RingletRTP
import RingletSRTP

extension PeerConnection {
    /// Drains the send session: RTP through SRTP onto the selected pair, sender reports into compound packets
    /// with SDES CNAME (RFC 3550 §6.1), events to the app.
    func drainSender(now: Instant) -> Bool {
        var any = false
        while let output = sender?.pollOutput() {
            any = true
            switch output {
            case .rtp(let packet):
                guard let srtpSend else {
                    counters.sendDropped &+= 1
                    continue
                }
                var out = [UInt8]()
                do {
                    try srtpSend.protectRTP(packet.rawBytes, into: &out)
                } catch {
                    counters.sendDropped &+= 1
                    continue
                }
                sendApplicationData(out, now: now)
            case .rtcp(let packet):
                var ssrc = videoSSRC
                if case .senderReport(let sr) = packet { ssrc = sr.ssrc }
                sendCompound([packet] + sourceDescription(ssrc: ssrc), now: now)
            case .event(let e):
                switch e {
                case .keyframeRequested: emit(.keyframeRequested)
                case .watermark(let mark, let rising, let bytes): emit(.watermark(mark, rising: rising, queueBytes: bytes))
                case .framesDropped(let count): emit(.framesDropped(count: count))
                }
            }
        }
        return any
    }

    /// Drains the receive streams: frames to the app, NACK and PLI into the next feedback packet.
    func drainReceivers(now: Instant) -> Bool {
        var any = false
        for ssrc in receiverOrder {
            guard let kind = receivers[ssrc]?.kind else { continue }
            while let output = receivers[ssrc]?.stream.pollOutput() {
                any = true
                switch output {
                case .frame(let f): emit(kind == .video ? .videoFrame(f) : .audioFrame(f))
                case .nack(let n): pendingFeedback.append(.genericNACK(n))
                case .keyframeRequest(let pli): pendingFeedback.append(.pictureLossIndication(pli))
                }
            }
        }
        return any
    }

    /// Sends the queued NACK/PLI feedback as one compound packet led by an empty RR (RFC 4585 §3.1; reduced
    /// size is allowed with rtcp-rsize, but the RR keeps it a full compound).
    func flushFeedback(now: Instant) -> Bool {
        guard !pendingFeedback.isEmpty else { return false }
        let packets = pendingFeedback
        pendingFeedback.removeAll()
        guard let rr = try? RTCPReceiverReport(ssrc: feedbackSenderSSRC) else { return false }
        sendCompound([.receiverReport(rr)] + packets, now: now)
        return true
    }

    var feedbackSenderSSRC: UInt32 { negotiatedMedia.contains { $0.kind == .video } ? videoSSRC : audioSSRC }

    func sourceDescription(ssrc: UInt32) -> [RTCPPacket] {
        guard let item = try? RTCPSourceDescription.Item(type: .cname, text: cname),
              let sdes = try? RTCPSourceDescription(chunks: [RTCPSourceDescription.Chunk(source: ssrc, items: [item])])
        else { return [] }
        return [.sourceDescription(sdes)]
    }

    /// A receiver report with a block per remote source (RFC 3550 §6.4.2) and SDES, every
    /// ``Configuration/receiverReportInterval``; also passes the sender's RTT to the NACK timers.
    func sendReceiverReport(now: Instant) {
        nextReceiverReport = now + configuration.receiverReportInterval
        let rtt = sender?.statistics(now: now).roundTripTime
        var blocks = [RTCPReceptionReport]()
        for ssrc in receiverOrder.prefix(31) {
            if let rtt { receivers[ssrc]?.stream.setRoundTripTime(rtt) }
            if let b = receivers[ssrc]?.stream.makeReceptionReport(now: now) { blocks.append(b) }
        }
        guard let rr = try? RTCPReceiverReport(ssrc: feedbackSenderSSRC, reports: blocks) else { return }
        sendCompound([.receiverReport(rr)] + sourceDescription(ssrc: feedbackSenderSSRC), now: now)
    }

    func sendTransportFeedback(now: Instant) {
        let media = receiverOrder.first ?? 0
        guard let fb = transportFeedback?.makeFeedback(senderSSRC: feedbackSenderSSRC, mediaSSRC: media, now: now)
        else { return }
        sendCompound([.transportWideFeedback(fb)], now: now)
    }

    /// Encodes, protects (SRTCP) and sends a compound packet.
    func sendCompound(_ packets: [RTCPPacket], now: Instant) {
        guard let srtpSend, let compound = try? RTCPCompoundPacket(packets: packets) else {
            counters.sendDropped &+= 1
            return
        }
        var out = [UInt8]()
        do {
            try srtpSend.protectRTCP(compound.bytes, into: &out)
        } catch {
            counters.sendDropped &+= 1
            return
        }
        sendApplicationData(out, now: now)
    }
}

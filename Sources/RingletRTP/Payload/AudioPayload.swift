/// Detects gaps and reordering in an audio packet stream; shared by the audio depacketizers.
struct AudioSequenceTracker: Sendable {
    private var last: UInt16?

    /// Accepts `seq` if it is newer than the last one; returns whether packets were lost before it.
    mutating func accept(_ seq: UInt16) throws(PayloadFormatError) -> Bool {
        defer { last = seq }
        guard let last else { return false }
        let d = seq &- last
        guard d != 0 && d < 0x8000 else {
            throw PayloadFormatError(.outOfOrderPacket, field: "sequence number",
                                     "sequence number \(seq) is not newer than \(last)")
        }
        return d != 1
    }
}

/// Puts Opus packets into RTP payloads (RFC 7587 §4.2): one Opus packet per RTP packet, 48 kHz clock.
public struct OpusPacketizer: Sendable {
    /// Largest Opus packet accepted, in bytes (RFC 6716 §3.2.1 bounds one frame at 1275 bytes; a packet of
    /// several frames may be larger). Default 1275 × 3.
    public let maxPayloadSize: Int

    /// Makes a packetizer.
    public init(maxPayloadSize: Int = 1275 * 3) { self.maxPayloadSize = max(1, maxPayloadSize) }

    /// Makes the payload for one Opus packet; the caller advances the RTP timestamp by
    /// `OpusTOC.sampleCount(ofPacket:)`.
    /// - Parameter afterSilence: sets the marker bit, for the first packet after a silence (DTX) period.
    /// - Throws: `PayloadFormatError` for an invalid or over-size Opus packet.
    public func packetize(_ opusPacket: ArraySlice<UInt8>, afterSilence: Bool = false) throws(PayloadFormatError) -> PayloadPacket {
        _ = try OpusTOC.sampleCount(ofPacket: opusPacket)
        guard opusPacket.count <= maxPayloadSize else {
            throw PayloadFormatError(.payloadTooLarge, field: "payload", "\(opusPacket.count) bytes, over \(maxPayloadSize)")
        }
        return PayloadPacket(payload: Array(opusPacket), marker: afterSilence)
    }
}

/// Takes Opus packets out of RTP payloads (RFC 7587 §4.2), checking the TOC and the sequence.
public struct OpusDepacketizer: Sendable {
    /// Largest payload accepted, in bytes. Default 1275 × 3.
    public let maxPayloadSize: Int
    private var tracker = AudioSequenceTracker()

    /// Makes a depacketizer.
    public init(maxPayloadSize: Int = 1275 * 3) { self.maxPayloadSize = max(1, maxPayloadSize) }

    /// Takes one RTP payload and returns its Opus frame; packets must arrive in sequence order.
    /// - Throws: `PayloadFormatError` for an out-of-order, empty, over-size or invalid packet.
    public mutating func depacketize(payload: ArraySlice<UInt8>, sequenceNumber: UInt16,
                                     timestamp: UInt32) throws(PayloadFormatError) -> EncodedAudioFrame {
        guard payload.count <= maxPayloadSize else {
            throw PayloadFormatError(.payloadTooLarge, field: "payload", "\(payload.count) bytes, over \(maxPayloadSize)")
        }
        let samples = try OpusTOC.sampleCount(ofPacket: payload)
        let lost = try tracker.accept(sequenceNumber)
        return EncodedAudioFrame(data: Array(payload), timestamp: timestamp, sampleCount: samples, followsLoss: lost)
    }
}

/// Splits G.711 audio (one byte per sample, 8 kHz) into RTP payloads of a fixed number of samples
/// (RFC 3551 §4.5.14; payload type 0 PCMU, 8 PCMA).
public struct G711Packetizer: Sendable {
    /// Samples per packet: 160 (20 ms) by default; 1...8000.
    public let samplesPerPacket: Int

    /// Makes a packetizer.
    /// - Throws: `PayloadFormatError` `.invalidConfiguration` when `samplesPerPacket` is outside 1...8000.
    public init(samplesPerPacket: Int = 160) throws(PayloadFormatError) {
        guard (1...8000).contains(samplesPerPacket) else {
            throw PayloadFormatError(.invalidConfiguration, field: "samplesPerPacket",
                                     "\(samplesPerPacket) is outside 1...8000")
        }
        self.samplesPerPacket = samplesPerPacket
    }

    /// Splits encoded samples into packets; each packet's `timestampOffset` is the index of its first sample.
    /// - Parameter afterSilence: sets the marker bit on the first packet (start of a talkspurt, RFC 3551 §4.1).
    public func packetize(_ samples: ArraySlice<UInt8>, afterSilence: Bool = false) -> [PayloadPacket] {
        var out: [PayloadPacket] = []
        out.reserveCapacity((samples.count + samplesPerPacket - 1) / samplesPerPacket)
        var index = samples.startIndex
        while index < samples.endIndex {
            let end = min(index + samplesPerPacket, samples.endIndex)
            out.append(PayloadPacket(payload: Array(samples[index..<end]), marker: afterSilence && out.isEmpty,
                                     timestampOffset: UInt32(truncatingIfNeeded: index - samples.startIndex)))
            index = end
        }
        return out
    }
}

/// Takes G.711 samples out of RTP payloads (RFC 3551 §4.5.14), checking the sequence.
public struct G711Depacketizer: Sendable {
    /// Largest payload accepted, in samples (bytes). Default 8000 (one second).
    public let maxPayloadSize: Int
    private var tracker = AudioSequenceTracker()

    /// Makes a depacketizer.
    public init(maxPayloadSize: Int = 8000) { self.maxPayloadSize = max(1, maxPayloadSize) }

    /// Takes one RTP payload and returns its samples; packets must arrive in sequence order.
    /// - Throws: `PayloadFormatError` for an out-of-order, empty or over-size payload.
    public mutating func depacketize(payload: ArraySlice<UInt8>, sequenceNumber: UInt16,
                                     timestamp: UInt32) throws(PayloadFormatError) -> EncodedAudioFrame {
        guard !payload.isEmpty else {
            throw PayloadFormatError(.emptyPayload, field: "payload", offset: 0, "empty G.711 payload")
        }
        guard payload.count <= maxPayloadSize else {
            throw PayloadFormatError(.payloadTooLarge, field: "payload", "\(payload.count) bytes, over \(maxPayloadSize)")
        }
        let lost = try tracker.accept(sequenceNumber)
        return EncodedAudioFrame(data: Array(payload), timestamp: timestamp, sampleCount: payload.count, followsLoss: lost)
    }
}

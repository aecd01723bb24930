import RingletCore

/// Turns the in-order packets released by the jitter buffer into frames, with the payload format's
/// depacketizer, and applies the loss policy.
///
/// The jitter buffer guarantees order and reports gaps itself, so the depacketizer is fed its own consecutive
/// numbering (its gap logic never fires; padding-only packets are left out without leaving a hole). After a gap:
/// - video: the frame in progress and the rest of its packets (same timestamp) are dropped, the depacketizer
///   starts afresh, and every frame is dropped until a keyframe, since a decoder cannot use frames that refer
///   to a lost one; a keyframe is requested. The lost packets may also have begun the frame of the packet after
///   the gap (a keyframe's SPS and PPS travel in the packet before its IDR slice), so that frame is dropped too
///   unless its first packet opens an access unit (`NALFormat.opensAccessUnit`); the same holds at the start of
///   the stream and after a restart, where what came before is unknown as well;
/// - audio: the next frame is marked `followsLoss` (the decoder may conceal).
/// A frame the depacketizer refuses (malformed, over a limit) is handled as a loss.
struct RTPFrameAssembler: Sendable {
    enum Event: Sendable {
        case video(EncodedVideoFrame, arrival: Instant)
        case audio(EncodedAudioFrame, arrival: Instant)
        case frameDropped
        case keyframeNeeded
    }

    private enum Depacketizer: Sendable {
        case h264(H264Depacketizer)
        case h265(H265Depacketizer)
        case opus(OpusDepacketizer)
        case g711(G711Depacketizer)
    }

    let format: RTPReceiveMediaFormat
    let videoConfiguration: VideoDepacketizerConfiguration
    private var depacketizer: Depacketizer
    private var fedSequence: UInt16 = 0
    /// Timestamp and marker of the last packet given to the depacketizer.
    private var lastFed: (timestamp: UInt32, marker: Bool)?
    /// After a loss inside a frame: that frame's later packets are dropped.
    private var dropTimestamp: UInt32?
    /// Video: frames are dropped until a keyframe (true at the start of the stream too).
    private(set) var waitingForKeyframe = true
    /// Video: what came before the next packet is unknown (the start of the stream, a loss, a restart), so it
    /// may be inside a frame whose first packets were lost.
    private var afterUnknown = true
    /// Audio: a gap came before the next frame.
    private var lossPending = false
    /// Latest arrival of the packets of the current and previous timestamps (a frame's arrival time).
    private var current: (timestamp: UInt32, arrival: Instant)?
    private var previous: (timestamp: UInt32, arrival: Instant)?

    init(format: RTPReceiveMediaFormat, video: VideoDepacketizerConfiguration) {
        self.format = format
        self.videoConfiguration = video
        depacketizer = Self.makeDepacketizer(format, video)
    }

    private static func makeDepacketizer(_ format: RTPReceiveMediaFormat,
                                         _ video: VideoDepacketizerConfiguration) -> Depacketizer {
        switch format {
        case .h264: return .h264(H264Depacketizer(configuration: video))
        case .h265: return .h265(H265Depacketizer(configuration: video))
        case .opus: return .opus(OpusDepacketizer())
        case .g711: return .g711(G711Depacketizer())
        }
    }

    /// Takes the next packet in sequence order.
    mutating func feed(_ packet: RTPPacket, arrival: Instant, into events: inout [Event]) {
        let payload = packet.payload
        guard !payload.isEmpty else { return }
        if let t = dropTimestamp {
            if t == packet.timestamp {
                // A packet of the dropped frame arrived: the next new timestamp begins its frame.
                afterUnknown = false
                return
            }
            dropTimestamp = nil
        }
        if afterUnknown {
            afterUnknown = false
            if let nal = format.nalFormat, !(nal.firstNALType(inPayload: payload).map(nal.opensAccessUnit) ?? false) {
                // This frame's beginning may have been lost: drop it whole rather than deliver a part of it.
                dropTimestamp = packet.timestamp
                lastFed = nil
                events.append(.frameDropped)
                waitingForKeyframe = true
                events.append(.keyframeNeeded)
                return
            }
        }
        let seq = fedSequence
        fedSequence &+= 1
        lastFed = (packet.timestamp, packet.marker)
        if let c = current, c.timestamp == packet.timestamp {
            if arrival > c.arrival { current = (c.timestamp, arrival) }
        } else {
            previous = current
            current = (packet.timestamp, arrival)
        }
        switch depacketizer {
        case .h264(var d):
            depacketizer = .opus(OpusDepacketizer())  // release the copy while `d` is mutated
            let failed = (try? d.push(payload: payload, sequenceNumber: seq, timestamp: packet.timestamp,
                                      marker: packet.marker)) == nil
            while let o = d.nextOutput() { handle(o, into: &events) }
            depacketizer = .h264(d)
            if failed { lastFed = nil }
        case .h265(var d):
            depacketizer = .opus(OpusDepacketizer())
            let failed = (try? d.push(payload: payload, sequenceNumber: seq, timestamp: packet.timestamp,
                                      marker: packet.marker)) == nil
            while let o = d.nextOutput() { handle(o, into: &events) }
            depacketizer = .h265(d)
            if failed { lastFed = nil }
        case .opus(var d):
            let frame = try? d.depacketize(payload: payload, sequenceNumber: seq, timestamp: packet.timestamp)
            depacketizer = .opus(d)
            emitAudio(frame, arrival: arrival, into: &events)
        case .g711(var d):
            let frame = try? d.depacketize(payload: payload, sequenceNumber: seq, timestamp: packet.timestamp)
            depacketizer = .g711(d)
            emitAudio(frame, arrival: arrival, into: &events)
        }
    }

    /// Records that packets were given up just before the next one fed.
    mutating func handleLoss(into events: inout [Event]) {
        guard format.isVideo else {
            lossPending = true
            return
        }
        if let last = lastFed, !last.marker {
            dropTimestamp = last.timestamp
            events.append(.frameDropped)
        }
        lastFed = nil
        depacketizer = Self.makeDepacketizer(format, videoConfiguration)
        waitingForKeyframe = true
        afterUnknown = true
        events.append(.keyframeNeeded)
    }

    /// Starts over, as for a new stream (a sender restart); video waits for a keyframe again.
    mutating func reset(into events: inout [Event]) {
        if format.isVideo, let last = lastFed, !last.marker { events.append(.frameDropped) }
        depacketizer = Self.makeDepacketizer(format, videoConfiguration)
        lastFed = nil
        dropTimestamp = nil
        current = nil
        previous = nil
        lossPending = false
        if format.isVideo {
            waitingForKeyframe = true
            afterUnknown = true
        }
    }

    private mutating func handle(_ output: VideoDepacketizerOutput, into events: inout [Event]) {
        switch output {
        case .keyframeNeeded:
            // The depacketizer refused a packet and dropped its frame.
            events.append(.frameDropped)
            waitingForKeyframe = true
            events.append(.keyframeNeeded)
        case .frame(let frame):
            if waitingForKeyframe && !frame.isKeyframe {
                events.append(.frameDropped)
                events.append(.keyframeNeeded)
                return
            }
            if frame.isKeyframe { waitingForKeyframe = false }
            events.append(.video(frame, arrival: arrival(of: frame.timestamp)))
        }
    }

    private mutating func emitAudio(_ frame: EncodedAudioFrame?, arrival: Instant, into events: inout [Event]) {
        guard let frame else {
            events.append(.frameDropped)
            lossPending = true
            return
        }
        events.append(.audio(EncodedAudioFrame(data: frame.data, timestamp: frame.timestamp,
                                               sampleCount: frame.sampleCount, followsLoss: lossPending),
                             arrival: arrival))
        lossPending = false
    }

    private func arrival(of timestamp: UInt32) -> Instant {
        if let c = current, c.timestamp == timestamp { return c.arrival }
        if let p = previous, p.timestamp == timestamp { return p.arrival }
        return current?.arrival ?? .zero
    }
}

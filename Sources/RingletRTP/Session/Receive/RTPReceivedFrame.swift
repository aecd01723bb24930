import RingletCore

/// A frame the receive stream hands to the application, in order.
public struct RTPReceivedFrame: Hashable, Sendable {
    /// The encoded frame: an Annex B access unit (4-byte start codes) for video, the Opus packet or G.711
    /// samples for audio.
    public let data: [UInt8]
    /// The RTP timestamp of the frame.
    public let rtpTimestamp: UInt32
    /// Presentation time in milliseconds, from the RTP timestamp relative to the first frame of the stream
    /// (0 for it). After a sender restart it continues from the last frame, by arrival time.
    public let presentationTimeMilliseconds: Int64
    /// Whether the frame is a video keyframe (IDR or IRAP); false for audio.
    public let isKeyframe: Bool
    /// Whether packets were lost just before this frame (audio: the decoder may conceal). Video frames after a
    /// loss are only delivered from a keyframe on, which then has this set.
    public let followsLoss: Bool
    /// Samples in an audio frame at the format's clock rate; 0 for video.
    public let sampleCount: Int
    /// The arrival of the frame's last packet to arrive.
    public let arrival: Instant

    /// Makes a frame.
    public init(data: [UInt8], rtpTimestamp: UInt32, presentationTimeMilliseconds: Int64, isKeyframe: Bool,
                followsLoss: Bool, sampleCount: Int, arrival: Instant) {
        self.data = data
        self.rtpTimestamp = rtpTimestamp
        self.presentationTimeMilliseconds = presentationTimeMilliseconds
        self.isKeyframe = isKeyframe
        self.followsLoss = followsLoss
        self.sampleCount = sampleCount
        self.arrival = arrival
    }
}

/// What a receive stream asks of its caller.
public enum RTPReceiveOutput: Hashable, Sendable {
    /// A frame for the application.
    case frame(RTPReceivedFrame)
    /// A generic NACK to send (RFC 4585 §6.2.1), in a compound RTCP packet, through SRTCP.
    case nack(RTCPGenericNACK)
    /// A keyframe is needed: send this PLI (RFC 4585 §6.3.1), or a FIR (RFC 5104 §4.3.1) to a peer that
    /// prefers it. Throttled to one per `keyframeRequestInterval` until a keyframe arrives.
    case keyframeRequest(RTCPPictureLossIndication)
}

/// Counters of one receive stream, since it was made.
public struct RTPReceiveStatistics: Hashable, Sendable {
    /// RTP packets accepted (duplicates included; jumps dropped as invalid excluded).
    public var packetsReceived = 0
    /// Bytes of the packets accepted (whole RTP packets).
    public var bytesReceived = 0
    /// Packets lost, as the reception report counts them (RFC 3550 A.3; since the last sender restart).
    public var packetsLost: Int64 = 0
    /// Packets that arrived after they had been requested by NACK.
    public var packetsRecoveredByNACK = 0
    /// Packets received twice (dropped).
    public var duplicates = 0
    /// Packets that arrived after their place had been skipped (dropped).
    public var latePackets = 0
    /// Packets dropped as invalid (a sequence jump not confirmed by the next packet).
    public var invalidPackets = 0
    /// Missing packets given up by the jitter buffer (after `maxDelay`, a memory limit, or a jump).
    public var packetsSkipped = 0
    /// Sequence numbers sent in NACKs (retries included).
    public var nackedPackets = 0
    /// Sender restarts seen (RFC 3550 A.1 resynchronisation).
    public var restarts = 0
    /// Frames delivered.
    public var framesDelivered = 0
    /// Frames dropped: incomplete after a loss, malformed, or waiting for a keyframe.
    public var framesDropped = 0
    /// Keyframe requests output.
    public var keyframeRequests = 0
    /// Interarrival jitter now, in RTP timestamp units (RFC 3550 A.8).
    public var jitter: UInt32 = 0
    /// Packets held in the jitter buffer now.
    public var bufferedPackets = 0
    /// Bytes held in the jitter buffer now.
    public var bufferedBytes = 0

    /// Zero counters.
    public init() {}
}

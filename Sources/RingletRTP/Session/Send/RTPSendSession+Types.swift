import RingletCore

/// Something the application must know about the send side.
public enum RTPSendEvent: Hashable, Sendable {
    /// The peer asked for a keyframe with PLI (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1), or the pacer dropped
    /// video frames: the encoder should produce an IDR. Throttled to one per
    /// ``RTPSendSession/Configuration/keyframeRequestInterval``.
    case keyframeRequested(ssrc: UInt32)
    /// The send queue crossed a congestion mark: upwards (`rising`) or falling back below it. Crossings come in
    /// order: low, warn, high going up; high, warn, low going down.
    case watermark(RTPSendWatermark, rising: Bool, queueBytes: Int)
    /// The queue was over its hard limit and `count` whole video frames were dropped.
    case framesDropped(count: Int)
}

/// What one send stream has done and what the peer reported about it (RFC 3550 §6.4).
public struct RTPSendStreamStatistics: Hashable, Sendable {
    /// The stream's SSRC.
    public var ssrc: UInt32
    /// RTP packets sent, retransmissions included (the SR's packet count, RFC 3550 §6.4.1).
    public var packetCount: UInt32 = 0
    /// Payload octets sent, retransmissions included (the SR's octet count).
    public var octetCount: UInt32 = 0
    /// Fraction lost in the latest report block for this stream (0–1).
    public var fractionLost: Double = 0
    /// Cumulative packets lost, from the latest report block.
    public var cumulativeLost: Int32 = 0
    /// Interarrival jitter from the latest report block, converted from timestamp units.
    public var jitter: Duration = .zero
    /// Round-trip time from the latest report block carrying LSR/DLSR (RFC 3550 §6.4.1).
    public var roundTripTime: Duration?
}

/// What the send side has done (the device API's `getSendStreamStatus` and `getSendStreamBuf`).
public struct RTPSendStatistics: Hashable, Sendable {
    /// Bytes of RTP sent (before SRTP), since the start.
    public var sentBytes: Int64
    /// Send rate over the last second, bytes per second.
    public var sendRate: Int64
    /// Average send rate since the first packet, bytes per second.
    public var averageSendRate: Int64
    /// Bytes the peer acknowledged through transport-wide feedback, since the start.
    public var acknowledgedBytes: Int64
    /// Acknowledged bytes per second over the last second.
    public var acknowledgedRate: Int64
    /// The send-rate estimate, bits per second.
    public var estimatedBitrate: Int64
    /// The latest round-trip time, if known.
    public var roundTripTime: Duration?
    /// The latest loss fraction (transport-wide feedback, else receiver reports), 0–1.
    public var lossFraction: Double
    /// The latest delay-gradient signal.
    public var delaySignal: SendDelaySignal
    /// Bytes waiting in the pacer.
    public var queueBytes: Int
    /// Packets waiting in the pacer.
    public var queuePackets: Int
    /// Video frames dropped over the queue's hard limit, since the start.
    public var droppedFrames: Int
    /// Packets retransmitted after NACKs, since the start.
    public var retransmittedPackets: Int
    /// The audio stream's counters and reports.
    public var audio: RTPSendStreamStatistics?
    /// The video stream's counters and reports.
    public var video: RTPSendStreamStatistics?
}

extension RTPSendSession {
    /// Settings of the send side; every field has a documented default. Validated once, by the session's
    /// initializer.
    public struct Configuration: Sendable {
        /// The audio stream, if any. Default none.
        public var audio: RTPSendStream.Configuration?
        /// The video stream, if any. Default none.
        public var video: RTPSendStream.Configuration?
        /// Send-rate estimate at the start, bits per second. Default 1 000 000.
        public var initialBitrate: Int64 = 1_000_000
        /// Lowest estimate, bits per second. Default 100 000.
        public var minimumBitrate: Int64 = 100_000
        /// Highest estimate, bits per second. Default 10 000 000.
        public var maximumBitrate: Int64 = 10_000_000
        /// The pacer sends at the estimate times this factor (> 0). Default 2.5.
        public var pacingFactor: Double = 2.5
        /// The pacer's burst interval: at most this interval's worth of bytes leave at once. Default 5 ms.
        public var burstInterval: Duration = .milliseconds(5)
        /// Queue size raising the low watermark event, bytes. Default 64 KiB.
        public var lowWatermark: Int = 64 << 10
        /// Queue size raising the warn watermark event, bytes. Default 128 KiB.
        public var warnWatermark: Int = 128 << 10
        /// Queue size raising the high watermark event, bytes. Default 256 KiB.
        public var highWatermark: Int = 256 << 10
        /// Hard limit of the queue, bytes: over it, whole unstarted video frames are dropped. Default 1 MiB.
        public var maxQueueBytes: Int = 1 << 20
        /// Packets held per stream for retransmission (1–32768). Default 1000.
        public var retransmissionCapacity: Int = 1000
        /// How long a sent packet stays retransmittable. Default 1 s.
        public var retransmissionMaxAge: Duration = .seconds(1)
        /// At most one keyframe request event per this interval. Default 500 ms.
        public var keyframeRequestInterval: Duration = .milliseconds(500)
        /// Sender report interval for video. Default 1 s.
        public var videoReportInterval: Duration = .seconds(1)
        /// Sender report interval for audio. Default 5 s.
        public var audioReportInterval: Duration = .seconds(5)

        /// Makes a configuration with the defaults and the given streams.
        public init(audio: RTPSendStream.Configuration? = nil, video: RTPSendStream.Configuration? = nil) {
            self.audio = audio
            self.video = video
        }

        func validate() throws(RTPError) {
            func bad(_ field: String, _ message: String) -> RTPError {
                RTPError(.invalidConfiguration, field: field, message)
            }
            if let audio, audio.codec.media != .audio { throw bad("audio.codec", "\(audio.codec) is not an audio codec") }
            if let video, video.codec.media != .video { throw bad("video.codec", "\(video.codec) is not a video codec") }
            if let a = audio?.ssrc, let v = video?.ssrc, a == v { throw bad("ssrc", "audio and video share SSRC \(a)") }
            guard minimumBitrate > 0, minimumBitrate <= maximumBitrate else {
                throw bad("minimumBitrate", "need 0 < minimum (\(minimumBitrate)) ≤ maximum (\(maximumBitrate))")
            }
            guard pacingFactor > 0, pacingFactor.isFinite else { throw bad("pacingFactor", "\(pacingFactor) is not > 0") }
            guard burstInterval > .zero else { throw bad("burstInterval", "must be positive") }
            guard 0 < lowWatermark, lowWatermark <= warnWatermark, warnWatermark <= highWatermark,
                  highWatermark <= maxQueueBytes else {
                throw bad("watermarks", "need 0 < low ≤ warn ≤ high ≤ maxQueueBytes")
            }
            guard (1...32_768).contains(retransmissionCapacity) else {
                throw bad("retransmissionCapacity", "\(retransmissionCapacity) is outside 1–32768")
            }
            guard retransmissionMaxAge > .zero, videoReportInterval > .zero, audioReportInterval > .zero,
                  keyframeRequestInterval >= .zero else {
                throw bad("intervals", "intervals must be positive")
            }
        }
    }

    /// What the caller must do: send a packet, send an RTCP packet, or tell the application something.
    public enum Output: Hashable, Sendable {
        /// An RTP packet to protect with SRTP and send now.
        case rtp(RTPPacket)
        /// An RTCP packet (a sender report) to add to the next compound packet and send.
        case rtcp(RTCPPacket)
        /// An event for the application.
        case event(RTPSendEvent)
    }
}

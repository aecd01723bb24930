import RingletCore

/// The payload formats a receive stream can assemble frames from.
public enum RTPReceiveMediaFormat: Hashable, Sendable {
    /// H.264 (RFC 6184, packetization-mode 1), 90 kHz.
    case h264
    /// H.265 (RFC 7798), 90 kHz.
    case h265
    /// Opus (RFC 7587), 48 kHz.
    case opus
    /// G.711 PCMU or PCMA (RFC 3551 §4.5.14), 8 kHz.
    case g711

    /// Whether frames are video access units (assembled from several packets, keyframes matter).
    public var isVideo: Bool { self == .h264 || self == .h265 }

    /// The NAL unit payload format of a video format; nil for audio.
    var nalFormat: NALFormat? {
        switch self {
        case .h264: return .h264
        case .h265: return .h265
        case .opus, .g711: return nil
        }
    }

    /// The RTP clock of the format.
    public var clock: RTPClock {
        switch self {
        case .h264, .h265: return .video
        case .opus: return .opus
        case .g711: return .g711
        }
    }
}

extension RTPReceiveStream {
    /// How a receive stream buffers, recovers and assembles; every field has a documented default that depends on
    /// whether the format is video or audio. Validated once, when the stream is made.
    public struct Configuration: Hashable, Sendable {
        /// The payload format of the stream.
        public var format: RTPReceiveMediaFormat
        /// Longest time a packet waits in the jitter buffer for a missing packet before it; after it the missing
        /// packet is skipped. Default 200 ms (video), 80 ms (audio). 1 ms–10 s.
        public var maxDelay: Duration
        /// Time every packet is held after its arrival before it is released (a fixed playout delay). Default 0:
        /// in-order packets leave at once, reordering is covered by `maxDelay`. 0–`maxDelay`.
        public var playoutDelay: Duration
        /// Whether lost packets are requested with generic NACK (RFC 4585 §6.2.1). Default true for video, false
        /// for audio (browsers do not retransmit Opus).
        public var nackEnabled: Bool
        /// Wait after a gap is seen before its first NACK, so that merely reordered packets are not requested.
        /// Default 5 ms. 0–1 s.
        public var nackReorderDelay: Duration
        /// Round-trip time used to space NACK retries until the engine sets a measured one. Default 100 ms.
        public var defaultRoundTripTime: Duration
        /// NACKs sent for one missing packet at most. Default 10. 1–100.
        public var maxNACKRetries: Int
        /// Missing packets tracked for NACK at most; a larger gap is given up at once and a keyframe is
        /// requested. Default 1000. 1–10 000.
        public var maxMissingPackets: Int
        /// Packets the jitter buffer holds at most; over it the oldest are released or skipped. Default 1024
        /// (video), 128 (audio). 16–32 768.
        public var maxPackets: Int
        /// Bytes of packets the jitter buffer holds at most. Default 2 MiB (video), 128 KiB (audio). At least
        /// 4096.
        public var maxBytes: Int
        /// Shortest time between two keyframe requests while the stream waits for a keyframe. Default 300 ms.
        public var keyframeRequestInterval: Duration
        /// RFC 3550 A.1 MAX_DROPOUT: a jump ahead of at most this many sequence numbers is a gap, not a restart.
        /// Default 3000. 1–32 767.
        public var maxDropout: Int
        /// RFC 3550 A.1 MAX_MISORDER: a packet at most this many numbers behind is reordered, not a restart.
        /// Default 100. At least 1, and `maxDropout + maxMisorder` under 65 536.
        public var maxMisorder: Int
        /// Limits of the video depacketizer (frame size and NAL unit count).
        public var depacketizer: VideoDepacketizerConfiguration

        /// The defaults for `format`.
        public init(format: RTPReceiveMediaFormat) {
            self.format = format
            let video = format.isVideo
            maxDelay = video ? .milliseconds(200) : .milliseconds(80)
            playoutDelay = .zero
            nackEnabled = video
            nackReorderDelay = .milliseconds(5)
            defaultRoundTripTime = .milliseconds(100)
            maxNACKRetries = 10
            maxMissingPackets = 1000
            maxPackets = video ? 1024 : 128
            maxBytes = video ? 2 << 20 : 128 << 10
            keyframeRequestInterval = .milliseconds(300)
            maxDropout = 3000
            maxMisorder = 100
            depacketizer = .default
        }

        /// Checks every field against its documented range.
        /// - Throws: ``RTPError`` `.invalidValue` naming the first field out of range.
        public func validate() throws(RTPError) {
            func check(_ ok: Bool, _ field: String, _ message: String) throws(RTPError) {
                guard ok else { throw RTPError(.invalidValue, field: "RTPReceiveStream.Configuration.\(field)", message) }
            }
            try check(maxDelay >= .milliseconds(1) && maxDelay <= .seconds(10), "maxDelay", "\(maxDelay) not in 1 ms–10 s")
            try check(playoutDelay >= .zero && playoutDelay <= maxDelay, "playoutDelay", "\(playoutDelay) not in 0–maxDelay")
            try check(nackReorderDelay >= .zero && nackReorderDelay <= .seconds(1), "nackReorderDelay",
                      "\(nackReorderDelay) not in 0–1 s")
            try check(defaultRoundTripTime >= .milliseconds(1) && defaultRoundTripTime <= .seconds(10),
                      "defaultRoundTripTime", "\(defaultRoundTripTime) not in 1 ms–10 s")
            try check((1...100).contains(maxNACKRetries), "maxNACKRetries", "\(maxNACKRetries) not in 1–100")
            try check((1...10_000).contains(maxMissingPackets), "maxMissingPackets", "\(maxMissingPackets) not in 1–10 000")
            try check((16...32_768).contains(maxPackets), "maxPackets", "\(maxPackets) not in 16–32 768")
            try check(maxBytes >= 4096, "maxBytes", "\(maxBytes) under 4096")
            try check(keyframeRequestInterval >= .zero && keyframeRequestInterval <= .seconds(60),
                      "keyframeRequestInterval", "\(keyframeRequestInterval) not in 0–60 s")
            try check((1...32_767).contains(maxDropout), "maxDropout", "\(maxDropout) not in 1–32 767")
            try check(maxMisorder >= 1 && maxMisorder + maxDropout < 65_536, "maxMisorder",
                      "\(maxMisorder) must be positive and leave room for maxDropout")
        }
    }
}

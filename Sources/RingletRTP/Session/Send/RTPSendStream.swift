import RingletCore

/// The RTP header extensions a send stream adds to every packet, in the one-byte form (RFC 8285 §4.2), with the
/// local ids negotiated in SDP (`a=extmap`, 1–14). A nil id leaves that extension out.
public struct RTPSendHeaderExtensions: Hashable, Sendable {
    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2): 2 bytes, one
    /// counter for the whole session, a new value on every transmission (retransmissions included).
    public var transportWideSequenceNumberID: UInt8?
    /// abs-send-time (webrtc.org experiment): 3 bytes, the send time in 6.18 fixed-point NTP seconds.
    public var absSendTimeID: UInt8?
    /// sdes:mid (RFC 9143 §15): the media section's identification tag, on every packet.
    public var midID: UInt8?
    /// The mid value sent with ``midID`` (1–16 bytes of UTF-8).
    public var mid: String?

    /// Makes a set of extensions; all absent by default.
    public init(transportWideSequenceNumberID: UInt8? = nil, absSendTimeID: UInt8? = nil, midID: UInt8? = nil,
                mid: String? = nil) {
        self.transportWideSequenceNumberID = transportWideSequenceNumberID
        self.absSendTimeID = absSendTimeID
        self.midID = midID
        self.mid = mid
    }

    /// No extensions.
    public static let none = RTPSendHeaderExtensions()

    /// Checks the ids (1–14, distinct) and the mid (1–16 bytes when its id is set).
    func validate(field: String) throws(RTPError) {
        let ids = [transportWideSequenceNumberID, absSendTimeID, midID].compactMap { $0 }
        for id in ids where !(1...14).contains(id) {
            throw RTPError(.invalidConfiguration, field: field, "extension id \(id) is outside the one-byte range 1–14")
        }
        guard Set(ids).count == ids.count else {
            throw RTPError(.invalidConfiguration, field: field, "extension ids \(ids) are not distinct")
        }
        if midID != nil {
            let count = mid?.utf8.count ?? 0
            guard (1...16).contains(count) else {
                throw RTPError(.invalidConfiguration, field: field, "mid of \(count) bytes, need 1–16")
            }
        }
    }

    /// Bytes the extension block adds to a packet (its 4-byte header and padding included; 0 when empty).
    var encodedSize: Int {
        var body = 0
        if transportWideSequenceNumberID != nil { body += 3 }
        if absSendTimeID != nil { body += 4 }
        if midID != nil { body += 1 + (mid?.utf8.count ?? 0) }
        guard body > 0 else { return 0 }
        return 4 + (body + 3) / 4 * 4
    }

    /// The extension for one transmission, or nil when no extension is configured.
    func build(transportSequence: UInt16, ntp: UInt64) -> RTPHeaderExtension? {
        var elements: [RTPHeaderExtension.Element] = []
        if let id = transportWideSequenceNumberID {
            elements.append(.init(id: id, data: [UInt8(transportSequence >> 8), UInt8(transportSequence & 0xFF)]))
        }
        if let id = absSendTimeID {
            let t = SendNTP.absSendTime(ntp)
            elements.append(.init(id: id, data: [UInt8(t >> 16 & 0xFF), UInt8(t >> 8 & 0xFF), UInt8(t & 0xFF)]))
        }
        if let id = midID, let mid, !mid.isEmpty {
            elements.append(.init(id: id, data: Array(mid.utf8)))
        }
        guard !elements.isEmpty else { return nil }
        return try? RTPHeaderExtension(elements: elements, form: .oneByte)
    }
}

/// One RTP packet waiting in the pacer or held for retransmission, before its per-transmission header
/// extensions (transport-wide sequence number, abs-send-time) are added.
struct RTPSendPacket: Sendable {
    let media: RTPSendMedia
    let ssrc: UInt32
    let payloadType: UInt8
    let sequenceNumber: UInt16
    let timestamp: UInt32
    let marker: Bool
    let payload: [UInt8]
    /// Which frame of its stream the packet belongs to (frames are dropped whole by the pacer).
    let frameID: UInt64
    let isKeyframe: Bool
    var isRetransmission: Bool
    /// Bytes on the wire before SRTP: fixed header, extensions and payload.
    let size: Int
}

/// One outgoing media source (RFC 3550 §5.1): its SSRC, payload type, clock, random initial sequence number and
/// timestamp offset, and the payload packetizer that turns encoded frames into RTP packets.
///
/// Made by ``RTPSendSession``; read its properties to fill SDP (`a=ssrc`) and statistics.
public struct RTPSendStream: Sendable {
    /// The payload format of a stream.
    public enum Codec: Hashable, Sendable {
        /// H.264, RFC 6184 packetization-mode 1, 90 kHz.
        case h264
        /// H.265, RFC 7798, 90 kHz.
        case h265
        /// Opus, RFC 7587, 48 kHz, one Opus packet per frame.
        case opus
        /// G.711 μ-law or A-law, RFC 3551 §4.5.14, 8 kHz, 20 ms (160-sample) packets.
        case g711(G711.Law)

        /// The media kind this codec carries.
        public var media: RTPSendMedia {
            switch self {
            case .h264, .h265: .video
            case .opus, .g711: .audio
            }
        }

        /// The codec's RTP clock (RFC 6184 §5.1, RFC 7798 §4.1, RFC 7587 §4.1, RFC 3551 §4.5.14).
        public var clock: RTPClock {
            switch self {
            case .h264, .h265: .video
            case .opus: .opus
            case .g711: .g711
            }
        }
    }

    /// Settings of one send stream.
    public struct Configuration: Hashable, Sendable {
        /// The payload format.
        public var codec: Codec
        /// The negotiated payload type (0–127).
        public var payloadType: UInt8
        /// Header extensions to add, with their negotiated ids. Default none.
        public var headerExtensions: RTPSendHeaderExtensions
        /// The SSRC to use, or nil (the default) for a random one.
        public var ssrc: UInt32?
        /// Largest RTP payload in bytes for video (16–65535). Default 1200.
        public var maxPayloadSize: Int
        /// Largest encoded frame accepted, in bytes. Default 4 MiB.
        public var maxFrameSize: Int

        /// Makes a stream configuration.
        public init(codec: Codec, payloadType: UInt8, headerExtensions: RTPSendHeaderExtensions = .none,
                    ssrc: UInt32? = nil, maxPayloadSize: Int = 1200, maxFrameSize: Int = 4 << 20) {
            self.codec = codec
            self.payloadType = payloadType
            self.headerExtensions = headerExtensions
            self.ssrc = ssrc
            self.maxPayloadSize = maxPayloadSize
            self.maxFrameSize = maxFrameSize
        }
    }

    private enum Packetizer: Sendable {
        case h264(H264Packetizer)
        case h265(H265Packetizer)
        case opus(OpusPacketizer)
        case g711(G711Packetizer)
    }

    /// Audio or video.
    public let media: RTPSendMedia
    /// The stream's synchronization source.
    public let ssrc: UInt32
    /// The payload type on every packet.
    public let payloadType: UInt8
    /// The RTP clock.
    public let clock: RTPClock
    /// The sequence number of the first packet (random, RFC 3550 §5.1).
    public let initialSequenceNumber: UInt16
    /// Added to every timestamp (random, RFC 3550 §5.1): the timestamp of PTS 0.
    public let timestampOffset: UInt32
    /// The header extensions added to each packet.
    public let headerExtensions: RTPSendHeaderExtensions
    let maxFrameSize: Int
    private var packetizer: Packetizer
    private var nextSequenceNumber: UInt16
    private var nextFrameID: UInt64 = 0
    private var payloads: [PayloadPacket] = []
    /// Whether a frame has been accepted (the first video frame must be a keyframe).
    private(set) var hasSentFrame = false
    /// The RTP timestamp and the instant of the latest frame, to map `now` to RTP time for sender reports.
    private(set) var lastFrame: (timestamp: UInt32, at: Instant)?

    /// Makes a stream, drawing the SSRC (unless configured), initial sequence number and timestamp offset from
    /// `rng`.
    /// - Throws: ``RTPError`` `.invalidConfiguration` for a payload type over 127, a bad payload size or frame
    ///   limit, or bad header extension ids.
    init(configuration c: Configuration, using rng: inout some RandomNumberGenerator) throws(RTPError) {
        guard c.payloadType <= 127 else {
            throw RTPError(.invalidConfiguration, field: "payloadType", "\(c.payloadType) exceeds 7 bits")
        }
        guard c.maxFrameSize >= 1 else {
            throw RTPError(.invalidConfiguration, field: "maxFrameSize", "\(c.maxFrameSize) is below 1")
        }
        try c.headerExtensions.validate(field: "headerExtensions")
        switch c.codec {
        case .h264, .h265:
            let vc: VideoPacketizerConfiguration
            do { vc = try VideoPacketizerConfiguration(maxPayloadSize: c.maxPayloadSize) } catch {
                throw RTPError(.invalidConfiguration, field: "maxPayloadSize", error.message, underlying: error)
            }
            packetizer = c.codec == .h264 ? .h264(H264Packetizer(configuration: vc)) : .h265(H265Packetizer(configuration: vc))
        case .opus:
            packetizer = .opus(OpusPacketizer())
        case .g711:
            do { packetizer = .g711(try G711Packetizer(samplesPerPacket: 160)) } catch {
                throw RTPError(.invalidConfiguration, field: "samplesPerPacket", error.message, underlying: error)
            }
        }
        media = c.codec.media
        clock = c.codec.clock
        payloadType = c.payloadType
        headerExtensions = c.headerExtensions
        maxFrameSize = c.maxFrameSize
        ssrc = c.ssrc ?? UInt32(truncatingIfNeeded: rng.next())
        initialSequenceNumber = UInt16(truncatingIfNeeded: rng.next())
        timestampOffset = UInt32(truncatingIfNeeded: rng.next())
        nextSequenceNumber = initialSequenceNumber
    }

    /// The RTP timestamp of a presentation time in milliseconds.
    public func timestamp(ptsMilliseconds: Int64) -> UInt32 {
        clock.timestamp(milliseconds: ptsMilliseconds, base: timestampOffset)
    }

    /// The RTP timestamp at `now`, extrapolated from the latest frame (nil before the first frame).
    func timestamp(at now: Instant) -> UInt32? {
        guard let lastFrame else { return nil }
        let elapsed = now.nanoseconds &- lastFrame.at.nanoseconds
        let ticks = Int64(Double(elapsed) * Double(clock.rate) / 1e9)
        return lastFrame.timestamp &+ UInt32(truncatingIfNeeded: ticks)
    }

    /// Packetizes one encoded frame, appending its RTP packets to `out`. Nothing is appended when it throws.
    /// - Throws: ``RTPError`` `.firstFrameNotKeyframe` when the stream's first video frame is not a keyframe;
    ///   `.invalidFrame` for an empty or oversize frame, or one its payload format refuses.
    mutating func packetize(frame: ArraySlice<UInt8>, ptsMilliseconds: Int64, isKeyframe: Bool, now: Instant,
                            into out: inout [RTPSendPacket]) throws(RTPError) {
        if media == .video, !hasSentFrame, !isKeyframe {
            throw RTPError(.firstFrameNotKeyframe, field: "frame", "the first video frame must be a keyframe (IDR)")
        }
        guard !frame.isEmpty, frame.count <= maxFrameSize else {
            throw RTPError(.invalidFrame, field: "frame", "frame of \(frame.count) bytes, allowed 1–\(maxFrameSize)")
        }
        payloads.removeAll(keepingCapacity: true)
        do {
            switch packetizer {
            case .h264(var p):
                try p.packetize(accessUnit: frame, into: &payloads)
                packetizer = .h264(p)
            case .h265(var p):
                try p.packetize(accessUnit: frame, into: &payloads)
                packetizer = .h265(p)
            case .opus(let p):
                payloads.append(try p.packetize(frame, afterSilence: !hasSentFrame))
            case .g711(let p):
                payloads = p.packetize(frame, afterSilence: !hasSentFrame)
            }
        } catch {
            throw RTPError(.invalidFrame, field: "frame." + (error.field.isEmpty ? "payload" : error.field), offset: error.offset, error.message, underlying: error)
        }
        let ts = timestamp(ptsMilliseconds: ptsMilliseconds)
        let frameID = nextFrameID
        nextFrameID &+= 1
        let overhead = 12 + headerExtensions.encodedSize
        for p in payloads {
            out.append(RTPSendPacket(media: media, ssrc: ssrc, payloadType: payloadType,
                                     sequenceNumber: nextSequenceNumber, timestamp: ts &+ p.timestampOffset,
                                     marker: p.marker, payload: p.payload, frameID: frameID,
                                     isKeyframe: isKeyframe && media == .video, isRetransmission: false,
                                     size: overhead + p.payload.count))
            nextSequenceNumber &+= 1
        }
        hasSentFrame = true
        lastFrame = (ts, now)
    }
}

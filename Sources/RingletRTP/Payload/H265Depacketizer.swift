/// Reassembles H.265 access units from RTP payloads (RFC 7798 without DONL (sprop-max-don-diff=0)): single NAL unit packets,
/// aggregation packets (type 48, §4.4.2) and fragmentation units (type 49, §4.4.3).
///
/// Contract (sans-IO): call `push` for each packet's payload in sequence-number order — the jitter buffer
/// upstream reorders; a packet not newer than the last accepted one is refused with `.outOfOrderPacket` and
/// changes nothing — then drain `nextOutput()`. A frame ends at the marker bit (`isComplete`) or when the
/// timestamp changes. A sequence gap drops the frame in progress and the frame of the packet after the gap and
/// outputs `.keyframeNeeded`. A malformed packet, or a frame over `maxFrameSize` or `maxNALUnitCount`, throws,
/// drops its frame (its later packets are ignored) and outputs `.keyframeNeeded`.
public struct H265Depacketizer: Sendable {
    private var core: NALDepacketizer

    /// Makes a depacketizer with the given limits.
    public init(configuration: VideoDepacketizerConfiguration = .default) {
        core = NALDepacketizer(format: .h265, configuration: configuration)
    }

    /// Frames dropped so far (loss, malformed packets, limits).
    public var droppedFrames: Int { core.droppedFrames }

    /// Takes the payload of one RTP packet.
    /// - Parameters:
    ///   - payload: the RTP payload (after the header, CSRCs, extension and padding).
    ///   - sequenceNumber: the packet's RTP sequence number.
    ///   - timestamp: the packet's RTP timestamp (90 kHz).
    ///   - marker: the packet's marker bit.
    /// - Throws: `PayloadFormatError` when the packet is refused: out of order, empty, truncated, an unsupported
    ///   packet type, a broken fragmentation unit, or a frame over a limit.
    public mutating func push(payload: ArraySlice<UInt8>, sequenceNumber: UInt16, timestamp: UInt32,
                              marker: Bool) throws(PayloadFormatError) {
        try core.push(payload: payload, sequenceNumber: sequenceNumber, timestamp: timestamp, marker: marker)
    }

    /// The next frame or keyframe request, oldest first; nil when there is none.
    public mutating func nextOutput() -> VideoDepacketizerOutput? { core.nextOutput() }

    /// Ends the frame in progress as if the timestamp had changed (at the end of a stream).
    public mutating func flush() { core.flush() }
}

extension H265Depacketizer {
    /// Whether this depacketizer can receive a stream with the SDP parameter `sprop-max-don-diff` (RFC 7798
    /// §7.1): only 0, because decoding order numbers (DONL fields) are not supported. An SDP answerer must not
    /// accept an offer with another value.
    public static func supports(spropMaxDonDiff: Int) -> Bool { spropMaxDonDiff == 0 }
}

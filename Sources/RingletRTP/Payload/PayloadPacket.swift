/// The payload of one RTP packet made by a packetizer, with the marker bit it needs.
///
/// Payload formats do not depend on an RTP packet type: the caller puts `payload` into an RTP packet with the
/// marker bit `marker` and the timestamp of the frame plus `timestampOffset`.
public struct PayloadPacket: Hashable, Sendable {
    /// The RTP payload bytes.
    public let payload: [UInt8]
    /// The RTP marker bit: for video, set on the last packet of an access unit (RFC 6184 §5.1, RFC 7798 §4.1);
    /// for audio, on the first packet after silence (RFC 3551 §4.1, RFC 7587 §4.1).
    public let marker: Bool
    /// What to add to the frame's RTP timestamp for this packet (non-zero only when one audio frame is split
    /// into several packets, as G.711 is).
    public let timestampOffset: UInt32

    /// Makes a packet payload.
    public init(payload: [UInt8], marker: Bool, timestampOffset: UInt32 = 0) {
        self.payload = payload
        self.marker = marker
        self.timestampOffset = timestampOffset
    }
}

/// A video access unit assembled by a depacketizer: NAL units in Annex B form with 4-byte start codes.
public struct EncodedVideoFrame: Hashable, Sendable {
    /// The access unit as an Annex B byte stream, every NAL unit preceded by `00 00 00 01`.
    public let annexB: [UInt8]
    /// The RTP timestamp shared by the frame's packets.
    public let timestamp: UInt32
    /// Whether the frame holds an IDR picture (H.264 type 5) or an IRAP picture (H.265 types 16–21).
    public let isKeyframe: Bool
    /// Whether the frame ended with the marker bit; false when its end was inferred from a timestamp change or
    /// a flush (no loss was seen, but the sender did not mark the end).
    public let isComplete: Bool
    /// Where each NAL unit (without its start code) lies in `annexB`.
    let nalRanges: [Range<Int>]

    /// Makes a frame from Annex B bytes and the ranges of its NAL units.
    init(annexB: [UInt8], nalRanges: [Range<Int>], timestamp: UInt32, isKeyframe: Bool, isComplete: Bool) {
        self.annexB = annexB
        self.nalRanges = nalRanges
        self.timestamp = timestamp
        self.isKeyframe = isKeyframe
        self.isComplete = isComplete
    }

    /// The frame's NAL units (headers included, start codes excluded), in order.
    public var nalUnits: [ArraySlice<UInt8>] { nalRanges.map { annexB[$0] } }

    /// How many NAL units the frame holds.
    public var nalUnitCount: Int { nalRanges.count }
}

/// What a video depacketizer hands back: a frame, or a request for a keyframe after loss or a dropped frame.
public enum VideoDepacketizerOutput: Hashable, Sendable {
    /// An assembled access unit.
    case frame(EncodedVideoFrame)
    /// A frame was dropped (sequence gap, malformed packet, over a limit): the decoder needs a keyframe, so the
    /// receiver should send PLI or FIR (RFC 4585 §6.3.1, RFC 5104 §4.3.1).
    case keyframeNeeded
}

/// One audio frame from a depacketizer.
public struct EncodedAudioFrame: Hashable, Sendable {
    /// The encoded frame (an Opus packet, or G.711 samples, one byte each).
    public let data: [UInt8]
    /// The RTP timestamp of the frame's first sample.
    public let timestamp: UInt32
    /// Samples the frame lasts, at the format's clock rate (48 kHz for Opus, 8 kHz for G.711).
    public let sampleCount: Int
    /// Whether one or more packets were lost just before this one (the decoder may conceal the gap).
    public let followsLoss: Bool

    /// Makes an audio frame.
    public init(data: [UInt8], timestamp: UInt32, sampleCount: Int, followsLoss: Bool) {
        self.data = data
        self.timestamp = timestamp
        self.sampleCount = sampleCount
        self.followsLoss = followsLoss
    }
}

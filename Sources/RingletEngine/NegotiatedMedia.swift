import RingletRTP
import RingletSDP

/// What offer/answer agreed for one media kind (RFC 3264, RFC 9429 §5.10): codec and payload type, directions,
/// header extension ids (RFC 8285), feedback (RFC 4585) and the SSRCs the peer announced (RFC 5576).
public struct NegotiatedMedia: Hashable, Sendable {
    /// Audio or video.
    public let kind: RTPSendMedia
    /// The m-section's `mid` (RFC 8843).
    public let mid: String?
    /// The codec chosen.
    public let codec: RingletCodec
    /// Its payload type, the same both ways (the answer keeps the offer's number).
    public let payloadType: UInt8
    /// Every payload type this side must accept from the peer, with its codec: the chosen one, and the other
    /// codecs of an answer with several that this side offered — the answerer may send any of them (RFC 3264
    /// §5.1, §6.1), and browsers send the first of the offer's order that they kept.
    public let receivePayloadTypes: [UInt8: RingletCodec]
    /// Whether this side sends this media.
    public let sends: Bool
    /// Whether this side receives it.
    public let receives: Bool
    /// The transport-wide-cc extension id, when negotiated.
    public let transportWideCCID: UInt8?
    /// The abs-send-time extension id, when negotiated.
    public let absSendTimeID: UInt8?
    /// The sdes:mid extension id, when negotiated.
    public let midID: UInt8?
    /// Whether generic NACK (RFC 4585 §6.2.1) was negotiated.
    public let nack: Bool
    /// Whether PLI (`nack pli`) was negotiated.
    public let pictureLossIndication: Bool
    /// Whether transport-wide feedback (`transport-cc`) was negotiated.
    public let transportCC: Bool
    /// The peer's SSRCs from `a=ssrc`; empty when it announced none (then learned by payload type or MID).
    public let remoteSSRCs: [UInt32]
}

/// What a datagram arriving on a WebRTC 5-tuple is, told from its first byte (RFC 7983 §7, updated by
/// RFC 9443 §3), without decoding it.
///
/// ```
///                  +----------------+
///                  |        [0..3] -+--> STUN
///                  |      [16..19] -+--> ZRTP
///      packet -->  |      [20..63] -+--> DTLS
///                  |      [64..79] -+--> TURN ChannelData
///                  |    [128..191] -+--> RTP/RTCP
///                  | [80..127], [192..255] -+--> QUIC
///                  +----------------+
/// ```
public enum DatagramKind: Hashable, Sendable {
    /// STUN (RFC 8489), first byte 0–3.
    case stun
    /// ZRTP (RFC 6189), first byte 16–19.
    case zrtp
    /// DTLS (RFC 6347/9147), first byte 20–63.
    case dtls
    /// TURN ChannelData (RFC 8656 §12.4), first byte 64–79.
    case turnChannelData
    /// RTP (RFC 3550), first byte 128–191 and not an RTCP packet type.
    case rtp
    /// RTCP (RFC 3550, multiplexed per RFC 5761 §4), first byte 128–191 and second byte 192–223.
    case rtcp
    /// QUIC (RFC 9443), first byte 80–127 or 192–255.
    case quic
    /// Nothing WebRTC uses: first byte 4–15, or an empty datagram, or an RTP-range first byte with no second.
    case unknown

    /// Classifies `datagram` by its first byte (and, for RTP/RTCP, its second). Never traps.
    @inlinable
    public static func classify<C: Collection>(_ datagram: C) -> DatagramKind where C.Element == UInt8 {
        guard let first = datagram.first else { return .unknown }
        switch first {
        case 0...3: return .stun
        case 16...19: return .zrtp
        case 20...63: return .dtls
        case 64...79: return .turnChannelData
        case 128...191:
            let secondIndex = datagram.index(after: datagram.startIndex)
            guard secondIndex < datagram.endIndex else { return .unknown }
            let second = datagram[secondIndex]
            return (192...223).contains(second) ? .rtcp : .rtp
        case 80...127, 192...255: return .quic
        default: return .unknown
        }
    }
}

import RingletCore

/// One RTCP packet of a compound packet (RFC 3550 §6.1), decoded by type.
///
/// Every packet starts with the common header:
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P| RC/FMT  |      PT       |             length            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// Types and feedback formats this module does not decode are kept as ``RTCPRawPacket`` and round-trip.
public enum RTCPPacket: Hashable, Sendable {
    /// SR (RFC 3550 §6.4.1).
    case senderReport(RTCPSenderReport)
    /// RR (RFC 3550 §6.4.2).
    case receiverReport(RTCPReceiverReport)
    /// SDES (RFC 3550 §6.5).
    case sourceDescription(RTCPSourceDescription)
    /// BYE (RFC 3550 §6.6).
    case goodbye(RTCPGoodbye)
    /// RTPFB generic NACK (RFC 4585 §6.2.1).
    case genericNACK(RTCPGenericNACK)
    /// PSFB picture loss indication (RFC 4585 §6.3.1).
    case pictureLossIndication(RTCPPictureLossIndication)
    /// PSFB full intra request (RFC 5104 §4.3.1).
    case fullIntraRequest(RTCPFullIntraRequest)
    /// PSFB application layer feedback carrying REMB (draft-alvestrand-rmcat-remb-03 §2.2).
    case receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate)
    /// RTPFB transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    case transportWideFeedback(RTCPTransportWideFeedback)
    /// Any other type or feedback format, kept raw.
    case raw(RTCPRawPacket)

    /// Bytes this packet takes on the wire (its header included, compound padding excluded).
    public var encodedSize: Int {
        switch self {
        case .senderReport(let p): p.encodedSize
        case .receiverReport(let p): p.encodedSize
        case .sourceDescription(let p): p.encodedSize
        case .goodbye(let p): p.encodedSize
        case .genericNACK(let p): p.encodedSize
        case .pictureLossIndication(let p): p.encodedSize
        case .fullIntraRequest(let p): p.encodedSize
        case .receiverEstimatedMaximumBitrate(let p): p.encodedSize
        case .transportWideFeedback(let p): p.encodedSize
        case .raw(let p): p.encodedSize
        }
    }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .senderReport(let p): p.encode(into: &writer)
        case .receiverReport(let p): p.encode(into: &writer)
        case .sourceDescription(let p): p.encode(into: &writer)
        case .goodbye(let p): p.encode(into: &writer)
        case .genericNACK(let p): p.encode(into: &writer)
        case .pictureLossIndication(let p): p.encode(into: &writer)
        case .fullIntraRequest(let p): p.encode(into: &writer)
        case .receiverEstimatedMaximumBitrate(let p): p.encode(into: &writer)
        case .transportWideFeedback(let p): p.encode(into: &writer)
        case .raw(let p): p.encode(into: &writer)
        }
    }

    /// Decodes one packet's body, given its header fields. `base` is the body's offset in the compound.
    static func decode(count: UInt8, type: RTCPPacketType, body: ArraySlice<UInt8>,
                       base: Int) throws(RTPError) -> RTCPPacket {
        switch type {
        case .senderReport:
            return .senderReport(try RTCPSenderReport(count: count, body: body, base: base))
        case .receiverReport:
            return .receiverReport(try RTCPReceiverReport(count: count, body: body, base: base))
        case .sourceDescription:
            return .sourceDescription(try RTCPSourceDescription(count: count, body: body, base: base))
        case .goodbye:
            return .goodbye(try RTCPGoodbye(count: count, body: body, base: base))
        case .transportFeedback:
            switch RTCPFeedbackFormat(rawValue: count) {
            case .genericNACK:
                return .genericNACK(try RTCPGenericNACK(body: body, base: base))
            case .transportWideCC:
                return .transportWideFeedback(try RTCPTransportWideFeedback(body: body, base: base))
            default: break
            }
        case .payloadSpecificFeedback:
            switch RTCPFeedbackFormat(rawValue: count) {
            case .pictureLossIndication:
                return .pictureLossIndication(try RTCPPictureLossIndication(body: body, base: base))
            case .fullIntraRequest:
                return .fullIntraRequest(try RTCPFullIntraRequest(body: body, base: base))
            case .applicationLayerFeedback where RTCPReceiverEstimatedMaximumBitrate.matches(body):
                return .receiverEstimatedMaximumBitrate(
                    try RTCPReceiverEstimatedMaximumBitrate(body: body, base: base))
            default: break
            }
        default: break
        }
        return .raw(RTCPRawPacket(unchecked: count, packetType: type, body: body))
    }

    /// Whether `bytes` could be an RTCP packet: at least a common header, version 2, and a second byte (the packet
    /// type) in 192–223 (RFC 5761 §4). Reads two bytes; never traps.
    @inlinable
    public static func looksLikeRTCP<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard bytes.count >= 4, let first = bytes.first else { return false }
        let second = bytes[bytes.index(after: bytes.startIndex)]
        return first >> 6 == 2 && (192...223).contains(second)
    }
}

/// An RTCP packet kept as its header fields and body: unknown types, and feedback formats not decoded here.
public struct RTCPRawPacket: Hashable, Sendable {
    /// The 5-bit count or FMT field.
    public let countOrFormat: UInt8
    /// The packet type.
    public let packetType: RTCPPacketType
    /// The bytes after the 4-byte common header (compound padding excluded).
    public let body: ArraySlice<UInt8>

    /// Makes a raw packet.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` when `countOrFormat` exceeds 5 bits; `.badLength` when the body is not
    ///   a whole number of 32-bit words or too long for the length field.
    public init(countOrFormat: UInt8, packetType: RTCPPacketType, body: ArraySlice<UInt8>) throws(RTPError) {
        guard countOrFormat <= 31 else {
            throw RTPError(.invalidValue, field: "RTCP.count", "\(countOrFormat) exceeds 5 bits")
        }
        guard body.count % 4 == 0, body.count / 4 <= Int(UInt16.max) else {
            throw RTPError(.badLength, field: "RTCP.raw", "body of \(body.count) bytes is not a whole number of words")
        }
        self.init(unchecked: countOrFormat, packetType: packetType, body: body)
    }

    init(unchecked countOrFormat: UInt8, packetType: RTCPPacketType, body: ArraySlice<UInt8>) {
        self.countOrFormat = countOrFormat
        self.packetType = packetType
        self.body = body
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { 4 + body.count }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: countOrFormat, type: packetType, bodyLength: body.count)
        writer.writeBytes(body)
    }
}

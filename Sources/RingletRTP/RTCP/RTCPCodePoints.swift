/// An RTCP packet type (RFC 3550 §12.1, IANA "RTP Control Protocol (RTCP) Control Packet Types").
/// Open: unknown values are kept and round-trip.
public struct RTCPPacketType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type's 8-bit code.
    public let rawValue: UInt8
    /// Makes a type from its code.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// SR, sender report (RFC 3550 §6.4.1).
    public static let senderReport = RTCPPacketType(rawValue: 200)
    /// RR, receiver report (RFC 3550 §6.4.2).
    public static let receiverReport = RTCPPacketType(rawValue: 201)
    /// SDES, source description (RFC 3550 §6.5).
    public static let sourceDescription = RTCPPacketType(rawValue: 202)
    /// BYE, goodbye (RFC 3550 §6.6).
    public static let goodbye = RTCPPacketType(rawValue: 203)
    /// APP, application-defined (RFC 3550 §6.7).
    public static let applicationDefined = RTCPPacketType(rawValue: 204)
    /// RTPFB, transport-layer feedback (RFC 4585 §6.2).
    public static let transportFeedback = RTCPPacketType(rawValue: 205)
    /// PSFB, payload-specific feedback (RFC 4585 §6.3).
    public static let payloadSpecificFeedback = RTCPPacketType(rawValue: 206)
    /// XR, extended report (RFC 3611).
    public static let extendedReport = RTCPPacketType(rawValue: 207)

    public var description: String { "RTCP type \(rawValue)" }
}

/// The 5-bit FMT of an RTCP feedback message (RFC 4585 §6.1); its meaning depends on the packet type
/// (RTPFB or PSFB). Open: unknown formats are kept as raw packets.
public struct RTCPFeedbackFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 5-bit format value.
    public let rawValue: UInt8
    /// Makes a format from its value.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// RTPFB 1: generic NACK (RFC 4585 §6.2.1).
    public static let genericNACK = RTCPFeedbackFormat(rawValue: 1)
    /// RTPFB 3: TMMBR (RFC 5104 §4.2.1).
    public static let temporaryMaximumBitrateRequest = RTCPFeedbackFormat(rawValue: 3)
    /// RTPFB 4: TMMBN (RFC 5104 §4.2.2).
    public static let temporaryMaximumBitrateNotification = RTCPFeedbackFormat(rawValue: 4)
    /// RTPFB 15: transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
    public static let transportWideCC = RTCPFeedbackFormat(rawValue: 15)
    /// PSFB 1: picture loss indication (RFC 4585 §6.3.1).
    public static let pictureLossIndication = RTCPFeedbackFormat(rawValue: 1)
    /// PSFB 2: slice loss indication (RFC 4585 §6.3.2).
    public static let sliceLossIndication = RTCPFeedbackFormat(rawValue: 2)
    /// PSFB 3: reference picture selection indication (RFC 4585 §6.3.3).
    public static let referencePictureSelectionIndication = RTCPFeedbackFormat(rawValue: 3)
    /// PSFB 4: full intra request (RFC 5104 §4.3.1).
    public static let fullIntraRequest = RTCPFeedbackFormat(rawValue: 4)
    /// PSFB 15: application layer feedback (RFC 4585 §6.4), used by REMB.
    public static let applicationLayerFeedback = RTCPFeedbackFormat(rawValue: 15)

    public var description: String { "FMT \(rawValue)" }
}

/// An SDES item type (RFC 3550 §6.5, §12.2). Open: unknown items are kept and round-trip.
public struct SDESItemType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The item's 8-bit type.
    public let rawValue: UInt8
    /// Makes an item type from its code.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// END, the end of a chunk's item list (RFC 3550 §6.5); never an item itself.
    public static let end = SDESItemType(rawValue: 0)
    /// CNAME, canonical end-point identifier (RFC 3550 §6.5.1).
    public static let cname = SDESItemType(rawValue: 1)
    /// NAME, user name (RFC 3550 §6.5.2).
    public static let name = SDESItemType(rawValue: 2)
    /// EMAIL (RFC 3550 §6.5.3).
    public static let email = SDESItemType(rawValue: 3)
    /// PHONE (RFC 3550 §6.5.4).
    public static let phone = SDESItemType(rawValue: 4)
    /// LOC, geographic location (RFC 3550 §6.5.5).
    public static let location = SDESItemType(rawValue: 5)
    /// TOOL, application or tool name (RFC 3550 §6.5.6).
    public static let tool = SDESItemType(rawValue: 6)
    /// NOTE (RFC 3550 §6.5.7).
    public static let note = SDESItemType(rawValue: 7)
    /// PRIV, private extension (RFC 3550 §6.5.8).
    public static let privateExtension = SDESItemType(rawValue: 8)

    public var description: String { "SDES item \(rawValue)" }
}

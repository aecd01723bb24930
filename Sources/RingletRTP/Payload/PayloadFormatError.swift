import RingletCore

/// Why a payload format refused its input: a malformed or unsupported RTP payload, an access unit that cannot be
/// packetized, or a configuration that is out of range.
///
/// One error type for the payload formats (RFC 6184, RFC 7798, RFC 7587, RFC 3551). `code` says what went wrong;
/// `field`, `offset` (from the start of the payload or access unit) and `message` say where and why.
///
/// ``CodedError`` in the ``PayloadFormatErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias PayloadFormatError = CodedError<PayloadFormatErrors>

/// Names PayloadFormatErrors ("Payload format") and holds their codes.
public enum PayloadFormatErrors: CodedErrorDomain {
    /// "Payload format".
    public static let name = "Payload format"
}

extension CodedError.Code where Domain == PayloadFormatErrors {
    /// The payload ended before a field it declares.
    public static var truncated: Self { Self("truncated") }
    /// The payload is empty.
    public static var emptyPayload: Self { Self("emptyPayload") }
    /// A packet type this depacketizer does not take (STAP-B, MTAP, FU-B, PACI, reserved types).
    public static var unsupportedPacketType: Self { Self("unsupportedPacketType") }
    /// A NAL unit type that may not appear where it was found (0, or an RTP-only type inside a packet).
    public static var invalidNALUnitType: Self { Self("invalidNALUnitType") }
    /// A fragmentation unit continued or ended a NAL unit that was never started.
    public static var fragmentWithoutStart: Self { Self("fragmentWithoutStart") }
    /// A fragmented NAL unit was interrupted (a new start, another packet, the end of the frame).
    public static var fragmentInterrupted: Self { Self("fragmentInterrupted") }
    /// A fragmentation unit header is invalid (start and end both set, type differs from the start).
    public static var invalidFragmentHeader: Self { Self("invalidFragmentHeader") }
    /// The assembled frame would exceed the configured maximum size.
    public static var frameTooLarge: Self { Self("frameTooLarge") }
    /// The assembled frame would exceed the configured maximum number of NAL units.
    public static var tooManyNALUnits: Self { Self("tooManyNALUnits") }
    /// A packet older than (or equal to) the last one accepted; it is ignored.
    public static var outOfOrderPacket: Self { Self("outOfOrderPacket") }
    /// An access unit is not an Annex B byte stream.
    public static var invalidAnnexB: Self { Self("invalidAnnexB") }
    /// A configuration value is out of range.
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
    /// A payload is larger than this format allows.
    public static var payloadTooLarge: Self { Self("payloadTooLarge") }
    /// An Opus packet's table-of-contents is invalid (RFC 6716 §3).
    public static var invalidOpusPacket: Self { Self("invalidOpusPacket") }
}

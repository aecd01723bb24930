/// Why a payload format refused its input: a malformed or unsupported RTP payload, an access unit that cannot be
/// packetized, or a configuration that is out of range.
///
/// One error type for the payload formats (RFC 6184, RFC 7798, RFC 7587, RFC 3551). `code` says what went wrong;
/// `field`, `offset` (from the start of the payload or access unit) and `message` say where and why.
public struct PayloadFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. Extensible: new codes may be added.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// A short stable name.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The payload ended before a field it declares.
        public static let truncated = Code(rawValue: "truncated")
        /// The payload is empty.
        public static let emptyPayload = Code(rawValue: "emptyPayload")
        /// A packet type this depacketizer does not take (STAP-B, MTAP, FU-B, PACI, reserved types).
        public static let unsupportedPacketType = Code(rawValue: "unsupportedPacketType")
        /// A NAL unit type that may not appear where it was found (0, or an RTP-only type inside a packet).
        public static let invalidNALUnitType = Code(rawValue: "invalidNALUnitType")
        /// A fragmentation unit continued or ended a NAL unit that was never started.
        public static let fragmentWithoutStart = Code(rawValue: "fragmentWithoutStart")
        /// A fragmented NAL unit was interrupted (a new start, another packet, the end of the frame).
        public static let fragmentInterrupted = Code(rawValue: "fragmentInterrupted")
        /// A fragmentation unit header is invalid (start and end both set, type differs from the start).
        public static let invalidFragmentHeader = Code(rawValue: "invalidFragmentHeader")
        /// The assembled frame would exceed the configured maximum size.
        public static let frameTooLarge = Code(rawValue: "frameTooLarge")
        /// The assembled frame would exceed the configured maximum number of NAL units.
        public static let tooManyNALUnits = Code(rawValue: "tooManyNALUnits")
        /// A packet older than (or equal to) the last one accepted; it is ignored.
        public static let outOfOrderPacket = Code(rawValue: "outOfOrderPacket")
        /// An access unit is not an Annex B byte stream.
        public static let invalidAnnexB = Code(rawValue: "invalidAnnexB")
        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// A payload is larger than this format allows.
        public static let payloadTooLarge = Code(rawValue: "payloadTooLarge")
        /// An Opus packet's table-of-contents is invalid (RFC 6716 §3).
        public static let invalidOpusPacket = Code(rawValue: "invalidOpusPacket")

        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The field being read or checked, if any.
    public let field: String?
    /// Offset in bytes from the start of the payload (or access unit) where the problem was found, if known.
    public let offset: Int?
    /// A human-readable explanation.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String? = nil, offset: Int? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var s = "payload format error \(code)"
        if let field { s += " in \(field)" }
        if let offset { s += " at offset \(offset)" }
        return s + ": " + message
    }
}

/// The one error type of `RingletEngine`: a code saying what kind of failure, the field or input it concerns,
/// and a message (with the underlying module's code and text when another module refused something).
public struct EngineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; open so later versions can add codes.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let rawValue: String
        /// Makes a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's name.
        public var description: String { rawValue }

        /// The configuration is invalid (a module refused part of it).
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// The call is not allowed in the current signaling or connection state (RFC 9429 §3.2, §4.1).
        public static let invalidState = Code(rawValue: "invalidState")
        /// The SDP text does not parse, or lacks what WebRTC needs (ICE credentials, fingerprint, BUNDLE).
        public static let malformedDescription = Code(rawValue: "malformedDescription")
        /// The SDP parses but offers or answers nothing Ringlet can use (no common codec, `holdconn`, …).
        public static let unsupportedDescription = Code(rawValue: "unsupportedDescription")
        /// A trickled candidate does not parse or is not usable (FQDN/mDNS, TCP).
        public static let invalidCandidate = Code(rawValue: "invalidCandidate")
        /// Media cannot be sent yet: DTLS is not connected (wait for `.readyToSend`).
        public static let notConnected = Code(rawValue: "notConnected")
        /// No stream of that media kind was negotiated in the sending direction.
        public static let noSuchMedia = Code(rawValue: "noSuchMedia")
        /// The first video frame of a stream must be a keyframe (RingletRTP's `firstFrameNotKeyframe`, the
        /// device SDK's -306).
        public static let firstFrameNotKeyframe = Code(rawValue: "firstFrameNotKeyframe")
        /// The payload format refused the frame (empty, too large, not Annex B).
        public static let invalidFrame = Code(rawValue: "invalidFrame")
        /// A cryptographic component (ICE HMAC, DTLS context, SRTP keys) could not be set up.
        public static let cryptoFailure = Code(rawValue: "cryptoFailure")
    }

    /// What kind of failure.
    public let code: Code
    /// The field, attribute or input concerned (e.g. `a=fingerprint`, `candidate`, `sendVideo`).
    public let field: String
    /// Byte offset or 1-based SDP line, when known.
    public let offset: Int?
    /// What went wrong, in words (with the underlying module's error when there is one).
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String, offset: Int? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.offset = offset
        self.message = message
    }

    /// `Engine <code> at <field>[@offset]: <message>`.
    public var description: String {
        "Engine \(code) at \(field)\(offset.map { "@\($0)" } ?? ""): \(message)"
    }
}

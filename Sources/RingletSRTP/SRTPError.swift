/// Why SRTP or SRTCP could not protect or unprotect a packet, or could not set up a context (RFC 3711 §3.3, §3.4).
///
/// One error type for the module: an open `code` plus context saying what failed and where. Every failure on a
/// path reachable from network bytes is reported this way; nothing traps.
public struct SRTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Open: new codes may be added.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The packet is shorter than its header, trailer or tag says it must be.
        public static let truncated = Code(rawValue: "truncated")
        /// The header is not an RTP/RTCP header this context can handle (version, lengths).
        public static let malformedHeader = Code(rawValue: "malformedHeader")
        /// The packet is larger than the context accepts (64 KiB).
        public static let packetTooLarge = Code(rawValue: "packetTooLarge")
        /// The authentication tag (HMAC-SHA1 or GCM tag) does not verify (RFC 3711 §3.3 step 5).
        public static let authenticationFailed = Code(rawValue: "authenticationFailed")
        /// The packet index was already received (RFC 3711 §3.3.2).
        public static let replayed = Code(rawValue: "replayed")
        /// The packet index is older than the replay window (RFC 3711 §3.3.2).
        public static let tooOld = Code(rawValue: "tooOld")
        /// A new SSRC arrived while the context already tracks its maximum number of streams.
        public static let tooManyStreams = Code(rawValue: "tooManyStreams")
        /// The SRTP (2^48) or SRTCP (2^31) index space of the session key is used up; re-key (RFC 3711 §9.2).
        public static let indexExhausted = Code(rawValue: "indexExhausted")
        /// A master key or salt has the wrong length for the profile.
        public static let invalidKeyLength = Code(rawValue: "invalidKeyLength")
        /// The protection profile is not one this module implements.
        public static let unsupportedProfile = Code(rawValue: "unsupportedProfile")
        /// The configuration is out of range.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// OpenSSL refused an operation (allocation or cipher failure).
        public static let cryptoFailure = Code(rawValue: "cryptoFailure")

        public var description: String { rawValue }
    }

    /// What kind of failure.
    public let code: Code
    /// The field or step concerned (e.g. "RTP header extension", "SRTCP index").
    public let field: String
    /// Byte offset in the packet where the problem was found, when there is one.
    public let offset: Int?
    /// A human-readable detail.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String, offset: Int? = nil, message: String = "") {
        self.code = code
        self.field = field
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var s = "SRTP \(code.rawValue): \(field)"
        if let offset { s += " at offset \(offset)" }
        if !message.isEmpty { s += ": \(message)" }
        return s
    }
}

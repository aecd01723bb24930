/// Why a media stream reader refused its input (an Ogg page, an Opus header, an Annex B byte stream, a frame
/// size): what went wrong, at which byte of the stream, and why.
///
/// One error type for the readers of this module. Extensible: new codes may be added (STYLE.md §5).
public struct MediaStreamError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// A short stable name.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The bytes are not the container they should be (no `OggS`, a bad CRC, an unknown version).
        public static let invalidContainer = Code(rawValue: "invalidContainer")
        /// The stream's header is missing or says something this reader does not take (not Opus, multistream
        /// Opus, an Annex B stream without a start code).
        public static let unsupportedStream = Code(rawValue: "unsupportedStream")
        /// A frame or packet is larger than the reader's limit.
        public static let frameTooLarge = Code(rawValue: "frameTooLarge")
        /// A packet or frame is malformed (an Opus packet whose TOC does not parse, an access unit without a slice).
        public static let invalidFrame = Code(rawValue: "invalidFrame")
        /// The stream ended in the middle of a page, packet or access unit.
        public static let truncated = Code(rawValue: "truncated")
        /// An H.264 stream in a profile WebRTC peers do not decode (e.g. High): re-encode in Constrained Baseline.
        public static let unsupportedProfile = Code(rawValue: "unsupportedProfile")

        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The byte of the stream where it was found (from the stream's first byte).
    public let offset: Int64
    /// A human-readable explanation that says what to change.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, offset: Int64, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(code) at byte \(offset): \(message)" }
}

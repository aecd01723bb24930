/// Why a session description could not be parsed, read as WebRTC, or answered.
///
/// One error type for the whole module (RFC 8866 parsing, the JSEP view of RFC 9429, and the answerer).
/// `line` is the 1-based line number and `offset` the byte offset of that line in the input when the error
/// comes from the text; `mediaIndex` names the m-section (0-based) when the error comes from the typed view or
/// the answerer.
public struct SDPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. An open set: new codes can be added without breaking callers.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A readable rendering for logs and test failures.
        public var description: String { rawValue }

        /// The input is larger than `SessionDescription.maximumSize`.
        public static let tooLarge = Code(rawValue: "tooLarge")
        /// The input has more lines than `SessionDescription.maximumLineCount`, or more m-sections than
        /// `SessionDescription.maximumMediaCount`.
        public static let tooManyLines = Code(rawValue: "tooManyLines")
        /// A line is not valid UTF-8, or holds NUL or a bare CR (RFC 8866 §9 `text`).
        public static let invalidText = Code(rawValue: "invalidText")
        /// A line is not `<letter>=<value>` (RFC 8866 §5), or is empty.
        public static let malformedLine = Code(rawValue: "malformedLine")
        /// A line's type letter is not one RFC 8866 defines (§5: such a description must be rejected).
        public static let unknownLineType = Code(rawValue: "unknownLineType")
        /// A line appears where RFC 8866 §5 grammar does not allow it (wrong order or repeated).
        public static let lineOutOfOrder = Code(rawValue: "lineOutOfOrder")
        /// A required line (`v=`, `o=`, `s=`, `t=`) is missing.
        public static let missingLine = Code(rawValue: "missingLine")
        /// A number is not a decimal integer in range (leading zeros are refused so that text round-trips).
        public static let invalidNumber = Code(rawValue: "invalidNumber")
        /// A field has the wrong number of tokens, or a token is empty or holds a forbidden character.
        public static let invalidField = Code(rawValue: "invalidField")
        /// An attribute the WebRTC view reads has a malformed value.
        public static let invalidAttribute = Code(rawValue: "invalidAttribute")
        /// An attribute that may appear once appears more than once in the same scope.
        public static let duplicateAttribute = Code(rawValue: "duplicateAttribute")
        /// No offered m-section has a codec the local side supports (RFC 9429 §5.3.1).
        public static let noCommonCodec = Code(rawValue: "noCommonCodec")
        /// An m-section to be accepted has no `ice-ufrag`/`ice-pwd` (RFC 8839 §5.4).
        public static let missingICECredentials = Code(rawValue: "missingICECredentials")
        /// An m-section to be accepted has no `fingerprint` (RFC 8122 §5).
        public static let missingFingerprint = Code(rawValue: "missingFingerprint")
        /// The offer's `setup` role cannot be answered (RFC 8842 §5.1: `holdconn` or unknown).
        public static let unsupportedSetup = Code(rawValue: "unsupportedSetup")
        /// The description is not an offer this answerer can use (e.g. no m-section at all).
        public static let unsupportedOffer = Code(rawValue: "unsupportedOffer")
    }

    /// What went wrong.
    public let code: Code
    /// 1-based line number in the parsed text, when known.
    public let line: Int?
    /// Byte offset of the start of that line in the parsed text, when known.
    public let offset: Int?
    /// 0-based index of the m-section concerned, when known.
    public let mediaIndex: Int?
    /// The field or attribute concerned (e.g. `"o"`, `"rtpmap"`, `"candidate"`).
    public let field: String
    /// A human-readable explanation.
    public let message: String

    /// Makes an error.
    public init(
        _ code: Code, line: Int? = nil, offset: Int? = nil, mediaIndex: Int? = nil, field: String, _ message: String
    ) {
        self.code = code
        self.line = line
        self.offset = offset
        self.mediaIndex = mediaIndex
        self.field = field
        self.message = message
    }

    /// This error with the line number and offset filled in.
    func at(line: Int, offset: Int) -> SDPError {
        SDPError(code, line: line, offset: offset, mediaIndex: mediaIndex, field: field, message)
    }

    /// This error with the m-section index filled in.
    func inMedia(_ index: Int) -> SDPError {
        SDPError(code, line: line, offset: offset, mediaIndex: index, field: field, message)
    }

    /// A readable rendering for logs and test failures.
    public var description: String {
        var s = "SDP \(code)"
        if let line { s += " at line \(line)" }
        if let offset { s += " (offset \(offset))" }
        if let mediaIndex { s += " in m-section \(mediaIndex)" }
        return s + " [\(field)]: \(message)"
    }
}

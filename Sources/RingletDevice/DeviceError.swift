import RingletCall
import RingletEngine
import RingletSignaling

/// The one error type of the device SDK: what failed, with context. The seed-compatible facade maps each code
/// (and ``seedCode`` when the server refused with one) to the seed's integer in one table (`SeedResultCodes`).
///
/// Codes are static constants, so the set can grow without breaking callers (STYLE.md §5).
public struct DeviceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable {
        /// The raw value.
        public let rawValue: String
        /// Makes a code.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The SN is longer than 128 bytes.
        public static let snTooLong = Code(rawValue: "snTooLong")
        /// The SN is empty or has characters outside `[A-Za-z0-9_-]`.
        public static let snCharacters = Code(rawValue: "snCharacters")
        /// The model id is empty, longer than 64 bytes or has characters outside `[A-Za-z0-9_-]`.
        public static let modelInvalid = Code(rawValue: "modelInvalid")
        /// Another argument or configuration value is unusable (empty, too long, out of range).
        public static let invalidArgument = Code(rawValue: "invalidArgument")
        /// The device has no credentials yet: register it with an SN ticket first.
        public static let notRegistered = Code(rawValue: "notRegistered")
        /// The credentials file belongs to another SN, model, app or server: wipe the data folder to re-bind.
        public static let identityMismatch = Code(rawValue: "identityMismatch")
        /// The credentials file cannot be read or parsed.
        public static let credentialsCorrupt = Code(rawValue: "credentialsCorrupt")
        /// The credentials file could not be written.
        public static let storageFailed = Code(rawValue: "storageFailed")
        /// The SN ticket is unknown, expired, used, or for another SN.
        public static let ticketInvalid = Code(rawValue: "ticketInvalid")
        /// Not connected to the signaling server.
        public static let offline = Code(rawValue: "offline")
        /// A call is already ringing or in progress.
        public static let busy = Code(rawValue: "busy")
        /// The server refused the request (``DeviceError/seedCode`` says why).
        public static let refused = Code(rawValue: "refused")
        /// The server did not answer in time.
        public static let timeout = Code(rawValue: "timeout")
        /// The server answered with something unexpected.
        public static let serverError = Code(rawValue: "serverError")
        /// The call named is not the device's current call (a wrong room id).
        public static let unknownCall = Code(rawValue: "unknownCall")
        /// There is no call to act on.
        public static let noCall = Code(rawValue: "noCall")
        /// No stream is started (or the visitor, channel or stream type is not the started stream's).
        public static let noStream = Code(rawValue: "noStream")
        /// A frame is larger than the configured maximum.
        public static let frameTooLarge = Code(rawValue: "frameTooLarge")
        /// The first video frame of a stream must be an IDR.
        public static let needKeyframe = Code(rawValue: "needKeyframe")
        /// The frame's encoding is not the one declared for the stream (or not one the call negotiated).
        public static let formatMismatch = Code(rawValue: "formatMismatch")
        /// The send queue is above the high watermark: wait for `P2P_WATERMARK_LOW`.
        public static let sendBufferFull = Code(rawValue: "sendBufferFull")
        /// The frame could not be packetized (e.g. no NAL unit in it).
        public static let invalidFrame = Code(rawValue: "invalidFrame")
        /// An H.264 stream in a profile the call cannot carry (High, Main): the message says what to change.
        public static let unsupportedProfile = Code(rawValue: "unsupportedProfile")
        /// The device was stopped.
        public static let stopped = Code(rawValue: "stopped")
        /// A blocking method of the facade was called on a Swift concurrency thread (inside a task), where it
        /// must not wait: call it from a thread of your own, or use the native async API.
        public static let wouldBlock = Code(rawValue: "wouldBlock")
    }

    /// The typed error of a lower layer that this one stands for (one chain, not text).
    public enum Cause: Hashable, Sendable {
        /// The signaling server's `error` message.
        case server(ErrorMessage)
        /// The signaling or HTTP client (connection, TLS, authentication).
        case client(CallClientError)
        /// The media engine (a frame it could not send, a description it refused).
        case engine(EngineError)
    }

    /// What failed.
    public let code: Code
    /// The seed's code the server gave, when it refused a request with one.
    public let seedCode: SeedCode?
    /// A human-readable explanation (no secrets, no peer addresses).
    public let message: String
    /// The lower layer's error this one stands for, when there is one.
    public let cause: Cause?

    /// Makes an error.
    public init(_ code: Code, seedCode: SeedCode? = nil, _ message: String, cause: Cause? = nil) {
        self.code = code
        self.seedCode = seedCode
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var text = "\(code.rawValue)\(seedCode.map { " (\($0))" } ?? ""): \(message)"
        switch cause {
        case .server(let e)?: text += " [server \(e.code.rawValue)]"
        case .client(let e)?: text += " [client \(e.code.rawValue)]"
        case .engine(let e)?: text += " [engine \(e.code)]"
        case nil: break
        }
        return text
    }
}

/// The seed's rules for device identities (DESIGN.md, tencent-sdk-notes §3.1).
public enum DeviceIdentityRules {
    /// Checks an SN: at most 128 bytes, non-empty, only `[A-Za-z0-9_-]`.
    public static func validateSN(_ sn: String) throws(DeviceError) {
        guard sn.utf8.count <= 128 else { throw DeviceError(.snTooLong, "the SN is longer than 128 bytes") }
        guard !sn.isEmpty, sn.utf8.allSatisfy(isIdentifierByte) else {
            throw DeviceError(.snCharacters, "the SN must be non-empty and only [A-Za-z0-9_-]")
        }
    }

    /// Checks a model id: 1 to 64 bytes of `[A-Za-z0-9_-]`.
    public static func validateModel(_ model: String) throws(DeviceError) {
        guard !model.isEmpty, model.utf8.count <= 64, model.utf8.allSatisfy(isIdentifierByte) else {
            throw DeviceError(.modelInvalid, "the model id must be 1 to 64 bytes of [A-Za-z0-9_-]")
        }
    }

    static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }
}

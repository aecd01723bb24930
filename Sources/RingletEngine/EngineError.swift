import RingletCore

/// The one error type of `RingletEngine`: a code saying what kind of failure, the field or input it concerns,
/// and a message (with the underlying module's code and text when another module refused something).
///
/// ``CodedError`` in the ``EngineErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias EngineError = CodedError<EngineErrors>

/// Names EngineErrors ("Engine") and holds their codes.
public enum EngineErrors: CodedErrorDomain {
    /// "Engine".
    public static let name = "Engine"
}

extension CodedError.Code where Domain == EngineErrors {
    /// The configuration is invalid (a module refused part of it).
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
    /// The call is not allowed in the current signaling or connection state (RFC 9429 §3.2, §4.1).
    public static var invalidState: Self { Self("invalidState") }
    /// The SDP text does not parse, or lacks what WebRTC needs (ICE credentials, fingerprint, BUNDLE).
    public static var malformedDescription: Self { Self("malformedDescription") }
    /// The SDP parses but offers or answers nothing Ringlet can use (no common codec, `holdconn`, …).
    public static var unsupportedDescription: Self { Self("unsupportedDescription") }
    /// A trickled candidate does not parse or is not usable (FQDN/mDNS, TCP).
    public static var invalidCandidate: Self { Self("invalidCandidate") }
    /// Media cannot be sent yet: DTLS is not connected (wait for `.readyToSend`).
    public static var notConnected: Self { Self("notConnected") }
    /// No stream of that media kind was negotiated in the sending direction.
    public static var noSuchMedia: Self { Self("noSuchMedia") }
    /// The first video frame of a stream must be a keyframe (RingletRTP's `firstFrameNotKeyframe`, the
    /// device SDK's -306).
    public static var firstFrameNotKeyframe: Self { Self("firstFrameNotKeyframe") }
    /// The payload format refused the frame (empty, too large, not Annex B).
    public static var invalidFrame: Self { Self("invalidFrame") }
    /// A cryptographic component (ICE HMAC, DTLS context, SRTP keys) could not be set up.
    public static var cryptoFailure: Self { Self("cryptoFailure") }
}

import RingletCore
import RingletICE
import RingletRTP

/// The connection state of a ``PeerConnection``, named like `RTCPeerConnectionState` (W3C WebRTC §4.3.3):
/// the combination of the ICE and DTLS states.
public enum PeerConnectionState: String, Hashable, Sendable {
    /// Nothing has happened yet.
    case new
    /// ICE is checking or DTLS is handshaking.
    case connecting
    /// ICE has a selected pair and DTLS is connected: media flows.
    case connected
    /// ICE lost consent on the selected pair (RFC 7675); it may come back.
    case disconnected
    /// ICE failed, consent expired, or DTLS failed (e.g. a wrong fingerprint). The connection is over.
    case failed
    /// ``PeerConnection/close(now:)`` was called.
    case closed
}

/// The path media takes, reported when ICE selects a pair.
public struct SelectedPath: Hashable, Sendable {
    /// The local candidate's type (host, srflx, prflx, relay).
    public let localType: ICECandidate.Kind
    /// The remote candidate's type.
    public let remoteType: ICECandidate.Kind
    /// Whether either end is a TURN relay.
    public let relayed: Bool
    /// The remote candidate's address (a peer address: redact it in logs).
    public let remoteAddress: TransportAddress
}

/// Something the application should know; drained with ``PeerConnection/pollEvent()``.
public enum PeerConnectionEvent: Hashable, Sendable {
    /// A local candidate to trickle to the peer: the SDP `candidate:` text (RFC 8840 §4.4).
    case localCandidate(String)
    /// Local gathering is finished: signal end-of-candidates (RFC 8838 §4.3).
    case gatheringComplete
    /// The connection state changed.
    case connectionStateChanged(PeerConnectionState)
    /// The ICE connection state changed.
    case iceConnectionStateChanged(ICEAgent.ConnectionState)
    /// ICE selected a (new) pair.
    case selectedPath(SelectedPath)
    /// DTLS is connected and SRTP keyed: send the first IDR now.
    case readyToSend
    /// A whole video frame (Annex B access unit) arrived.
    case videoFrame(RTPReceivedFrame)
    /// A whole audio frame arrived.
    case audioFrame(RTPReceivedFrame)
    /// The peer asked for a keyframe (PLI/FIR), or the sender dropped frames: encode an IDR.
    case keyframeRequested
    /// The send queue crossed a watermark (upwards when `rising`).
    case watermark(RTPSendWatermark, rising: Bool, queueBytes: Int)
    /// The sender dropped `count` whole video frames over its queue limit.
    case framesDropped(count: Int)
}

import RingletSignaling

/// Something the device application should know (the native API's events; the seed-compatible facade turns each
/// into the seed's callback). Delivered in order.
public enum DeviceEvent: Sendable {
    /// Authenticated with the server; `serverTime` is the server's clock (Unix ms) — the seed's `onOnline`.
    case online(serverTime: Int64)
    /// The signaling connection is down — the seed's `onOffline`.
    case offline(OfflineStatus)
    /// A media-path notification (peer ready, watermarks, peer error) — the seed's `onNotify`.
    case notification(AVTNotification, StreamContext?)
    /// A command from the call (outcomes, the peer's camera/microphone, custom data, keyframe requests) — the
    /// seed's `onRecvCommand`. `args` carries `USR_DATA`'s text.
    case command(AVTCommand, StreamContext?, args: String?)
    /// The call is answered and its media connected: start sending in `format` (what the peer chose among the
    /// encodings the device declared) — the seed's `onGetAvEncInfo` then `onStartRealPlay`.
    case streamStarted(StreamContext, StreamFormat)
    /// The stream ended — the seed's `onStopRealPlay`.
    case streamStopped(StreamContext)
    /// The first frame of a kind arrived — `onStartRecvAudioStream` / `onStartRecvVideoStream`.
    case receiveStarted(StreamContext, ReceivedStreamInfo)
    /// The peer's streams ended — `onStopRecvStream`.
    case receiveStopped(StreamContext)
    /// A whole received frame — `onRecvStream`.
    case frame(StreamContext, ReceivedFrame)
    /// The peer's public address on the selected path — `onGetPeerOuterNet`.
    case peerAddress(StreamContext, String)
    /// A user calls the device: answer with ``RingletDevice/join(callId:answer:)`` — `onJoinNotify`.
    case joinRequested(callId: String, openId: String, kind: CallKind)
    /// The user's call was cancelled (or timed out) before the device answered — `onCancelNotify`.
    case callCancelled(callId: String)
    /// A user authorized or revoked the device — `onUpdateAuthorizeStatus`.
    case authorizationChanged(openId: String, authorized: Bool)
    /// The call is over (always the last event of a call).
    case callEnded(callId: String, reason: CallEndReason)
}

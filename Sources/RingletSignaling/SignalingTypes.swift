// Small value types shared by client and server messages (docs/protocol.md, "Types").

/// Audio only, or audio and video (the seed's callType AUDIO 0 / VIDEO 1).
public enum CallKind: String, Codable, Sendable, CaseIterable {
    case audio, video
}

/// The build of the callee app a call reaches (the seed's `voip_wxa_type`: release, debug, trial).
public enum CallChannel: String, Codable, Sendable, CaseIterable {
    case release, debug, trial
}

/// How a call ended or progressed, as told to a party (the seed's `onRecvCommand` CALL_* values).
public enum CallEvent: String, Codable, Sendable, CaseIterable {
    /// The callee answered (CALL_ANSWER); for a user→device call, the device accepted.
    case answer
    /// The callee rejected (CALL_REJECT); for a user→device call, the device refused.
    case reject
    /// The callee is busy (CALL_BUSY).
    case busy
    /// Nobody answered before the ring timeout (CALL_TIMEOUT).
    case timeout
    /// The caller gave up before an answer (CALL_CANCEL).
    case cancel
    /// The other party hung up (CALL_HANG_UP).
    case hangUp = "hang_up"
    /// The other party's session vanished (network loss); the seed shows only `onStopRealPlay`.
    case peerGone = "peer_gone"
}

/// A device's reply to a user's call (the seed's `doWxCloudVoipJoinV2` ACCEPT 0 / BUSY 9 / REFUSE 11).
public enum JoinAnswer: String, Codable, Sendable, CaseIterable {
    case accept, busy, refuse
}

/// Which side of the SDP offer/answer exchange (RFC 3264) a description is.
public enum SDPType: String, Codable, Sendable, CaseIterable {
    case offer, answer
}

/// Whether a user lets a device call them.
public enum AuthorizationStatus: String, Codable, Sendable, CaseIterable {
    case authorized, revoked
}

/// One STUN/TURN server for `RTCPeerConnection`'s `iceServers` (W3C WebRTC `RTCIceServer`); TURN entries carry
/// short-lived credentials in the TURN REST convention.
public struct ICEServer: Codable, Sendable, Hashable {
    /// `stun:host:port`, `turn:host:port?transport=udp`, …
    public let urls: [String]
    /// The TURN REST username (`expiry:id`); nil for STUN.
    public let username: String?
    /// The TURN REST password; nil for STUN.
    public let credential: String?

    /// Makes an entry.
    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }
}

/// An authorized user of a device, as the device sees it.
public struct AuthorizedUser: Codable, Sendable, Hashable {
    /// The user's openId in the device's app.
    public let openId: String
    /// When the user last authorized the device (Unix ms).
    public let updatedAt: Int64

    /// Makes an entry.
    public init(openId: String, updatedAt: Int64) {
        self.openId = openId
        self.updatedAt = updatedAt
    }
}

// The payloads of signaling messages: each is the JSON object of one message without its `v` and `type`.

/// `auth_device`: the device's answer to `challenge` (docs/protocol.md, "Device authentication").
public struct AuthDevice: Codable, Sendable, Hashable {
    /// The device's SN.
    public let sn: String
    /// DER ECDSA-SHA256 signature of `"ringlet-device-auth-v1:" + nonce bytes`, base64url.
    public let signature: String
    public init(sn: String, signature: String) { self.sn = sn; self.signature = signature }
}

/// `auth_user`: a user session's token (`rlu_…`).
public struct AuthUser: Codable, Sendable, Hashable {
    public let token: String
    public init(token: String) { self.token = token }
}

/// `call`: the device calls a user (the seed's `doWxCloudVoipCall`); answered by `call_result`.
public struct CallRequest: Codable, Sendable, Hashable {
    public let requestId: String
    /// The callee's openId in the device's app.
    public let openId: String
    public let kind: CallKind
    /// The callee app build whose sessions ring.
    public let channel: CallChannel
    /// The device's camera is on (the seed's caller_camera_switch).
    public let callerCamera: Bool
    /// The user's camera should be on (the seed's callee_camera_switch).
    public let calleeCamera: Bool
    /// The device sends its video while it rings, before the answer (early video, an opt-in of the device;
    /// absent: false). One ringing session may take it (docs/protocol.md "Early video").
    public let earlyMedia: Bool?
    public init(requestId: String, openId: String, kind: CallKind, channel: CallChannel, callerCamera: Bool,
                calleeCamera: Bool, earlyMedia: Bool? = nil) {
        self.requestId = requestId
        self.openId = openId
        self.kind = kind
        self.channel = channel
        self.callerCamera = callerCamera
        self.calleeCamera = calleeCamera
        self.earlyMedia = earlyMedia
    }
}

/// `answer`, `reject`, `busy`, `cancel`, `hang_up`: an action on one call; answered by `ack` or `error` when
/// `requestId` is present.
public struct CallAction: Codable, Sendable, Hashable {
    public let callId: String
    public let requestId: String?
    /// Why a `hang_up` ends an answered call, when it is not the person's choice (absent: they hung up).
    public let reason: HangUpReason?
    public init(callId: String, requestId: String? = nil, reason: HangUpReason? = nil) {
        self.callId = callId
        self.requestId = requestId
        self.reason = reason
    }
}

/// Why a party ends an answered call by itself (`hang_up`'s `reason`).
public enum HangUpReason: String, Codable, Sendable, CaseIterable {
    /// The media path was lost (ICE consent expired, or media never connected after the answer): the call is
    /// recorded as dropped (`peer_gone`), and the other party is told `peer_gone`, not `hang_up`.
    case mediaLost = "media_lost"
}

/// `call_device`: a user calls a device (the seed's WeChat → device call); answered by `call_result`.
public struct CallDeviceRequest: Codable, Sendable, Hashable {
    public let requestId: String
    public let sn: String
    public let kind: CallKind
    public init(requestId: String, sn: String, kind: CallKind) {
        self.requestId = requestId
        self.sn = sn
        self.kind = kind
    }
}

/// `join`: the device's answer to `join_notify` (the seed's `doWxCloudVoipJoinV2`).
public struct JoinRequest: Codable, Sendable, Hashable {
    public let callId: String
    public let answer: JoinAnswer
    public let requestId: String?
    public init(callId: String, answer: JoinAnswer, requestId: String? = nil) {
        self.callId = callId
        self.answer = answer
        self.requestId = requestId
    }
}

/// `sdp`: a session description for the other party of a call (relayed unchanged).
public struct SessionDescription: Codable, Sendable, Hashable {
    public let callId: String
    /// `offer` or `answer` (named `sdpType` because `type` is the message type).
    public let sdpType: SDPType
    public let sdp: String
    public init(callId: String, sdpType: SDPType, sdp: String) {
        self.callId = callId
        self.sdpType = sdpType
        self.sdp = sdp
    }
}

/// `candidate`: one trickled ICE candidate (RFC 8838) for the other party; `candidate == ""` is
/// end-of-candidates (as `RTCIceCandidate` signals it).
public struct ICECandidate: Codable, Sendable, Hashable {
    public let callId: String
    /// The `candidate:` attribute value, or "" for end-of-candidates.
    public let candidate: String
    /// The media section's `a=mid`.
    public let mid: String?
    /// The media section's index.
    public let mLineIndex: Int?
    public init(callId: String, candidate: String, mid: String?, mLineIndex: Int? = nil) {
        self.callId = callId
        self.candidate = candidate
        self.mid = mid
        self.mLineIndex = mLineIndex
    }
    /// True for the end-of-candidates marker.
    public var isEndOfCandidates: Bool { candidate.isEmpty }
}

/// `command`: a custom command for the other party (the seed's `sendCommand` / `USR_DATA`).
public struct CustomCommand: Codable, Sendable, Hashable {
    public let callId: String
    public let name: String
    /// Free text (often JSON) chosen by the app.
    public let data: String
    public init(callId: String, name: String, data: String) {
        self.callId = callId
        self.name = name
        self.data = data
    }
}

/// `av_state`: a party turned its camera or microphone on or off (the seed's `CALL_AV_*`).
public struct AVState: Codable, Sendable, Hashable {
    public let callId: String
    public let camera: Bool
    public let microphone: Bool
    public init(callId: String, camera: Bool, microphone: Bool) {
        self.callId = callId
        self.camera = camera
        self.microphone = microphone
    }
}

/// `notice` from a device: a message for its authorized users (the seed's `sendMsgNotice`).
public struct NoticeRequest: Codable, Sendable, Hashable {
    public let requestId: String?
    /// The device's notice id or kind.
    public let kind: Int
    public let text: String
    public init(requestId: String? = nil, kind: Int, text: String) {
        self.requestId = requestId
        self.kind = kind
        self.text = text
    }
}

/// A message that carries only an optional `requestId` (`authorized_users`, `ping`, `pong`, `ack`).
public struct RequestReference: Codable, Sendable, Hashable {
    public let requestId: String?
    public init(requestId: String? = nil) { self.requestId = requestId }
}

/// `challenge`: the server's first message to a device session.
public struct Challenge: Codable, Sendable, Hashable {
    /// 32 random bytes, base64url.
    public let nonce: String
    /// The server's time, Unix ms.
    public let serverTime: Int64
    public init(nonce: String, serverTime: Int64) { self.nonce = nonce; self.serverTime = serverTime }
}

/// `welcome`: authentication succeeded (the seed's `onOnline` time, and ICE servers for `P2P_PEER_READY`).
public struct Welcome: Codable, Sendable, Hashable {
    /// The server's time, Unix ms.
    public let serverTime: Int64
    public let iceServers: [ICEServer]
    /// The device's SN (device sessions).
    public let sn: String?
    /// The app the device or user belongs to.
    public let appId: String
    /// The user's id and openId (user sessions).
    public let userId: String?
    public let openId: String?
    /// The user session's channel (user sessions).
    public let channel: CallChannel?
    public init(serverTime: Int64, iceServers: [ICEServer], sn: String? = nil, appId: String, userId: String? = nil,
                openId: String? = nil, channel: CallChannel? = nil) {
        self.serverTime = serverTime
        self.iceServers = iceServers
        self.sn = sn
        self.appId = appId
        self.userId = userId
        self.openId = openId
        self.channel = channel
    }
}

/// `call_result`: the answer to `call` or `call_device`. `code` 0 means the ring (or join notification) was
/// delivered; then `callId` names the call and `iceServers` carries fresh TURN credentials for it.
public struct CallResult: Codable, Sendable, Hashable {
    public let requestId: String
    public let code: SeedCode
    public let callId: String?
    public let message: String?
    public let iceServers: [ICEServer]?
    public init(requestId: String, code: SeedCode, callId: String? = nil, message: String? = nil,
                iceServers: [ICEServer]? = nil) {
        self.requestId = requestId
        self.code = code
        self.callId = callId
        self.message = message
        self.iceServers = iceServers
    }
}

/// `ring`: a device calls this user session.
public struct Ring: Codable, Sendable, Hashable {
    public let callId: String
    public let sn: String
    /// The device's name (the caller name).
    public let deviceName: String
    public let kind: CallKind
    public let callerCamera: Bool
    public let calleeCamera: Bool
    /// Fresh ICE servers with TURN credentials for this call.
    public let iceServers: [ICEServer]
    /// The device sends its video while it rings: a ringing session may answer the device's offer at once,
    /// sending nothing, to show it (docs/protocol.md "Early video"). Absent: false.
    public let earlyMedia: Bool?
    public init(callId: String, sn: String, deviceName: String, kind: CallKind, callerCamera: Bool,
                calleeCamera: Bool, iceServers: [ICEServer], earlyMedia: Bool? = nil) {
        self.callId = callId
        self.sn = sn
        self.deviceName = deviceName
        self.kind = kind
        self.callerCamera = callerCamera
        self.calleeCamera = calleeCamera
        self.iceServers = iceServers
        self.earlyMedia = earlyMedia
    }
}

/// `ring_stop`: stop ringing; `reason` is `answer` (answered on another session), `cancel`, `timeout` or
/// `peer_gone`.
public struct RingStop: Codable, Sendable, Hashable {
    public let callId: String
    public let reason: CallEvent
    public init(callId: String, reason: CallEvent) { self.callId = callId; self.reason = reason }
}

/// `call_event`: what happened to a call this session is a party of (the seed's `onRecvCommand` CALL_*).
public struct CallEventMessage: Codable, Sendable, Hashable {
    public let callId: String
    public let event: CallEvent
    /// With `answer` of an early-video call: the session that answered is not the one that took the early
    /// video, so the device starts its media again (a new offer) for it. Absent: false.
    public let restartMedia: Bool?
    public init(callId: String, event: CallEvent, restartMedia: Bool? = nil) {
        self.callId = callId
        self.event = event
        self.restartMedia = restartMedia
    }
}

/// `join_notify`: a user calls this device (the seed's `onJoinNotify(roomId)`).
public struct JoinNotify: Codable, Sendable, Hashable {
    public let callId: String
    public let openId: String
    public let kind: CallKind
    /// Fresh ICE servers with TURN credentials for this call.
    public let iceServers: [ICEServer]
    public init(callId: String, openId: String, kind: CallKind, iceServers: [ICEServer]) {
        self.callId = callId
        self.openId = openId
        self.kind = kind
        self.iceServers = iceServers
    }
}

/// `notice` to a user: a device's notice, as stored.
public struct Notice: Codable, Sendable, Hashable {
    public let id: String
    public let sn: String
    public let kind: Int
    public let text: String
    public let createdAt: Int64
    public init(id: String, sn: String, kind: Int, text: String, createdAt: Int64) {
        self.id = id
        self.sn = sn
        self.kind = kind
        self.text = text
        self.createdAt = createdAt
    }
}

/// `authorization`: a user authorized or revoked this device (the seed's `onUpdateAuthorizeStatus`).
public struct AuthorizationUpdate: Codable, Sendable, Hashable {
    public let openId: String
    public let status: AuthorizationStatus
    public init(openId: String, status: AuthorizationStatus) { self.openId = openId; self.status = status }
}

/// `authorized_users` from the server: the answer to the device's query.
public struct AuthorizedUsers: Codable, Sendable, Hashable {
    public let requestId: String?
    public let users: [AuthorizedUser]
    public init(requestId: String?, users: [AuthorizedUser]) { self.requestId = requestId; self.users = users }
}

/// `error`: a request failed or a message was refused. When the session cannot go on, a close follows. An `Error`
/// too, so a client's error can keep the server's as its underlying cause.
public struct ErrorMessage: Codable, Sendable, Hashable, Error {
    public let requestId: String?
    public let code: SignalingError.Code
    /// The seed's code, when the seed has one for this failure.
    public let seedCode: SeedCode?
    public let message: String
    public init(requestId: String? = nil, code: SignalingError.Code, seedCode: SeedCode? = nil, message: String) {
        self.requestId = requestId
        self.code = code
        self.seedCode = seedCode
        self.message = message
    }
}

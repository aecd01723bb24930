import RingletSignaling

/// One sample of every message, used by the round-trip and mutation tests.
enum MessageSamples {
    static let ice = [
        ICEServer(urls: ["stun:127.0.0.1:3478"]),
        ICEServer(urls: ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"],
                  username: "1700000600:call_0011223344556677", credential: "c2VjcmV0"),
    ]

    static let client: [ClientMessage] = [
        .authDevice(AuthDevice(sn: "SN_1-a", signature: "MEUCIQ")),
        .authUser(AuthUser(token: "rlu_abc")),
        .call(CallRequest(requestId: "r1", openId: "oid_0123456789abcdef01234567", kind: .video, channel: .release,
                          callerCamera: true, calleeCamera: false)),
        .answer(CallAction(callId: "call_1", requestId: "r2")),
        .reject(CallAction(callId: "call_1")),
        .busy(CallAction(callId: "call_1")),
        .cancel(CallAction(callId: "call_1", requestId: "r3")),
        .hangUp(CallAction(callId: "call_1")),
        .callDevice(CallDeviceRequest(requestId: "r4", sn: "SN1", kind: .audio)),
        .join(JoinRequest(callId: "call_2", answer: .accept, requestId: "r5")),
        .join(JoinRequest(callId: "call_2", answer: .refuse)),
        .sdp(SessionDescription(callId: "call_1", sdpType: .offer, sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n")),
        .candidate(ICECandidate(callId: "call_1", candidate: "candidate:1 1 udp 2122260223 10.0.0.2 5000 typ host",
                                mid: "0", mLineIndex: 0)),
        .candidate(ICECandidate(callId: "call_1", candidate: "", mid: nil)),
        .command(CustomCommand(callId: "call_1", name: "open_door", data: "{\"door\":1}")),
        .avState(AVState(callId: "call_1", camera: false, microphone: true)),
        .notice(NoticeRequest(requestId: "r6", kind: 7, text: "Someone at the door — 门铃")),
        .authorizedUsers(RequestReference(requestId: "r7")),
        .ping(RequestReference(requestId: "p1")),
        .pong(RequestReference()),
    ]

    static let server: [ServerMessage] = [
        .challenge(Challenge(nonce: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", serverTime: 1_700_000_000_000)),
        .welcome(Welcome(serverTime: 1_700_000_000_001, iceServers: ice, sn: "SN1", appId: "app_0123456789abcdef")),
        .welcome(Welcome(serverTime: 1, iceServers: [], appId: "app_0123456789abcdef", userId: "usr_0123456789abcdef",
                         openId: "oid_0123456789abcdef01234567", channel: .debug)),
        .callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1", iceServers: ice)),
        .callResult(CallResult(requestId: "r1", code: .notAuthorized, message: "not authorized")),
        .callResult(CallResult(requestId: "r1", code: SeedCode(rawValue: -24))),
        .ring(Ring(callId: "call_1", sn: "SN1", deviceName: "Front door", kind: .video, callerCamera: true,
                   calleeCamera: false, iceServers: ice)),
        .ringStop(RingStop(callId: "call_1", reason: .answer)),
        .callEvent(CallEventMessage(callId: "call_1", event: .peerGone)),
        .joinNotify(JoinNotify(callId: "call_2", openId: "oid_x", kind: .audio, iceServers: ice)),
        .sdp(SessionDescription(callId: "call_1", sdpType: .answer, sdp: "v=0\r\n")),
        .candidate(ICECandidate(callId: "call_1", candidate: "candidate:2 1 udp 1 1.2.3.4 9 typ relay", mid: "1")),
        .command(CustomCommand(callId: "call_1", name: "n", data: "")),
        .avState(AVState(callId: "call_1", camera: true, microphone: false)),
        .notice(Notice(id: "ntc_0123456789abcdef", sn: "SN1", kind: 3, text: "low battery", createdAt: 5)),
        .authorization(AuthorizationUpdate(openId: "oid_x", status: .revoked)),
        .authorizedUsers(AuthorizedUsers(requestId: "r7", users: [AuthorizedUser(openId: "oid_x", updatedAt: 9)])),
        .ack(RequestReference(requestId: "r2")),
        .error(ErrorMessage(requestId: "r3", code: .refused, seedCode: .busy, message: "busy")),
        .error(ErrorMessage(code: .tooLarge, message: "too large")),
        .ping(RequestReference()),
        .pong(RequestReference(requestId: "p1")),
    ]
}

import Foundation
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTURN
import Testing

@Suite("Call router: device calls user")
struct CallRouterDeviceCallTests {
    @Test("answered then hang-up: both sides hear it and the store keeps answer and end times")
    func answeredThenHangUp() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let (result, outputs) = await f.call(from: device)
        let callID = try #require(result?.callId)
        #expect(result?.code == .ok)
        #expect(outputs.messages(to: alice).compactMap(\.ring).map(\.callId) == [callID])
        #expect(try await f.record(callID)?.outcome == .ringing)

        f.now += 3_000
        let answered = await f.handle(alice, .answer(CallAction(callId: callID, requestId: "a1")))
        #expect(answered.messages(to: device).compactMap(\.callEvent) == [.answer])
        #expect(answered.messages(to: alice) == [.ack(RequestReference(requestId: "a1"))])
        #expect(try await f.record(callID)?.outcome == .active)

        f.now += 10_000
        let hungUp = await f.handle(device, .hangUp(CallAction(callId: callID)))
        #expect(hungUp.messages(to: alice).compactMap(\.callEvent) == [.hangUp])
        #expect(hungUp.messages(to: device).isEmpty)
        let record = try #require(try await f.record(callID))
        #expect(record.outcome == .completed)
        #expect(record.answeredAt == 1_700_000_003_000)
        #expect(record.endedAt == 1_700_000_013_000)
        #expect(record.durationMs == 10_000)
        #expect(hungUp.endedCalls.map(\.outcome) == [.completed])
    }

    @Test("reject: the device gets CALL_REJECT and the call is stored as rejected")
    func reject() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        let outputs = await f.handle(alice, .reject(CallAction(callId: callID)))
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.reject])
        #expect(try await f.record(callID)?.outcome == .rejected)
        #expect(try await f.record(callID)?.answeredAt == nil)
    }

    @Test("busy callee: the user declines as busy and the device gets CALL_BUSY")
    func busyAnswer() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        let outputs = await f.handle(alice, .busy(CallAction(callId: callID)))
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.busy])
        #expect(try await f.record(callID)?.outcome == .busy)
    }

    @Test("busy second caller: another device calling a user in a call gets -303")
    func busySecondCaller() async throws {
        let f = try await CallRouterFixture()
        let door = try await f.openDevice()
        let gate = try await f.openDevice(CallRouterFixture.sn2)
        _ = try await f.openUser()
        #expect(await f.call(from: door).result?.code == .ok)
        let second = await f.call(from: gate).result
        #expect(second?.code == .busy)
        #expect(second?.callId == nil)
    }

    @Test("busy caller: a device already in a call gets -303 calling someone else")
    func busyCaller() async throws {
        let f = try await CallRouterFixture()
        let door = try await f.openDevice()
        _ = try await f.openUser()
        _ = try await f.openUser(CallRouterFixture.bob)
        #expect(await f.call(from: door).result?.code == .ok)
        #expect(await f.call(from: door, to: CallRouterFixture.bobOpenID).result?.code == .busy)
    }

    @Test("ring timeout: after 60 s unanswered the device gets CALL_TIMEOUT and the phone stops ringing")
    func ringTimeout() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        #expect(f.router.pollTimeout() == f.now + 60_000)
        f.router.handleTimeout(now: f.now + 59_999)
        #expect(await f.drain().isEmpty)
        f.router.handleTimeout(now: f.now + 60_000)
        let outputs = await f.drain()
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.timeout])
        #expect(outputs.messages(to: alice).compactMap(\.ringStopReason) == [.timeout])
        #expect(try await f.record(callID)?.outcome == .timeout)
        #expect(f.router.pollTimeout() == nil)
    }

    @Test("the ring timeout is configurable")
    func configurableTimeout() async throws {
        let f = try await CallRouterFixture(ringTimeoutMs: 30_000)
        let device = try await f.openDevice()
        _ = try await f.openUser()
        _ = await f.call(from: device)
        #expect(f.router.pollTimeout() == f.now + 30_000)
    }

    @Test("cancel: the caller gives up and every ringing session stops")
    func cancel() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        let outputs = await f.handle(device, .cancel(CallAction(callId: callID)))
        #expect(outputs.messages(to: alice).compactMap(\.ringStopReason) == [.cancel])
        #expect(try await f.record(callID)?.outcome == .cancelled)
    }

    @Test("hang-up before the answer is a cancel (the seed's doWxCloudVoipHangUp while ringing)")
    func hangUpWhileRinging() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        let outputs = await f.handle(device, .hangUp(CallAction(callId: callID)))
        #expect(outputs.messages(to: alice).compactMap(\.ringStopReason) == [.cancel])
        #expect(try await f.record(callID)?.outcome == .cancelled)
    }

    @Test("first answer wins among two sessions; the other stops ringing and cannot answer")
    func firstAnswerWins() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let phone = try await f.openUser()
        let laptop = try await f.openUser()
        let (result, rang) = await f.call(from: device)
        let callID = try #require(result?.callId)
        #expect(rang.messages(to: phone).compactMap(\.ring).count == 1)
        #expect(rang.messages(to: laptop).compactMap(\.ring).count == 1)
        let answered = await f.handle(laptop, .answer(CallAction(callId: callID)))
        #expect(answered.messages(to: phone).compactMap(\.ringStopReason) == [.answer])
        #expect(answered.messages(to: device).compactMap(\.callEvent) == [.answer])
        let late = await f.handle(phone, .answer(CallAction(callId: callID, requestId: "late")))
        #expect(late.messages(to: phone).compactMap(\.errorCode) == [.unknownCall])
        #expect(late.messages(to: device).isEmpty)
    }

    @Test("only sessions of the call's channel ring")
    func channelFilter() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let release = try await f.openUser(channel: .release)
        let debug = try await f.openUser(channel: .debug)
        let (result, outputs) = await f.call(from: device, channel: .debug)
        #expect(result?.code == .ok)
        #expect(outputs.messages(to: debug).compactMap(\.ring).count == 1)
        #expect(outputs.messages(to: release).isEmpty)
    }

    @Test("no open session of the callee on the channel: -308 and nothing stored")
    func noSession() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        _ = try await f.openUser(channel: .trial)
        let result = await f.call(from: device).result
        #expect(result?.code == .failed)
        #expect(try await f.store.calls(appID: nil, sn: CallRouterFixture.sn, userID: nil, limit: 10).isEmpty)
    }

    @Test("peer gone: the answering session vanishes mid-call and the device is told")
    func peerGone() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        _ = await f.handle(alice, .answer(CallAction(callId: callID)))
        f.now += 5_000
        f.router.sessionClosed(alice, now: f.now)
        let outputs = await f.drain()
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.peerGone])
        let record = try #require(try await f.record(callID))
        #expect(record.outcome == .peerGone)
        #expect(record.endedAt == f.now)
    }

    @Test("peer gone: the device vanishes mid-call and the user is told")
    func devicePeerGone() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        _ = await f.handle(alice, .answer(CallAction(callId: callID)))
        f.router.sessionClosed(device, now: f.now)
        #expect(await f.drain().messages(to: alice).compactMap(\.callEvent) == [.peerGone])
        #expect(try await f.record(callID)?.outcome == .peerGone)
    }

    @Test("one of two ringing sessions closing keeps the call ringing on the other")
    func ringingSessionCloses() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let phone = try await f.openUser()
        let laptop = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        f.router.sessionClosed(phone, now: f.now)
        #expect(await f.drain().isEmpty)
        let answered = await f.handle(laptop, .answer(CallAction(callId: callID)))
        #expect(answered.messages(to: device).compactMap(\.callEvent) == [.answer])
    }
}

@Suite("Call router: refusals with the seed's codes")
struct CallRouterRefusalTests {
    @Test("not authorized: -9")
    func notAuthorized() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        _ = try await f.openUser(CallRouterFixture.carol)
        #expect(await f.call(from: device, to: CallRouterFixture.carolOpenID).result?.code == .notAuthorized)
    }

    @Test("quota exhausted: -15 once the app's calls are used up")
    func quota() async throws {
        let f = try await CallRouterFixture(callQuota: 1)
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        _ = await f.handle(device, .cancel(CallAction(callId: callID)))
        #expect(await f.call(from: device).result?.code == .quotaExhausted)
        _ = alice
    }

    @Test("release not approved: -12 on the release channel, debug still rings")
    func releaseNotApproved() async throws {
        let f = try await CallRouterFixture(releaseApproved: false)
        let device = try await f.openDevice()
        _ = try await f.openUser(channel: .release)
        _ = try await f.openUser(channel: .debug)
        #expect(await f.call(from: device, channel: .release).result?.code == .releaseNotApproved)
        #expect(await f.call(from: device, channel: .debug).result?.code == .ok)
    }

    @Test("unknown openId: -7")
    func unknownOpenID() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        #expect(await f.call(from: device, to: "oid_000000000000000000000000").result?.code == .openIdError)
    }

    @Test("openId of another app: -19")
    func otherApp() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        #expect(await f.call(from: device, to: CallRouterFixture.strangerOpenID).result?.code == .openIdOtherApp)
    }

    @Test("malformed openId: -20", arguments: ["", "alice", "oid_XYZ", "oid_aaaaaaaaaaaaaaaaaaaaaaa", "oid_AAAAAAAAAAAAAAAAAAAAAAA1"])
    func malformedOpenID(_ openID: String) async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        #expect(await f.call(from: device, to: openID).result?.code == .openIdInvalid)
    }

    @Test("a user cannot place a device call: not_allowed")
    func userCannotCall() async throws {
        let f = try await CallRouterFixture()
        let alice = try await f.openUser()
        let outputs = await f.handle(alice, .call(CallRequest(requestId: "x", openId: CallRouterFixture.bobOpenID, kind: .audio,
                                                        channel: .release, callerCamera: false, calleeCamera: false)))
        #expect(outputs.messages(to: alice).compactMap(\.errorCode) == [.notAllowed])
    }

    @Test("revoked authorization is pushed to the device and the next call gets -9")
    func revoked() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        _ = try await f.openUser()
        let revocation = AuthorizationRecord(userID: CallRouterFixture.alice, sn: CallRouterFixture.sn, status: .revoked,
                                             updatedAt: f.now)
        try await f.store.setAuthorization(revocation)
        try await f.authorizationChanged(revocation)
        #expect(await f.drain().messages(to: device) == [
            .authorization(AuthorizationUpdate(openId: CallRouterFixture.aliceOpenID, status: .revoked)),
        ])
        #expect(await f.call(from: device).result?.code == .notAuthorized)
    }
}

@Suite("Call router: user calls device")
struct CallRouterUserCallTests {
    @Test("user calls device: accept, busy and refuse reach the user as answer, busy and reject",
          arguments: [(JoinAnswer.accept, CallEvent.answer, CallRecord.Outcome.active),
                      (.busy, .busy, .busy), (.refuse, .reject, .rejected)])
    func join(_ answer: JoinAnswer, _ event: CallEvent, _ outcome: CallRecord.Outcome) async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let outputs = await f.handle(alice, .callDevice(CallDeviceRequest(requestId: "cd", sn: CallRouterFixture.sn, kind: .video)))
        let result = try #require(outputs.messages(to: alice).compactMap(\.callResult).first)
        let callID = try #require(result.callId)
        #expect(result.code == .ok)
        let notify = outputs.messages(to: device)
        #expect(notify.count == 1)
        guard case .joinNotify(let join) = notify.first else {
            Issue.record("no join_notify: \(notify)")
            return
        }
        #expect(join.callId == callID)
        #expect(join.openId == CallRouterFixture.aliceOpenID)
        let replied = await f.handle(device, .join(JoinRequest(callId: callID, answer: answer)))
        #expect(replied.messages(to: alice).compactMap(\.callEvent) == [event])
        #expect(try await f.record(callID)?.outcome == outcome)
    }

    @Test("user calls device, then hangs up: the device gets CALL_HANG_UP")
    func hangUp() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let outputs = await f.handle(alice, .callDevice(CallDeviceRequest(requestId: "cd", sn: CallRouterFixture.sn, kind: .audio)))
        let callID = try #require(outputs.messages(to: alice).compactMap(\.callResult).first?.callId)
        _ = await f.handle(device, .join(JoinRequest(callId: callID, answer: .accept)))
        let hung = await f.handle(alice, .hangUp(CallAction(callId: callID)))
        #expect(hung.messages(to: device).compactMap(\.callEvent) == [.hangUp])
        #expect(try await f.record(callID)?.outcome == .completed)
    }

    @Test("a party whose media died hangs up with media_lost: stored as dropped, the other side told peer_gone", arguments: [
        true, false,
    ])
    func mediaLost(byDevice: Bool) async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let (result, _) = await f.call(from: device)
        let callID = try #require(result?.callId)
        _ = await f.handle(alice, .answer(CallAction(callId: callID)))
        let (from, to) = byDevice ? (device, alice) : (alice, device)
        let ended = await f.handle(from, .hangUp(CallAction(callId: callID, requestId: "h", reason: .mediaLost)))
        #expect(ended.messages(to: to).compactMap(\.callEvent) == [.peerGone])
        #expect(ended.messages(to: from) == [.ack(RequestReference(requestId: "h"))])
        #expect(try await f.record(callID)?.outcome == .peerGone)
    }

    @Test("user cancels before the device joins: the device gets CALL_CANCEL")
    func cancel() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let outputs = await f.handle(alice, .callDevice(CallDeviceRequest(requestId: "cd", sn: CallRouterFixture.sn, kind: .audio)))
        let callID = try #require(outputs.messages(to: alice).compactMap(\.callResult).first?.callId)
        let cancelled = await f.handle(alice, .cancel(CallAction(callId: callID)))
        #expect(cancelled.messages(to: device).compactMap(\.callEvent) == [.cancel])
        #expect(try await f.record(callID)?.outcome == .cancelled)
    }

    @Test("device offline: -1001; unknown device: -1001; not authorized: -9")
    func refusals() async throws {
        let f = try await CallRouterFixture()
        let alice = try await f.openUser()
        let carol = try await f.openUser(CallRouterFixture.carol)
        func code(_ session: SessionID, _ sn: String) async -> SeedCode? {
            await f.handle(session, .callDevice(CallDeviceRequest(requestId: "cd", sn: sn, kind: .audio)))
                .messages(to: session).compactMap(\.callResult).first?.code
        }
        #expect(await code(alice, CallRouterFixture.sn) == .notRegistered)
        #expect(await code(alice, "SN_NOBODY") == .notRegistered)
        _ = try await f.openDevice()
        #expect(await code(carol, CallRouterFixture.sn) == .notAuthorized)
        #expect(await code(alice, CallRouterFixture.sn) == .ok)
        #expect(await code(alice, CallRouterFixture.sn) == .busy)
    }
}

@Suite("Call router: relay, notices, sessions")
struct CallRouterRelayTests {
    @Test("sdp is relayed only to the other party")
    func sdpRelayedOnlyToOtherParty() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let phone = try await f.openUser()
        let laptop = try await f.openUser()
        let bob = try await f.openUser(CallRouterFixture.bob)
        let callID = try #require(await f.call(from: device).result?.callId)
        _ = await f.handle(laptop, .answer(CallAction(callId: callID)))
        let offer = SessionDescription(callId: callID, sdpType: .offer, sdp: "v=0\r\n")
        let fromDevice = await f.handle(device, .sdp(offer))
        #expect(fromDevice.recipients == [laptop])
        #expect(fromDevice.messages(to: laptop) == [.sdp(offer)])
        let answerSDP = SessionDescription(callId: callID, sdpType: .answer, sdp: "v=0\r\ns=-\r\n")
        #expect(await f.handle(laptop, .sdp(answerSDP)).messages(to: device) == [.sdp(answerSDP)])
        // Neither the other session of the same user nor another user can inject.
        let intruder = await f.handle(bob, .sdp(offer))
        #expect(intruder.recipients == [bob])
        #expect(intruder.messages(to: bob).compactMap(\.errorCode) == [.unknownCall])
        let sibling = await f.handle(phone, .candidate(ICECandidate(callId: callID, candidate: "", mid: "0")))
        #expect(sibling.recipients == [phone])
    }

    @Test("while ringing, the device's offer reaches every ringing session and theirs are refused")
    func ringingRelay() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let phone = try await f.openUser()
        let laptop = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        let candidate = ICECandidate(callId: callID, candidate: "candidate:1 1 udp 1 10.0.0.1 9 typ host", mid: "0")
        #expect(await f.handle(device, .candidate(candidate)).recipients == [phone, laptop])
        #expect(await f.handle(phone, .candidate(candidate)).messages(to: phone).compactMap(\.errorCode) == [.invalidState])
    }

    @Test("commands and camera/microphone state are relayed between the parties")
    func commandsAndAVState() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        _ = await f.handle(alice, .answer(CallAction(callId: callID)))
        let command = CustomCommand(callId: callID, name: "open_door", data: "{}")
        #expect(await f.handle(alice, .command(command)).messages(to: device) == [.command(command)])
        let state = AVState(callId: callID, camera: false, microphone: true)
        #expect(await f.handle(alice, .avState(state)).messages(to: device) == [.avState(state)])
    }

    @Test("a notice is stored for each authorized user and pushed to their open sessions")
    func notices() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let carol = try await f.openUser(CallRouterFixture.carol)
        let outputs = await f.handle(device, .notice(NoticeRequest(requestId: "n1", kind: 3, text: "motion")))
        #expect(outputs.messages(to: device) == [.ack(RequestReference(requestId: "n1"))])
        guard case .notice(let pushed) = outputs.messages(to: alice).first else {
            Issue.record("no notice pushed")
            return
        }
        #expect(pushed.text == "motion")
        #expect(outputs.messages(to: carol).isEmpty)
        #expect(try await f.store.notices(userID: CallRouterFixture.alice, unreadOnly: true, limit: 10).map(\.text) == ["motion"])
        #expect(try await f.store.notices(userID: CallRouterFixture.bob, unreadOnly: true, limit: 10).map(\.kind) == [3])
        #expect(try await f.store.notices(userID: CallRouterFixture.carol, unreadOnly: true, limit: 10).isEmpty)
    }

    @Test("authorized_users answers the openIds of the users who authorized the device")
    func authorizedUsers() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let outputs = await f.handle(device, .authorizedUsers(RequestReference(requestId: "q")))
        guard case .authorizedUsers(let answer) = outputs.messages(to: device).first else {
            Issue.record("no answer")
            return
        }
        #expect(answer.requestId == "q")
        #expect(answer.users.map(\.openId) == [CallRouterFixture.aliceOpenID, CallRouterFixture.bobOpenID])
    }

    @Test("a session gets welcome with the server time and TURN credentials that verify with the secret")
    func welcome() async throws {
        let f = try await CallRouterFixture()
        try await f.sessionOpened(SessionID(rawValue: 99), identity: .device(sn: CallRouterFixture.sn))
        guard case .send(_, .welcome(let welcome)) = await f.drain().first else {
            Issue.record("no welcome")
            return
        }
        #expect(welcome.serverTime == f.now)
        #expect(welcome.sn == CallRouterFixture.sn)
        let turn = try #require(welcome.iceServers.first { $0.username != nil })
        let username = try #require(turn.username)
        #expect(TURNRESTCredential.expiry(ofUsername: username) == UInt64(f.now / 1000 + 600))
        #expect(try TURNRESTCredential.password(username: username, secret: CallRouterFixture.secret) == turn.credential)
    }

    @Test("a reconnecting device replaces its old session, which is closed")
    func replaced() async throws {
        let f = try await CallRouterFixture()
        let old = try await f.openDevice()
        try await f.sessionOpened(SessionID(rawValue: 50), identity: .device(sn: CallRouterFixture.sn))
        #expect(await f.drain().first == .close(old, .replaced))
        #expect(f.router.sessionCounts.devices == 1)
    }

    @Test("a user session whose profile is not of its app (no openId read) is closed at once")
    func unknownUser() async throws {
        let f = try await CallRouterFixture()
        f.router.sessionOpened(SessionID(rawValue: 5), identity: .user(userID: "usr_ghost", appID: CallRouterFixture.appID,
                                                                       channel: .release),
                               profile: SessionProfile(appID: CallRouterFixture.otherAppID), now: f.now)
        #expect(await f.drain() == [.close(SessionID(rawValue: 5), .unknownIdentity)])
        #expect(f.router.sessionCounts.users == 0)
    }

    @Test("ping is answered with pong and the same requestId")
    func ping() async throws {
        let f = try await CallRouterFixture()
        let alice = try await f.openUser()
        #expect(await f.handle(alice, .ping(RequestReference(requestId: "p"))) == [.send(alice, .pong(RequestReference(requestId: "p")))])
    }

    @Test("a device is online while its session is open, and only then")
    func onlineDevices() async throws {
        let f = try await CallRouterFixture()
        let both = [CallRouterFixture.sn, CallRouterFixture.sn2, "SN_GHOST"]
        #expect(f.router.onlineDevices(among: both).isEmpty)
        let door = try await f.openDevice()
        _ = try await f.openUser()
        #expect(f.router.onlineDevices(among: both) == [CallRouterFixture.sn])
        f.router.sessionClosed(door, now: f.now)
        #expect(f.router.onlineDevices(among: both).isEmpty)
    }
}

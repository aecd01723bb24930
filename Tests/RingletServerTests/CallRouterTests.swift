import Foundation
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTURN
import Testing

@Suite("Call router: device calls user")
struct CallRouterDeviceCallTests {
    @Test("answered then hang-up: both sides hear it and the store keeps answer and end times")
    func answeredThenHangUp() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let (result, outputs) = f.call(from: device)
        let callID = try #require(result?.callId)
        #expect(result?.code == .ok)
        #expect(outputs.messages(to: alice).compactMap(\.ring).map(\.callId) == [callID])
        #expect(try f.record(callID)?.outcome == .ringing)

        f.now += 3_000
        let answered = f.handle(alice, .answer(CallAction(callId: callID, requestId: "a1")))
        #expect(answered.messages(to: device).compactMap(\.callEvent) == [.answer])
        #expect(answered.messages(to: alice) == [.ack(RequestReference(requestId: "a1"))])
        #expect(try f.record(callID)?.outcome == .active)

        f.now += 10_000
        let hungUp = f.handle(device, .hangUp(CallAction(callId: callID)))
        #expect(hungUp.messages(to: alice).compactMap(\.callEvent) == [.hangUp])
        #expect(hungUp.messages(to: device).isEmpty)
        let record = try #require(try f.record(callID))
        #expect(record.outcome == .completed)
        #expect(record.answeredAt == 1_700_000_003_000)
        #expect(record.endedAt == 1_700_000_013_000)
        #expect(record.durationMs == 10_000)
        #expect(hungUp.endedCalls.map(\.outcome) == [.completed])
    }

    @Test("reject: the device gets CALL_REJECT and the call is stored as rejected")
    func reject() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        let outputs = f.handle(alice, .reject(CallAction(callId: callID)))
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.reject])
        #expect(try f.record(callID)?.outcome == .rejected)
        #expect(try f.record(callID)?.answeredAt == nil)
    }

    @Test("busy callee: the user declines as busy and the device gets CALL_BUSY")
    func busyAnswer() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        let outputs = f.handle(alice, .busy(CallAction(callId: callID)))
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.busy])
        #expect(try f.record(callID)?.outcome == .busy)
    }

    @Test("busy second caller: another device calling a user in a call gets -303")
    func busySecondCaller() throws {
        let f = try CallRouterFixture()
        let door = f.openDevice()
        let gate = f.openDevice(CallRouterFixture.sn2)
        _ = f.openUser()
        #expect(f.call(from: door).result?.code == .ok)
        let second = f.call(from: gate).result
        #expect(second?.code == .busy)
        #expect(second?.callId == nil)
    }

    @Test("busy caller: a device already in a call gets -303 calling someone else")
    func busyCaller() throws {
        let f = try CallRouterFixture()
        let door = f.openDevice()
        _ = f.openUser()
        _ = f.openUser(CallRouterFixture.bob)
        #expect(f.call(from: door).result?.code == .ok)
        #expect(f.call(from: door, to: CallRouterFixture.bobOpenID).result?.code == .busy)
    }

    @Test("ring timeout: after 60 s unanswered the device gets CALL_TIMEOUT and the phone stops ringing")
    func ringTimeout() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        #expect(f.router.pollTimeout() == f.now + 60_000)
        f.router.handleTimeout(now: f.now + 59_999)
        #expect(f.drain().isEmpty)
        f.router.handleTimeout(now: f.now + 60_000)
        let outputs = f.drain()
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.timeout])
        #expect(outputs.messages(to: alice).compactMap(\.ringStopReason) == [.timeout])
        #expect(try f.record(callID)?.outcome == .timeout)
        #expect(f.router.pollTimeout() == nil)
    }

    @Test("the ring timeout is configurable")
    func configurableTimeout() throws {
        let f = try CallRouterFixture(ringTimeoutMs: 30_000)
        let device = f.openDevice()
        _ = f.openUser()
        _ = f.call(from: device)
        #expect(f.router.pollTimeout() == f.now + 30_000)
    }

    @Test("cancel: the caller gives up and every ringing session stops")
    func cancel() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        let outputs = f.handle(device, .cancel(CallAction(callId: callID)))
        #expect(outputs.messages(to: alice).compactMap(\.ringStopReason) == [.cancel])
        #expect(try f.record(callID)?.outcome == .cancelled)
    }

    @Test("hang-up before the answer is a cancel (the seed's doWxCloudVoipHangUp while ringing)")
    func hangUpWhileRinging() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        let outputs = f.handle(device, .hangUp(CallAction(callId: callID)))
        #expect(outputs.messages(to: alice).compactMap(\.ringStopReason) == [.cancel])
        #expect(try f.record(callID)?.outcome == .cancelled)
    }

    @Test("first answer wins among two sessions; the other stops ringing and cannot answer")
    func firstAnswerWins() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let phone = f.openUser()
        let laptop = f.openUser()
        let (result, rang) = f.call(from: device)
        let callID = try #require(result?.callId)
        #expect(rang.messages(to: phone).compactMap(\.ring).count == 1)
        #expect(rang.messages(to: laptop).compactMap(\.ring).count == 1)
        let answered = f.handle(laptop, .answer(CallAction(callId: callID)))
        #expect(answered.messages(to: phone).compactMap(\.ringStopReason) == [.answer])
        #expect(answered.messages(to: device).compactMap(\.callEvent) == [.answer])
        let late = f.handle(phone, .answer(CallAction(callId: callID, requestId: "late")))
        #expect(late.messages(to: phone).compactMap(\.errorCode) == [.unknownCall])
        #expect(late.messages(to: device).isEmpty)
    }

    @Test("only sessions of the call's channel ring")
    func channelFilter() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let release = f.openUser(channel: .release)
        let debug = f.openUser(channel: .debug)
        let (result, outputs) = f.call(from: device, channel: .debug)
        #expect(result?.code == .ok)
        #expect(outputs.messages(to: debug).compactMap(\.ring).count == 1)
        #expect(outputs.messages(to: release).isEmpty)
    }

    @Test("no open session of the callee on the channel: -308 and nothing stored")
    func noSession() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        _ = f.openUser(channel: .trial)
        let result = f.call(from: device).result
        #expect(result?.code == .failed)
        #expect(try f.store.calls(appID: nil, sn: CallRouterFixture.sn, userID: nil, limit: 10).isEmpty)
    }

    @Test("peer gone: the answering session vanishes mid-call and the device is told")
    func peerGone() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        _ = f.handle(alice, .answer(CallAction(callId: callID)))
        f.now += 5_000
        f.router.sessionClosed(alice, now: f.now)
        let outputs = f.drain()
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.peerGone])
        let record = try #require(try f.record(callID))
        #expect(record.outcome == .peerGone)
        #expect(record.endedAt == f.now)
    }

    @Test("peer gone: the device vanishes mid-call and the user is told")
    func devicePeerGone() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        _ = f.handle(alice, .answer(CallAction(callId: callID)))
        f.router.sessionClosed(device, now: f.now)
        #expect(f.drain().messages(to: alice).compactMap(\.callEvent) == [.peerGone])
        #expect(try f.record(callID)?.outcome == .peerGone)
    }

    @Test("one of two ringing sessions closing keeps the call ringing on the other")
    func ringingSessionCloses() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let phone = f.openUser()
        let laptop = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        f.router.sessionClosed(phone, now: f.now)
        #expect(f.drain().isEmpty)
        let answered = f.handle(laptop, .answer(CallAction(callId: callID)))
        #expect(answered.messages(to: device).compactMap(\.callEvent) == [.answer])
    }
}

@Suite("Call router: refusals with the seed's codes")
struct CallRouterRefusalTests {
    @Test("not authorized: -9")
    func notAuthorized() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        _ = f.openUser(CallRouterFixture.carol)
        #expect(f.call(from: device, to: CallRouterFixture.carolOpenID).result?.code == .notAuthorized)
    }

    @Test("quota exhausted: -15 once the app's calls are used up")
    func quota() throws {
        let f = try CallRouterFixture(callQuota: 1)
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        _ = f.handle(device, .cancel(CallAction(callId: callID)))
        #expect(f.call(from: device).result?.code == .quotaExhausted)
        _ = alice
    }

    @Test("release not approved: -12 on the release channel, debug still rings")
    func releaseNotApproved() throws {
        let f = try CallRouterFixture(releaseApproved: false)
        let device = f.openDevice()
        _ = f.openUser(channel: .release)
        _ = f.openUser(channel: .debug)
        #expect(f.call(from: device, channel: .release).result?.code == .releaseNotApproved)
        #expect(f.call(from: device, channel: .debug).result?.code == .ok)
    }

    @Test("unknown openId: -7")
    func unknownOpenID() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        #expect(f.call(from: device, to: "oid_000000000000000000000000").result?.code == .openIdError)
    }

    @Test("openId of another app: -19")
    func otherApp() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        #expect(f.call(from: device, to: CallRouterFixture.strangerOpenID).result?.code == .openIdOtherApp)
    }

    @Test("malformed openId: -20", arguments: ["", "alice", "oid_XYZ", "oid_aaaaaaaaaaaaaaaaaaaaaaa", "oid_AAAAAAAAAAAAAAAAAAAAAAA1"])
    func malformedOpenID(_ openID: String) throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        #expect(f.call(from: device, to: openID).result?.code == .openIdInvalid)
    }

    @Test("a user cannot place a device call: not_allowed")
    func userCannotCall() throws {
        let f = try CallRouterFixture()
        let alice = f.openUser()
        let outputs = f.handle(alice, .call(CallRequest(requestId: "x", openId: CallRouterFixture.bobOpenID, kind: .audio,
                                                        channel: .release, callerCamera: false, calleeCamera: false)))
        #expect(outputs.messages(to: alice).compactMap(\.errorCode) == [.notAllowed])
    }

    @Test("revoked authorization is pushed to the device and the next call gets -9")
    func revoked() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        _ = f.openUser()
        let revocation = AuthorizationRecord(userID: CallRouterFixture.alice, sn: CallRouterFixture.sn, status: .revoked,
                                             updatedAt: f.now)
        try f.store.setAuthorization(revocation)
        f.router.authorizationChanged(revocation, now: f.now)
        #expect(f.drain().messages(to: device) == [
            .authorization(AuthorizationUpdate(openId: CallRouterFixture.aliceOpenID, status: .revoked)),
        ])
        #expect(f.call(from: device).result?.code == .notAuthorized)
    }
}

@Suite("Call router: user calls device")
struct CallRouterUserCallTests {
    @Test("user calls device: accept, busy and refuse reach the user as answer, busy and reject",
          arguments: [(JoinAnswer.accept, CallEvent.answer, CallRecord.Outcome.active),
                      (.busy, .busy, .busy), (.refuse, .reject, .rejected)])
    func join(_ answer: JoinAnswer, _ event: CallEvent, _ outcome: CallRecord.Outcome) throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let outputs = f.handle(alice, .callDevice(CallDeviceRequest(requestId: "cd", sn: CallRouterFixture.sn, kind: .video)))
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
        let replied = f.handle(device, .join(JoinRequest(callId: callID, answer: answer)))
        #expect(replied.messages(to: alice).compactMap(\.callEvent) == [event])
        #expect(try f.record(callID)?.outcome == outcome)
    }

    @Test("user calls device, then hangs up: the device gets CALL_HANG_UP")
    func hangUp() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let outputs = f.handle(alice, .callDevice(CallDeviceRequest(requestId: "cd", sn: CallRouterFixture.sn, kind: .audio)))
        let callID = try #require(outputs.messages(to: alice).compactMap(\.callResult).first?.callId)
        _ = f.handle(device, .join(JoinRequest(callId: callID, answer: .accept)))
        let hung = f.handle(alice, .hangUp(CallAction(callId: callID)))
        #expect(hung.messages(to: device).compactMap(\.callEvent) == [.hangUp])
        #expect(try f.record(callID)?.outcome == .completed)
    }

    @Test("a party whose media died hangs up with media_lost: stored as dropped, the other side told peer_gone", arguments: [
        true, false,
    ])
    func mediaLost(byDevice: Bool) throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let (result, _) = f.call(from: device)
        let callID = try #require(result?.callId)
        _ = f.handle(alice, .answer(CallAction(callId: callID)))
        let (from, to) = byDevice ? (device, alice) : (alice, device)
        let ended = f.handle(from, .hangUp(CallAction(callId: callID, requestId: "h", reason: .mediaLost)))
        #expect(ended.messages(to: to).compactMap(\.callEvent) == [.peerGone])
        #expect(ended.messages(to: from) == [.ack(RequestReference(requestId: "h"))])
        #expect(try f.record(callID)?.outcome == .peerGone)
    }

    @Test("user cancels before the device joins: the device gets CALL_CANCEL")
    func cancel() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let outputs = f.handle(alice, .callDevice(CallDeviceRequest(requestId: "cd", sn: CallRouterFixture.sn, kind: .audio)))
        let callID = try #require(outputs.messages(to: alice).compactMap(\.callResult).first?.callId)
        let cancelled = f.handle(alice, .cancel(CallAction(callId: callID)))
        #expect(cancelled.messages(to: device).compactMap(\.callEvent) == [.cancel])
        #expect(try f.record(callID)?.outcome == .cancelled)
    }

    @Test("device offline: -1001; unknown device: -1001; not authorized: -9")
    func refusals() throws {
        let f = try CallRouterFixture()
        let alice = f.openUser()
        let carol = f.openUser(CallRouterFixture.carol)
        func code(_ session: SessionID, _ sn: String) -> SeedCode? {
            f.handle(session, .callDevice(CallDeviceRequest(requestId: "cd", sn: sn, kind: .audio)))
                .messages(to: session).compactMap(\.callResult).first?.code
        }
        #expect(code(alice, CallRouterFixture.sn) == .notRegistered)
        #expect(code(alice, "SN_NOBODY") == .notRegistered)
        _ = f.openDevice()
        #expect(code(carol, CallRouterFixture.sn) == .notAuthorized)
        #expect(code(alice, CallRouterFixture.sn) == .ok)
        #expect(code(alice, CallRouterFixture.sn) == .busy)
    }
}

@Suite("Call router: relay, notices, sessions")
struct CallRouterRelayTests {
    @Test("sdp is relayed only to the other party")
    func sdpRelayedOnlyToOtherParty() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let phone = f.openUser()
        let laptop = f.openUser()
        let bob = f.openUser(CallRouterFixture.bob)
        let callID = try #require(f.call(from: device).result?.callId)
        _ = f.handle(laptop, .answer(CallAction(callId: callID)))
        let offer = SessionDescription(callId: callID, sdpType: .offer, sdp: "v=0\r\n")
        let fromDevice = f.handle(device, .sdp(offer))
        #expect(fromDevice.recipients == [laptop])
        #expect(fromDevice.messages(to: laptop) == [.sdp(offer)])
        let answerSDP = SessionDescription(callId: callID, sdpType: .answer, sdp: "v=0\r\ns=-\r\n")
        #expect(f.handle(laptop, .sdp(answerSDP)).messages(to: device) == [.sdp(answerSDP)])
        // Neither the other session of the same user nor another user can inject.
        let intruder = f.handle(bob, .sdp(offer))
        #expect(intruder.recipients == [bob])
        #expect(intruder.messages(to: bob).compactMap(\.errorCode) == [.unknownCall])
        let sibling = f.handle(phone, .candidate(ICECandidate(callId: callID, candidate: "", mid: "0")))
        #expect(sibling.recipients == [phone])
    }

    @Test("while ringing, the device's offer reaches every ringing session and theirs are refused")
    func ringingRelay() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let phone = f.openUser()
        let laptop = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        let candidate = ICECandidate(callId: callID, candidate: "candidate:1 1 udp 1 10.0.0.1 9 typ host", mid: "0")
        #expect(f.handle(device, .candidate(candidate)).recipients == [phone, laptop])
        #expect(f.handle(phone, .candidate(candidate)).messages(to: phone).compactMap(\.errorCode) == [.invalidState])
    }

    @Test("commands and camera/microphone state are relayed between the parties")
    func commandsAndAVState() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        _ = f.handle(alice, .answer(CallAction(callId: callID)))
        let command = CustomCommand(callId: callID, name: "open_door", data: "{}")
        #expect(f.handle(alice, .command(command)).messages(to: device) == [.command(command)])
        let state = AVState(callId: callID, camera: false, microphone: true)
        #expect(f.handle(alice, .avState(state)).messages(to: device) == [.avState(state)])
    }

    @Test("a notice is stored for each authorized user and pushed to their open sessions")
    func notices() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let alice = f.openUser()
        let carol = f.openUser(CallRouterFixture.carol)
        let outputs = f.handle(device, .notice(NoticeRequest(requestId: "n1", kind: 3, text: "motion")))
        #expect(outputs.messages(to: device) == [.ack(RequestReference(requestId: "n1"))])
        guard case .notice(let pushed) = outputs.messages(to: alice).first else {
            Issue.record("no notice pushed")
            return
        }
        #expect(pushed.text == "motion")
        #expect(outputs.messages(to: carol).isEmpty)
        #expect(try f.store.notices(userID: CallRouterFixture.alice, unreadOnly: true, limit: 10).map(\.text) == ["motion"])
        #expect(try f.store.notices(userID: CallRouterFixture.bob, unreadOnly: true, limit: 10).map(\.kind) == [3])
        #expect(try f.store.notices(userID: CallRouterFixture.carol, unreadOnly: true, limit: 10).isEmpty)
    }

    @Test("authorized_users answers the openIds of the users who authorized the device")
    func authorizedUsers() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        let outputs = f.handle(device, .authorizedUsers(RequestReference(requestId: "q")))
        guard case .authorizedUsers(let answer) = outputs.messages(to: device).first else {
            Issue.record("no answer")
            return
        }
        #expect(answer.requestId == "q")
        #expect(answer.users.map(\.openId) == [CallRouterFixture.aliceOpenID, CallRouterFixture.bobOpenID])
    }

    @Test("a session gets welcome with the server time and TURN credentials that verify with the secret")
    func welcome() throws {
        let f = try CallRouterFixture()
        f.router.sessionOpened(SessionID(rawValue: 99), identity: .device(sn: CallRouterFixture.sn), now: f.now)
        guard case .send(_, .welcome(let welcome)) = f.drain().first else {
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
    func replaced() throws {
        let f = try CallRouterFixture()
        let old = f.openDevice()
        f.router.sessionOpened(SessionID(rawValue: 50), identity: .device(sn: CallRouterFixture.sn), now: f.now)
        #expect(f.drain().first == .close(old, .replaced))
        #expect(f.router.sessionCounts.devices == 1)
    }

    @Test("an unknown device is closed at once")
    func unknownDevice() throws {
        let f = try CallRouterFixture()
        f.router.sessionOpened(SessionID(rawValue: 5), identity: .device(sn: "SN_GHOST"), now: f.now)
        #expect(f.drain() == [.close(SessionID(rawValue: 5), .unknownIdentity)])
    }

    @Test("ping is answered with pong and the same requestId")
    func ping() throws {
        let f = try CallRouterFixture()
        let alice = f.openUser()
        #expect(f.handle(alice, .ping(RequestReference(requestId: "p"))) == [.send(alice, .pong(RequestReference(requestId: "p")))])
    }

    @Test("a device is online while its session is open, and only then")
    func onlineDevices() throws {
        let f = try CallRouterFixture()
        let both = [CallRouterFixture.sn, CallRouterFixture.sn2, "SN_GHOST"]
        #expect(f.router.onlineDevices(among: both).isEmpty)
        let door = f.openDevice()
        f.openUser()
        #expect(f.router.onlineDevices(among: both) == [CallRouterFixture.sn])
        f.router.sessionClosed(door, now: f.now)
        #expect(f.router.onlineDevices(among: both).isEmpty)
    }
}

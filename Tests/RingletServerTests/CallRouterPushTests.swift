import Foundation
@testable import RingletServer
import RingletSignaling
import RingletStore
import Testing

@Suite("Call router: Web Push")
struct CallRouterPushTests {
    @Test("with a push subscription and no page open the call rings by push: TTL the ring's length, high urgency, the call as topic")
    func ringsByPushAlone() async throws {
        let f = try await CallRouterFixture(push: true)
        try await f.subscribe()
        let device = try await f.openDevice()
        let (result, outputs) = await f.call(from: device)
        #expect(result?.code == .ok)
        let callID = try #require(result?.callId)
        let push = try #require(outputs.pushes.first)
        #expect(outputs.pushes.count == 1)
        #expect(push.userID == CallRouterFixture.alice && push.channel == .release)
        #expect(push.payload.type == "ring" && push.payload.callId == callID && push.payload.deviceName == "Front door")
        #expect(push.payload.kind == "video" && push.payload.expiresAt == f.now + 60_000)
        #expect(push.urgency == .high && push.ttlSeconds == 60 && push.topic == callID)
        #expect(push.deadline == f.now + 60_000 && push.createdAt == f.now)
    }

    @Test("without a page or a subscription the call still fails as before; push off ignores subscriptions")
    func noTarget() async throws {
        let off = try await CallRouterFixture(push: false)
        try await off.subscribe()
        #expect(await off.call(from: try await off.openDevice()).result?.code == .failed)
        let on = try await CallRouterFixture(push: true)
        try await on.subscribe(channel: .debug)
        let (result, outputs) = await on.call(from: try await on.openDevice())
        #expect(result?.code == .failed, "a subscription of another channel does not count")
        #expect(outputs.pushes.isEmpty)
    }

    @Test("the ringing stops by push with its reason: timeout, cancel, answer on a page; an answered call pushes nothing more")
    func ringStops() async throws {
        for (how, reason) in [("timeout", "timeout"), ("cancel", "cancel"), ("answer", "answer")] {
            let f = try await CallRouterFixture(push: true)
            try await f.subscribe()
            let device = try await f.openDevice()
            let alice = try await f.openUser()
            let callID = try #require(await f.call(from: device).result?.callId)
            var outputs: [CallRouter.Output]
            switch how {
            case "timeout":
                f.now += 60_000
                f.router.handleTimeout(now: f.now)
                outputs = await f.drain()
            case "cancel":
                outputs = await f.handle(device, .cancel(CallAction(callId: callID)))
            default:
                outputs = await f.handle(alice, .answer(CallAction(callId: callID)))
            }
            let stop = try #require(outputs.pushes.first, "\(how)")
            #expect(stop.payload.type == "ring_stop" && stop.payload.reason == reason && stop.topic == callID)
            #expect(stop.urgency == .high && stop.ttlSeconds == 86_400)
            if how == "answer" {
                #expect(await f.handle(device, .hangUp(CallAction(callId: callID))).pushes.isEmpty)
            }
        }
    }

    @Test("a call rung by push rings on when the last open page closes, and times out")
    func ringsOnAfterPageCloses() async throws {
        let f = try await CallRouterFixture(push: true)
        try await f.subscribe()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        f.router.sessionClosed(alice, now: f.now)
        #expect(await f.drain().endedCalls.isEmpty)
        #expect(try await f.record(callID)?.outcome == .ringing)
        f.now += 60_000
        f.router.handleTimeout(now: f.now)
        let outputs = await f.drain()
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.timeout])
        #expect(outputs.pushes.map(\.payload.reason) == ["timeout"])
    }

    @Test("a page opened during the ring rings too and gets the device's offer and candidates so far, then answers")
    func lateSessionJoins() async throws {
        let f = try await CallRouterFixture(push: true)
        try await f.subscribe()
        let device = try await f.openDevice()
        let callID = try #require(await f.call(from: device).result?.callId)
        let offer = ServerMessage.sdp(SessionDescription(callId: callID, sdpType: .offer, sdp: "v=0\r\n"))
        let candidate = ServerMessage.candidate(ICECandidate(callId: callID, candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", mid: "0"))
        _ = await f.handle(device, .sdp(SessionDescription(callId: callID, sdpType: .offer, sdp: "v=0\r\n")))
        _ = await f.handle(device, .candidate(ICECandidate(callId: callID, candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", mid: "0")))
        let id = SessionID(rawValue: 99)
        try await f.sessionOpened(id, identity: .user(userID: CallRouterFixture.alice, appID: CallRouterFixture.appID,
                                                    channel: .release))
        let opened = await f.drain().messages(to: id)
        #expect(opened.map(\.type) == ["welcome", "ring", "sdp", "candidate"])
        #expect(opened.compactMap(\.ring).first?.callId == callID)
        #expect(Array(opened.dropFirst(2)) == [offer, candidate])
        let answered = await f.handle(id, .answer(CallAction(callId: callID)))
        #expect(answered.messages(to: device).compactMap(\.callEvent) == [.answer])
        // A page opened after the answer does not ring.
        try await f.sessionOpened(SessionID(rawValue: 100), identity: .user(userID: CallRouterFixture.alice,
                                                                           appID: CallRouterFixture.appID, channel: .release))
        #expect(await f.drain().messages(to: SessionID(rawValue: 100)).map(\.type) == ["welcome"])
    }

    @Test("a page of another channel that opens during the ring does not ring")
    func lateSessionOtherChannel() async throws {
        let f = try await CallRouterFixture(push: true)
        try await f.subscribe()
        let device = try await f.openDevice()
        _ = try #require(await f.call(from: device).result?.callId)
        try await f.sessionOpened(SessionID(rawValue: 50), identity: .user(userID: CallRouterFixture.alice,
                                                                          appID: CallRouterFixture.appID, channel: .debug))
        #expect(await f.drain().messages(to: SessionID(rawValue: 50)).map(\.type) == ["welcome"])
    }

    @Test("the service worker's decline over HTTP: the device gets CALL_REJECT, pages ring_stop, other phones a push")
    func httpReject() async throws {
        let f = try await CallRouterFixture(push: true)
        try await f.subscribe()
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        #expect(f.router.rejectCall(userID: CallRouterFixture.bob, callID: callID, endpoint: nil, now: f.now) == .notRinging)
        #expect(await f.drain().isEmpty)
        let outcome = f.router.rejectCall(userID: CallRouterFixture.alice, callID: callID,
                                          endpoint: "https://push.example.com/alice", now: f.now)
        #expect(outcome == .rejected)
        let outputs = await f.drain()
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.reject])
        #expect(outputs.messages(to: alice).compactMap(\.ringStopReason) == [.reject])
        #expect(outputs.pushes.map(\.payload.reason) == ["reject"])
        #expect(outputs.pushes.first?.excludedEndpoint == "https://push.example.com/alice")
        #expect(try await f.record(callID)?.outcome == .rejected)
        #expect(f.router.rejectCall(userID: CallRouterFixture.alice, callID: callID, endpoint: nil, now: f.now) == .notRinging)
    }

    @Test("a decline over HTTP after the answer is refused as answered")
    func httpRejectAfterAnswer() async throws {
        let f = try await CallRouterFixture(push: true)
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        _ = await f.handle(alice, .answer(CallAction(callId: callID)))
        #expect(f.router.rejectCall(userID: CallRouterFixture.alice, callID: callID, endpoint: nil, now: f.now) == .answered)
        #expect(await f.drain().isEmpty)
    }

    @Test("notices and authorization changes are pushed to the user, whatever the device's state")
    func noticesAndAuthorizations() async throws {
        let f = try await CallRouterFixture(push: true)
        let device = try await f.openDevice()
        let outputs = await f.handle(device, .notice(NoticeRequest(kind: 3, text: "Someone is at the door")))
        #expect(Set(outputs.pushes.map(\.userID)) == [CallRouterFixture.alice, CallRouterFixture.bob])
        #expect(outputs.pushes.allSatisfy { $0.payload.type == "notice" && $0.payload.text == "Someone is at the door" })
        #expect(outputs.pushes.allSatisfy { $0.urgency == .normal && $0.channel == nil && $0.topic == nil })
        try await f.authorizationChanged(AuthorizationRecord(userID: CallRouterFixture.carol, sn: CallRouterFixture.sn2,
                                                             status: .authorized, updatedAt: f.now))
        let pushed = await f.drain().pushes
        #expect(pushed.map(\.payload.type) == ["authorization"])
        #expect(pushed.first?.payload.status == "authorized" && pushed.first?.payload.deviceName == "Gate")
    }
}

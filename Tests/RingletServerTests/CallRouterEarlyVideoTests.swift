import Foundation
@testable import RingletServer
import RingletSignaling
import RingletStore
import Testing

/// Early video through the router (docs/protocol.md "Early video"), and what a user's call to an offline
/// device leaves in the history.
@Suite("Call router: early video, offline attempts")
struct CallRouterEarlyVideoTests {
    /// A device's early-video call ringing on two sessions of Alice; the device has sent its offer.
    static func ringing(_ f: CallRouterFixture) async throws -> (device: SessionID, phone: SessionID, laptop: SessionID, callID: String) {
        let device = try await f.openDevice()
        let phone = try await f.openUser()
        let laptop = try await f.openUser()
        let outputs = await f.handle(device, .call(CallRequest(requestId: "c1", openId: CallRouterFixture.aliceOpenID,
                                                          kind: .video, channel: .release, callerCamera: true,
                                                          calleeCamera: true, earlyMedia: true)))
        let callID = try #require(outputs.messages(to: device).compactMap(\.callResult).first?.callId)
        #expect(outputs.messages(to: phone).compactMap(\.ring).first?.earlyMedia == true)
        let offer = SessionDescription(callId: callID, sdpType: .offer, sdp: "v=0\r\n")
        #expect(await f.handle(device, .sdp(offer)).recipients == [phone, laptop])
        return (device, phone, laptop, callID)
    }

    @Test("the first ringing session's answer and candidates reach the device before the call is answered; another's are refused")
    func firstSessionTakesThePreview() async throws {
        let f = try await CallRouterFixture()
        let (device, phone, laptop, callID) = try await Self.ringing(f)
        let preview = SessionDescription(callId: callID, sdpType: .answer, sdp: "v=0\r\ns=phone\r\n")
        #expect(await f.handle(phone, .sdp(preview)).messages(to: device) == [.sdp(preview)])
        let candidate = ICECandidate(callId: callID, candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", mid: "0")
        #expect(await f.handle(phone, .candidate(candidate)).messages(to: device) == [.candidate(candidate)])
        let other = await f.handle(laptop, .sdp(SessionDescription(callId: callID, sdpType: .answer, sdp: "v=0\r\ns=laptop\r\n")))
        #expect(other.recipients == [laptop])
        #expect(other.messages(to: laptop).compactMap(\.errorCode) == [.invalidState])
        #expect(try await f.record(callID)?.outcome == .ringing)
        // The preview's session answers: the device goes on with the media it has.
        let answered = await f.handle(phone, .answer(CallAction(callId: callID)))
        #expect(answered.messages(to: device) == [.callEvent(CallEventMessage(callId: callID, event: .answer))])
        #expect(answered.messages(to: phone).isEmpty, "the preview's session keeps its media")
    }

    @Test("answered on another session: the device is told to start its media again, and that session's media messages wait for the device's new offer")
    func answeredElsewhereRestartsMedia() async throws {
        let f = try await CallRouterFixture()
        let (device, phone, laptop, callID) = try await Self.ringing(f)
        _ = await f.handle(phone, .sdp(SessionDescription(callId: callID, sdpType: .answer, sdp: "v=0\r\ns=phone\r\n")))
        let answered = await f.handle(laptop, .answer(CallAction(callId: callID)))
        #expect(answered.messages(to: device) == [
            .callEvent(CallEventMessage(callId: callID, event: .answer, restartMedia: true)),
        ])
        #expect(answered.messages(to: phone).compactMap(\.ringStopReason) == [.answer])
        // The laptop is told too, before its answer is acknowledged: it drops what it made for the old offer.
        #expect(answered.messages(to: laptop).first
            == .callEvent(CallEventMessage(callId: callID, event: .answer, restartMedia: true)))
        // The laptop's answer to the old offer is dropped; the device's new offer goes to the laptop, after which
        // the laptop's answer reaches the device.
        let stale = SessionDescription(callId: callID, sdpType: .answer, sdp: "v=0\r\ns=stale\r\n")
        #expect(await f.handle(laptop, .sdp(stale)).recipients.isEmpty)
        let newOffer = SessionDescription(callId: callID, sdpType: .offer, sdp: "v=0\r\ns=again\r\n")
        #expect(await f.handle(device, .sdp(newOffer)).messages(to: laptop) == [.sdp(newOffer)])
        let fresh = SessionDescription(callId: callID, sdpType: .answer, sdp: "v=0\r\ns=fresh\r\n")
        #expect(await f.handle(laptop, .sdp(fresh)).messages(to: device) == [.sdp(fresh)])
    }

    @Test("without early media a ringing session's answer is refused as before")
    func noEarlyMediaNoPreview() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        let phone = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        let preview = SessionDescription(callId: callID, sdpType: .answer, sdp: "v=0\r\n")
        let outputs = await f.handle(phone, .sdp(preview))
        #expect(outputs.recipients == [phone])
        #expect(outputs.messages(to: phone).compactMap(\.errorCode) == [.invalidState])
    }

    @Test("a user's call to an offline device is refused (-1001) and kept in the history as failed")
    func offlineAttemptInHistory() async throws {
        let f = try await CallRouterFixture()
        let alice = try await f.openUser()
        let outputs = await f.handle(alice, .callDevice(CallDeviceRequest(requestId: "cd", sn: CallRouterFixture.sn, kind: .video)))
        #expect(outputs.messages(to: alice).compactMap(\.callResult).first?.code == .notRegistered)
        let calls = try await f.store.calls(appID: CallRouterFixture.appID, sn: nil, userID: CallRouterFixture.alice, limit: 10)
        #expect(calls.map(\.outcome) == [.failed])
        #expect(calls.first?.direction == .userToDevice && calls.first?.endedAt == f.now)
        #expect(outputs.endedCalls.map(\.outcome) == [.failed])
    }
}

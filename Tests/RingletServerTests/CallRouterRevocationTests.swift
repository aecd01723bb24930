import Foundation
@testable import RingletServer
import RingletSignaling
import RingletStore
import Testing

@Suite("Call router: credentials taken back, expiry, notice limits")
struct CallRouterRevocationTests {
    /// A device call answered by Alice; returns the sessions and the call id.
    func activeCall(_ f: CallRouterFixture) async throws -> (device: SessionID, alice: SessionID, callID: String) {
        let device = try await f.openDevice()
        let alice = try await f.openUser()
        let callID = try #require(await f.call(from: device).result?.callId)
        _ = await f.handle(alice, .answer(CallAction(callId: callID)))
        return (device, alice, callID)
    }

    @Test("a revoked authorization ends that user's call with the device at once: hang_up to both, outcome revoked, and commands stop")
    func revocationEndsCall() async throws {
        let f = try await CallRouterFixture()
        let (device, alice, callID) = try await activeCall(f)
        let revocation = AuthorizationRecord(userID: CallRouterFixture.alice, sn: CallRouterFixture.sn, status: .revoked,
                                             updatedAt: f.now)
        try await f.store.setAuthorization(revocation)
        f.now += 1_000
        try await f.authorizationChanged(revocation)
        let outputs = await f.drain()
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.hangUp])
        #expect(outputs.messages(to: alice).compactMap(\.callEvent) == [.hangUp])
        #expect(outputs.endedCalls.map(\.outcome) == [.revoked])
        #expect(try await f.record(callID)?.outcome == .revoked)
        let command = await f.handle(alice, .command(CustomCommand(callId: callID, name: "USR_DATA", data: "Open door")))
        #expect(command.messages(to: device).isEmpty)
        #expect(command.messages(to: alice).compactMap(\.errorCode) == [.unknownCall])
    }

    @Test("revoking another user's authorization leaves this call alone")
    func otherUsersRevocation() async throws {
        let f = try await CallRouterFixture()
        let (device, _, callID) = try await activeCall(f)
        let revocation = AuthorizationRecord(userID: CallRouterFixture.bob, sn: CallRouterFixture.sn, status: .revoked,
                                             updatedAt: f.now)
        try await f.authorizationChanged(revocation)
        #expect(await f.drain().messages(to: device).compactMap(\.callEvent).isEmpty)
        #expect(try await f.record(callID)?.outcome == .active)
    }

    @Test("a signed-out token closes its sessions (session_revoked) and only those")
    func signOutClosesSessions() async throws {
        let f = try await CallRouterFixture()
        let a = SessionID(rawValue: 100), b = SessionID(rawValue: 101)
        let identity = SessionIdentity.user(userID: CallRouterFixture.alice, appID: CallRouterFixture.appID, channel: .release)
        try await f.sessionOpened(a, identity: identity, credential: SessionCredential(tokenHash: "hash-a"))
        try await f.sessionOpened(b, identity: identity, credential: SessionCredential(tokenHash: "hash-b"))
        _ = await f.drain()
        f.router.revoke(.session(tokenHash: "hash-a"), now: f.now)
        let outputs = await f.drain()
        #expect(outputs.contains(.close(a, .sessionRevoked)))
        #expect(!outputs.contains { if case .close(b, _) = $0 { true } else { false } })
        #expect(f.router.sessionCounts.users == 1)
    }

    @Test("a session closes when its token expires, at that time and not before")
    func expiryClosesSession() async throws {
        let f = try await CallRouterFixture()
        let id = SessionID(rawValue: 200)
        let identity = SessionIdentity.user(userID: CallRouterFixture.alice, appID: CallRouterFixture.appID, channel: .release)
        try await f.sessionOpened(id, identity: identity, credential: SessionCredential(tokenHash: "h", expiresAt: f.now + 5_000))
        _ = await f.drain()
        #expect(f.router.pollTimeout() == f.now + 5_000)
        f.router.handleTimeout(now: f.now + 4_999)
        #expect(await f.drain().isEmpty)
        f.router.handleTimeout(now: f.now + 5_000)
        #expect(await f.drain() == [.close(id, .sessionExpired)])
        // An already expired credential is refused at open.
        try await f.sessionOpened(SessionID(rawValue: 201), identity: identity,
                               credential: SessionCredential(tokenHash: "h", expiresAt: f.now))
        #expect(await f.drain() == [.close(SessionID(rawValue: 201), .sessionExpired)])
    }

    @Test("a reset device's calls end (revoked) and its session closes (device_reset)")
    func deviceReset() async throws {
        let f = try await CallRouterFixture()
        let (device, alice, callID) = try await activeCall(f)
        f.router.revoke(.device(sn: CallRouterFixture.sn), now: f.now)
        let outputs = await f.drain()
        #expect(outputs.messages(to: alice).compactMap(\.callEvent) == [.hangUp])
        #expect(outputs.contains(.close(device, .deviceReset)))
        #expect(try await f.record(callID)?.outcome == .revoked)
        #expect(f.router.onlineDevices(among: [CallRouterFixture.sn]).isEmpty)
    }

    @Test("the periodic re-check closes a session whose token is gone and a device whose key changed")
    func recheck() async throws {
        let f = try await CallRouterFixture()
        let user = SessionID(rawValue: 300), device = SessionID(rawValue: 301)
        try await f.store.insertSession(SessionRecord(tokenHash: "live", userID: CallRouterFixture.alice, appID: CallRouterFixture.appID,
                                                channel: .release, expiresAt: f.now + 60_000, createdAt: f.now))
        try await f.sessionOpened(user, identity: .user(userID: CallRouterFixture.alice, appID: CallRouterFixture.appID,
                                                     channel: .release),
                               credential: SessionCredential(tokenHash: "live", expiresAt: f.now + 60_000))
        let key = try #require(try await f.store.device(sn: CallRouterFixture.sn)?.publicKey)
        try await f.sessionOpened(device, identity: .device(sn: CallRouterFixture.sn), credential: SessionCredential(publicKey: key))
        _ = await f.drain()
        try await f.recheck()
        #expect(await f.drain().isEmpty)
        try await f.store.deleteSession(tokenHash: "live")
        _ = try await f.store.resetDevice(sn: CallRouterFixture.sn)
        try await f.recheck()
        let outputs = await f.drain()
        #expect(outputs.contains(.close(user, .sessionRevoked)))
        #expect(outputs.contains(.close(device, .deviceReset)))
    }

    @Test("notices: a burst of 20 per device, then refused with rate_limited; a text over 1 KiB is refused")
    func noticeLimits() async throws {
        let f = try await CallRouterFixture()
        let device = try await f.openDevice()
        var acks = 0, limited = 0
        for i in 0..<30 {
            let out = await f.handle(device, .notice(NoticeRequest(requestId: "n\(i)", kind: 1, text: "ring")))
            acks += out.messages(to: device).filter { if case .ack = $0 { true } else { false } }.count
            limited += out.messages(to: device).compactMap(\.errorCode).filter { $0 == .rateLimited }.count
        }
        #expect(acks == 20 && limited == 10)
        f.now += 6_000
        let later = await f.handle(device, .notice(NoticeRequest(requestId: "later", kind: 1, text: "ring")))
        #expect(later.messages(to: device) == [.ack(RequestReference(requestId: "later"))])
        let long = await f.handle(device, .notice(NoticeRequest(requestId: "long", kind: 1, text: String(repeating: "x", count: 1025))))
        #expect(long.messages(to: device).compactMap(\.errorCode) == [.refused])
    }
}

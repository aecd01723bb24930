import Foundation
@testable import RingletServer
import RingletSignaling
import RingletStore
import Testing

@Suite("Call router: credentials taken back, expiry, notice limits")
struct CallRouterRevocationTests {
    /// A device call answered by Alice; returns the sessions and the call id.
    func activeCall(_ f: CallRouterFixture) throws -> (device: SessionID, alice: SessionID, callID: String) {
        let device = f.openDevice()
        let alice = f.openUser()
        let callID = try #require(f.call(from: device).result?.callId)
        _ = f.handle(alice, .answer(CallAction(callId: callID)))
        return (device, alice, callID)
    }

    @Test("a revoked authorization ends that user's call with the device at once: hang_up to both, outcome revoked, and commands stop")
    func revocationEndsCall() throws {
        let f = try CallRouterFixture()
        let (device, alice, callID) = try activeCall(f)
        let revocation = AuthorizationRecord(userID: CallRouterFixture.alice, sn: CallRouterFixture.sn, status: .revoked,
                                             updatedAt: f.now)
        try f.store.setAuthorization(revocation)
        f.now += 1_000
        f.router.authorizationChanged(revocation, now: f.now)
        let outputs = f.drain()
        #expect(outputs.messages(to: device).compactMap(\.callEvent) == [.hangUp])
        #expect(outputs.messages(to: alice).compactMap(\.callEvent) == [.hangUp])
        #expect(outputs.endedCalls.map(\.outcome) == [.revoked])
        #expect(try f.record(callID)?.outcome == .revoked)
        let command = f.handle(alice, .command(CustomCommand(callId: callID, name: "USR_DATA", data: "Open door")))
        #expect(command.messages(to: device).isEmpty)
        #expect(command.messages(to: alice).compactMap(\.errorCode) == [.unknownCall])
    }

    @Test("revoking another user's authorization leaves this call alone")
    func otherUsersRevocation() throws {
        let f = try CallRouterFixture()
        let (device, _, callID) = try activeCall(f)
        let revocation = AuthorizationRecord(userID: CallRouterFixture.bob, sn: CallRouterFixture.sn, status: .revoked,
                                             updatedAt: f.now)
        f.router.authorizationChanged(revocation, now: f.now)
        #expect(f.drain().messages(to: device).compactMap(\.callEvent).isEmpty)
        #expect(try f.record(callID)?.outcome == .active)
    }

    @Test("a signed-out token closes its sessions (session_revoked) and only those")
    func signOutClosesSessions() throws {
        let f = try CallRouterFixture()
        let a = SessionID(rawValue: 100), b = SessionID(rawValue: 101)
        let identity = SessionIdentity.user(userID: CallRouterFixture.alice, appID: CallRouterFixture.appID, channel: .release)
        f.router.sessionOpened(a, identity: identity, credential: SessionCredential(tokenHash: "hash-a"), now: f.now)
        f.router.sessionOpened(b, identity: identity, credential: SessionCredential(tokenHash: "hash-b"), now: f.now)
        _ = f.drain()
        f.router.revoke(.session(tokenHash: "hash-a"), now: f.now)
        let outputs = f.drain()
        #expect(outputs.contains(.close(a, .sessionRevoked)))
        #expect(!outputs.contains { if case .close(b, _) = $0 { true } else { false } })
        #expect(f.router.sessionCounts.users == 1)
    }

    @Test("a session closes when its token expires, at that time and not before")
    func expiryClosesSession() throws {
        let f = try CallRouterFixture()
        let id = SessionID(rawValue: 200)
        let identity = SessionIdentity.user(userID: CallRouterFixture.alice, appID: CallRouterFixture.appID, channel: .release)
        f.router.sessionOpened(id, identity: identity, credential: SessionCredential(tokenHash: "h", expiresAt: f.now + 5_000),
                               now: f.now)
        _ = f.drain()
        #expect(f.router.pollTimeout() == f.now + 5_000)
        f.router.handleTimeout(now: f.now + 4_999)
        #expect(f.drain().isEmpty)
        f.router.handleTimeout(now: f.now + 5_000)
        #expect(f.drain() == [.close(id, .sessionExpired)])
        // An already expired credential is refused at open.
        f.router.sessionOpened(SessionID(rawValue: 201), identity: identity,
                               credential: SessionCredential(tokenHash: "h", expiresAt: f.now), now: f.now)
        #expect(f.drain() == [.close(SessionID(rawValue: 201), .sessionExpired)])
    }

    @Test("a reset device's calls end (revoked) and its session closes (device_reset)")
    func deviceReset() throws {
        let f = try CallRouterFixture()
        let (device, alice, callID) = try activeCall(f)
        f.router.revoke(.device(sn: CallRouterFixture.sn), now: f.now)
        let outputs = f.drain()
        #expect(outputs.messages(to: alice).compactMap(\.callEvent) == [.hangUp])
        #expect(outputs.contains(.close(device, .deviceReset)))
        #expect(try f.record(callID)?.outcome == .revoked)
        #expect(f.router.onlineDevices(among: [CallRouterFixture.sn]).isEmpty)
    }

    @Test("the periodic re-check closes a session whose token is gone and a device whose key changed")
    func recheck() throws {
        let f = try CallRouterFixture()
        let user = SessionID(rawValue: 300), device = SessionID(rawValue: 301)
        try f.store.insertSession(SessionRecord(tokenHash: "live", userID: CallRouterFixture.alice, appID: CallRouterFixture.appID,
                                                channel: .release, expiresAt: f.now + 60_000, createdAt: f.now))
        f.router.sessionOpened(user, identity: .user(userID: CallRouterFixture.alice, appID: CallRouterFixture.appID,
                                                     channel: .release),
                               credential: SessionCredential(tokenHash: "live", expiresAt: f.now + 60_000), now: f.now)
        let key = try #require(try f.store.device(sn: CallRouterFixture.sn)?.publicKey)
        f.router.sessionOpened(device, identity: .device(sn: CallRouterFixture.sn), credential: SessionCredential(publicKey: key),
                               now: f.now)
        _ = f.drain()
        f.router.recheckSessions(now: f.now)
        #expect(f.drain().isEmpty)
        try f.store.deleteSession(tokenHash: "live")
        _ = try f.store.resetDevice(sn: CallRouterFixture.sn)
        f.router.recheckSessions(now: f.now)
        let outputs = f.drain()
        #expect(outputs.contains(.close(user, .sessionRevoked)))
        #expect(outputs.contains(.close(device, .deviceReset)))
    }

    @Test("notices: a burst of 20 per device, then refused with rate_limited; a text over 1 KiB is refused")
    func noticeLimits() throws {
        let f = try CallRouterFixture()
        let device = f.openDevice()
        var acks = 0, limited = 0
        for i in 0..<30 {
            let out = f.handle(device, .notice(NoticeRequest(requestId: "n\(i)", kind: 1, text: "ring")))
            acks += out.messages(to: device).filter { if case .ack = $0 { true } else { false } }.count
            limited += out.messages(to: device).compactMap(\.errorCode).filter { $0 == .rateLimited }.count
        }
        #expect(acks == 20 && limited == 10)
        f.now += 6_000
        let later = f.handle(device, .notice(NoticeRequest(requestId: "later", kind: 1, text: "ring")))
        #expect(later.messages(to: device) == [.ack(RequestReference(requestId: "later"))])
        let long = f.handle(device, .notice(NoticeRequest(requestId: "long", kind: 1, text: String(repeating: "x", count: 1025))))
        #expect(long.messages(to: device).compactMap(\.errorCode) == [.refused])
    }
}

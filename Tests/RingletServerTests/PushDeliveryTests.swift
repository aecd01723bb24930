import Foundation
import RingletCore
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTestSupport
import Testing

/// The push service against a stand-in push service on loopback, inside a whole `RingletCloud` with a device and
/// a user over real WebSockets (docs/push.md).
@Suite("Web Push delivery, live", .serialized, .timeLimit(.minutes(2)))
struct PushDeliveryTests {
    @Test("with no page open the call rings by push alone; the ring, then its ring_stop, arrive in order, encrypted for the subscription, with TTL, Urgency and Topic")
    func ringThenStop() async throws {
        let service = try await StandInPushService.start()
        try await PushCloud.run { cloud in
            let phone = service.subscriber("phone")
            try await cloud.subscribe(endpoint: service.endpoint("phone"), p256dh: phone.p256dh, auth: phone.auth)
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            let callID = try await device.callAlice()
            let ring = try await service.waitFor("phone", "ring") { $0["type"] as? String == "ring" }
            let payload = try service.payload(ring)
            #expect(payload["callId"] as? String == callID && payload["deviceName"] as? String == "Front door")
            #expect(payload["kind"] as? String == "video" && payload["sn"] as? String == CallRouterFixture.sn)
            let expiresAt = try #require(payload["expiresAt"] as? Int64)
            #expect(expiresAt > ring.at && expiresAt <= ring.at + 60_000)
            #expect((55...60).contains(Int(ring.headers["ttl"] ?? "") ?? 0), "\(ring.headers)")
            #expect(ring.headers["urgency"] == "high" && ring.headers["topic"] == callID)
            #expect(ring.headers["content-encoding"] == "aes128gcm")
            #expect(ring.headers["authorization"]?.hasPrefix("vapid t=") == true)
            #expect(ring.headers["authorization"]?.hasSuffix("k=" + Base64URL.encode(cloud.vapidPublicKey)) == true)

            device.send(.cancel(CallAction(callId: callID)))
            let stop = try await service.waitFor("phone", "ring_stop") { $0["type"] as? String == "ring_stop" }
            #expect(try service.payload(stop)["reason"] as? String == "cancel")
            #expect(stop.headers["topic"] == callID && stop.headers["ttl"] == "86400")
            #expect(try service.received("phone").map { try service.payload($0)["type"] as? String } == ["ring", "ring_stop"])
            try await cloud.waitUntil("the sent counters") {
                cloud.metric("ringlet_push_sent_total", label: "ring\"") == 1
                    && cloud.metric("ringlet_push_sent_total", label: "ring_stop") == 1
            }
            #expect(cloud.metric("ringlet_push_latency_seconds_count") == 2)
            device.close()
        }
        await service.stop()
    }

    @Test("410 and 404 delete the subscription; the open page rang at once and the call times out on time")
    func goneSubscriptions() async throws {
        let service = try await StandInPushService.start()
        try await PushCloud.run(ringTimeout: 3) { cloud in
            for (id, status) in [("gone", 410), ("missing", 404), ("fine", 201)] {
                let phone = service.subscriber(id, .status(status))
                try await cloud.subscribe(endpoint: service.endpoint(id), p256dh: phone.p256dh, auth: phone.auth)
            }
            let page = try await LiveSession.connect(port: cloud.port)
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            let callID = try await device.callAlice()
            try await page.next("ring") { $0.ring?.callId == callID }
            try await cloud.waitUntil("two subscriptions deleted") {
                try await cloud.store.pushSubscriptions(userID: CallRouterFixture.alice).map(\.endpoint) == [service.endpoint("fine")]
            }
            #expect(cloud.metric("ringlet_push_expired_subscriptions_total") == 2)
            #expect(service.received("gone").count == 1 && service.received("missing").count == 1)
            try await device.next("CALL_TIMEOUT", timeout: .seconds(10)) { $0.callEvent == .timeout }
            try await page.next("ring_stop timeout") { $0.ringStop?.reason == .timeout }
            // The deleted subscriptions get no ring_stop; the one left does.
            try await service.waitFor("fine", "ring_stop") { $0["reason"] as? String == "timeout" }
            #expect(service.received("gone").count == 1 && service.received("missing").count == 1)
            page.close()
            device.close()
        }
        await service.stop()
    }

    @Test("429 with Retry-After: the ring is sent again after the wait asked for, then delivered")
    func retryAfter() async throws {
        let service = try await StandInPushService.start()
        try await PushCloud.run { cloud in
            let phone = service.subscriber("phone", .sequence([.status(429, retryAfter: "1"), .status(201)]))
            try await cloud.subscribe(endpoint: service.endpoint("phone"), p256dh: phone.p256dh, auth: phone.auth)
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            _ = try await device.callAlice()
            try await cloud.waitUntil("the ring delivered") { cloud.metric("ringlet_push_sent_total", label: "ring\"") == 1 }
            let attempts = service.received("phone")
            #expect(attempts.count == 2)
            #expect(attempts.count == 2 && attempts[1].at - attempts[0].at >= 950, "\(attempts.map(\.at))")
            #expect(cloud.metric("ringlet_push_retries_total") == 1)
            device.close()
        }
        await service.stop()
    }

    @Test("500 forever: retried with backoff, never after the ring's end; the page rang at once and the call times out")
    func serverErrorForever() async throws {
        let service = try await StandInPushService.start()
        try await PushCloud.run(ringTimeout: 4) { cloud in
            let phone = service.subscriber("phone", .status(500))
            try await cloud.subscribe(endpoint: service.endpoint("phone"), p256dh: phone.p256dh, auth: phone.auth)
            let page = try await LiveSession.connect(port: cloud.port)
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            let callID = try await device.callAlice()
            try await page.next("ring") { $0.ring?.callId == callID }
            try await device.next("CALL_TIMEOUT", timeout: .seconds(10)) { $0.callEvent == .timeout }
            try await cloud.waitUntil("the ring given up") { cloud.metric("ringlet_push_failed_total") >= 1 }
            let rings = try service.received("phone").filter { try service.payload($0)["type"] as? String == "ring" }
            #expect(rings.count >= 3, "backoff 0.25–0.5 s, 0.5–1 s, … within 4 s")
            let expiresAt = try #require(try service.payload(rings[0])["expiresAt"] as? Int64)
            #expect(rings.allSatisfy { $0.at < expiresAt + 250 }, "\(rings.map(\.at)) vs \(expiresAt)")
            #expect(cloud.metric("ringlet_push_sent_total", label: "ring\"") == 0)
            page.close()
            device.close()
        }
        await service.stop()
    }

    @Test("a push service that never answers holds nothing up: the page rings, answers and the device hears it, pings are answered; the ring is dropped for its ring_stop")
    func hangingService() async throws {
        let service = try await StandInPushService.start()
        try await PushCloud.run(push: { $0.requestTimeout = .seconds(1) }) { cloud in
            let phone = service.subscriber("phone", .hang)
            try await cloud.subscribe(endpoint: service.endpoint("phone"), p256dh: phone.p256dh, auth: phone.auth)
            let page = try await LiveSession.connect(port: cloud.port)
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            let callID = try await device.callAlice()
            try await page.next("ring") { $0.ring?.callId == callID }
            try await cloud.waitUntil("the push service holding the ring") { !service.received("phone").isEmpty }
            let before = device.messages.count
            device.send(.ping(RequestReference(requestId: "p1")))
            try await device.next("pong", after: before, timeout: .seconds(2)) { $0.isPong }
            page.send(.answer(CallAction(callId: callID, requestId: "a1")))
            try await device.next("CALL_ANSWER", timeout: .seconds(5)) { $0.callEvent == .answer }
            // The ring times out (1 s) and would be retried, but its ring_stop (answer) waits behind it: superseded.
            try await cloud.waitUntil("the ring superseded") { cloud.metric("ringlet_push_superseded_total") >= 1 }
            try await service.waitFor("phone", "ring_stop answer") { $0["reason"] as? String == "answer" }
            #expect(cloud.metric("ringlet_push_sent_total", label: "ring\"") == 0)
            page.close()
            device.close()
        }
        await service.stop()
    }

    @Test("a push service nobody listens at is retried and counted; the call is not held up")
    func unreachable() async throws {
        try await PushCloud.run(ringTimeout: 3) { cloud in
            let key = StandInPushService.Subscriber(id: "x", key: .init(), auth: [UInt8](repeating: 1, count: 16))
            try await cloud.subscribe(endpoint: "http://127.0.0.1:\(try freePort())/push/x", p256dh: key.p256dh,
                                      auth: key.auth)
            let page = try await LiveSession.connect(port: cloud.port)
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            let callID = try await device.callAlice()
            try await page.next("ring") { $0.ring?.callId == callID }
            try await cloud.waitUntil("retries") { cloud.metric("ringlet_push_retries_total") >= 2 }
            try await device.next("CALL_TIMEOUT", timeout: .seconds(10)) { $0.callEvent == .timeout }
            #expect(try await cloud.store.pushSubscriptions(userID: CallRouterFixture.alice).count == 1, "kept: not a 404/410")
            page.close()
            device.close()
        }
    }

    @Test("the service worker's decline over HTTP ends the call: CALL_REJECT to the device, ring_stop to the page and to other phones, none to the one that declined; a second decline is 409")
    func declineOverHTTP() async throws {
        let service = try await StandInPushService.start()
        try await PushCloud.run { cloud in
            for id in ["declining", "other"] {
                let phone = service.subscriber(id)
                try await cloud.subscribe(endpoint: service.endpoint(id), p256dh: phone.p256dh, auth: phone.auth)
            }
            let page = try await LiveSession.connect(port: cloud.port)
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            let callID = try await device.callAlice()
            try await service.waitFor("declining", "ring") { $0["type"] as? String == "ring" }
            let declined = try await cloud.request(.POST, "/v1/me/calls/\(callID)/reject",
                                                   json: ["endpoint": service.endpoint("declining")])
            #expect(declined.status == 204)
            try await device.next("CALL_REJECT") { $0.callEvent == .reject }
            try await page.next("ring_stop reject") { $0.ringStop?.reason == .reject }
            try await service.waitFor("other", "ring_stop reject") { $0["reason"] as? String == "reject" }
            #expect(try service.received("declining").map { try service.payload($0)["type"] as? String } == ["ring"])
            // The call's end is written after the parties are told (docs/signaling.md, "Effects").
            try await cloud.waitUntil("the call stored as rejected") {
                try await cloud.store.call(id: callID)?.outcome == .rejected
            }
            let again = try await cloud.request(.POST, "/v1/me/calls/\(callID)/reject")
            #expect(again.status == 409)
            page.close()
            device.close()
        }
        await service.stop()
    }
}

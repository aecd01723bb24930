import Foundation
import RingletCore
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTestSupport
import Testing

@Suite("Web Push against independent implementations (http_ece, py_vapid, cryptography)", .serialized,
       .timeLimit(.minutes(5)))
struct PushInteropTests {
    @Test("the ring push: http_ece decrypts it to the ring JSON; py_vapid and cryptography verify the ES256 VAPID JWT (audience, expiry within 24 h, subject); TTL, Urgency and Topic as RFC 8030 says")
    func ring() async throws {
        let peer = try await PushPeer(folder: try temporaryFolder(prefix: "ringlet-webpush-peer"))
        try await PushCloud.run { cloud in
            try await cloud.subscribe(endpoint: peer.endpoint, p256dh: try #require(Base64URL.decode(peer.p256dh)),
                                      auth: try #require(Base64URL.decode(peer.auth)))
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            let started = Int64(Date().timeIntervalSince1970)
            let callID = try await device.callAlice()
            let request = try await peer.waitFor("ring") { $0["type"] as? String == "ring" }
            #expect(request["decryptError"] == nil)
            let payload = PushPeer.payload(request)
            #expect(payload["callId"] as? String == callID)
            #expect(payload["deviceName"] as? String == "Front door" && payload["kind"] as? String == "video")
            #expect(payload["sn"] as? String == CallRouterFixture.sn && payload["v"] as? Int == 1)
            #expect(request["urgency"] as? String == "high")
            #expect(request["topic"] as? String == callID)
            #expect((55...60).contains(Int(request["ttl"] as? String ?? "") ?? 0), "\(request)")
            #expect(request["contentEncoding"] as? String == "aes128gcm")
            #expect(request["contentType"] as? String == "application/octet-stream")
            let vapid = try #require(request["vapid"] as? [String: Any])
            #expect(vapid["scheme"] as? String == "vapid")
            #expect(vapid["pyVapid"] as? Bool == true, "\(vapid)")
            #expect(vapid["cryptography"] as? Bool == true, "\(vapid)")
            #expect(vapid["k"] as? String == Base64URL.encode(cloud.vapidPublicKey))
            let header = try #require(vapid["jwtHeader"] as? [String: Any])
            #expect(header["alg"] as? String == "ES256" && header["typ"] as? String == "JWT")
            let claims = try #require(vapid["claims"] as? [String: Any])
            let port = try #require(URL(string: peer.endpoint)?.port)
            #expect(claims["aud"] as? String == "http://127.0.0.1:\(port)")
            #expect(claims["sub"] as? String == ServerConfiguration.developmentVAPIDSubject)
            let exp = try #require(claims["exp"] as? Int64)
            #expect(exp > started && exp <= started + 86_400 + 5, "exp \(exp), now \(started)")
            device.close()
        }
        await peer.stop()
    }

    @Test("the ring_stop and notice pushes decrypt with http_ece too, and carry what the service worker shows")
    func ringStopAndNotice() async throws {
        let peer = try await PushPeer(folder: try temporaryFolder(prefix: "ringlet-webpush-peer"))
        try await PushCloud.run { cloud in
            try await cloud.subscribe(endpoint: peer.endpoint, p256dh: try #require(Base64URL.decode(peer.p256dh)),
                                      auth: try #require(Base64URL.decode(peer.auth)))
            let device = try await LiveSession.connect(port: cloud.port, device: cloud.deviceKey)
            let callID = try await device.callAlice()
            try await peer.waitFor("ring") { $0["type"] as? String == "ring" }
            device.send(.cancel(CallAction(callId: callID)))
            let stop = try await peer.waitFor("ring_stop") { $0["type"] as? String == "ring_stop" }
            #expect(PushPeer.payload(stop)["reason"] as? String == "cancel")
            #expect(stop["topic"] as? String == callID && stop["ttl"] as? String == "86400")
            device.send(.notice(NoticeRequest(kind: 7, text: "Parcel at the door — 包裹")))
            let notice = try await peer.waitFor("notice") { $0["type"] as? String == "notice" }
            #expect(PushPeer.payload(notice)["text"] as? String == "Parcel at the door — 包裹")
            #expect(notice["urgency"] as? String == "normal" && notice["topic"] is NSNull)
            #expect((notice["vapid"] as? [String: Any])?["pyVapid"] as? Bool == true)
            device.close()
        }
        await peer.stop()
    }
}

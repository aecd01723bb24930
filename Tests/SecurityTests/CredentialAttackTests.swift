import Foundation
import RingletCore
import RingletSignaling
import RingletTestSupport
import RingletWebTestSupport
import Testing

extension SecurityTests {
    @Test("replayed and expired tokens: a signed-out token closes its live session and is refused afterwards; an expired one closes at its expiry; a used sign-in code is refused; 30 bad tokens from one address get 429")
    func replayedAndExpiredTokens() async throws {
        // One failed-authentication token back per minute (the default is 10): the 31 guesses below, on a loaded
        // machine, take long enough for a default refill to let one more through.
        try await SecurityLab.with(limits: ["authFailuresPerMinute": 1]) { lab in
            let call = try await lab.callBeside()
            let before = await call.frames()

            // Sign-out: the session on the wire is closed, the token is dead everywhere.
            let signedOut = try await lab.user("signs-out")
            let live = try await authenticatedUserSocket(lab, token: signedOut.token)
            let signOut = ContinuousClock.now
            try await lab.server.request("DELETE", "/v1/me/session", .user(signedOut.token)).expectStatus(204)
            #expect(await live.waitClosed(seconds: 10))
            let revokedAfter = ContinuousClock.now - signOut
            #expect(live.errorCodes.contains("session_revoked"))
            #expect(live.frames().close?.code == 1008)
            try await lab.server.request("GET", "/v1/me", .user(signedOut.token)).expectStatus(401)
            let replay = try await RawWebSocket.open(path: "/v1/signal/user", port: SecurityLab.httpPort, group: lab.group)
            replay.sendText(#"{"v":1,"type":"auth_user","token":"\#(signedOut.token)"}"#)
            #expect(await replay.waitClosed(seconds: 10))
            #expect(replay.errorCodes == ["authentication_failed"])

            // A client (the headless phone, on RingletCall's SignalingClient) whose token is signed out stops: it
            // does not keep knocking with a dead token.
            let quitter = try await lab.user("quits")
            let phone = try await lab.phone(quitter)
            let failuresBefore = try await lab.server.metric("ringlet_auth_failures_total")
            try await lab.server.request("DELETE", "/v1/me/session", .user(quitter.token)).expectStatus(204)
            #expect(await poll(seconds: 10) { phone.errors.contains("session_revoked") })
            try await Task.sleep(for: .seconds(6))
            let failuresAfter = try await lab.server.metric("ringlet_auth_failures_total")
            #expect(failuresAfter == failuresBefore, "the phone kept retrying its signed-out token")
            #expect(phone.events.filter { if case .online = $0 { true } else { false } }.count == 1)

            // Expiry: a 4 s session's socket is closed at its expiry.
            let short = try await lab.user("short-lived", ttlSeconds: 4)
            let issued = ContinuousClock.now
            let expiring = try await authenticatedUserSocket(lab, token: short.token)
            #expect(await expiring.waitClosed(seconds: 15))
            let expiredAfter = ContinuousClock.now - issued
            #expect(expiring.errorCodes.contains("session_expired"))
            #expect(expiredAfter >= .seconds(3) && expiredAfter <= .seconds(8), "closed \(expiredAfter) after issue")
            try await lab.server.request("GET", "/v1/me", .user(short.token)).expectStatus(401)

            // A sign-in link's code works once.
            let linked = try await lab.server.request("POST", "/v1/apps/\(lab.server.appID)/users", json: ["name": "linked"])
            let link = try await lab.server.request(
                "POST", "/v1/apps/\(lab.server.appID)/users/\(linked.string("id"))/sign-in-links", json: [:])
            let code = link.string("code")
            #expect(code.hasPrefix("rlc_") && link.string("url").hasSuffix("#code=\(code)"))
            try await lab.server.request("POST", "/v1/sign-in", .none, json: ["code": code]).expectStatus(201)
            try await lab.server.request("POST", "/v1/sign-in", .none, json: ["code": code]).expectStatus(401)

            // Guessing from one address: 20 failures, then 429 with Retry-After, even for a good token; another
            // address is not affected.
            var statuses: [Int] = []
            for i in 0..<30 {
                statuses.append(try await curlStatus(lab, from: "127.0.3.3", token: "rlu_guess-\(i)"))
            }
            let good = try await curlStatus(lab, from: "127.0.3.3", token: call.user.token)
            let elsewhere = try await curlStatus(lab, from: "127.0.3.4", token: call.user.token)
            #expect(statuses.prefix(20).allSatisfy { $0 == 401 }, "\(statuses)")
            #expect(statuses.dropFirst(20).allSatisfy { $0 == 429 }, "\(statuses)")
            #expect(good == 429)
            #expect(elsewhere == 200)

            let during = await call.expectMediaKeepsFlowing(since: before, "replayed and expired tokens")
            SecurityReport.record("replayed and expired tokens", limit: "sessions re-checked (sign-out, expiry); one-time codes; authFailureBurst 20 then 429", [
                "signOutClosedSessionAfterMs": Int(revokedAfter.components.seconds * 1000 + revokedAfter.components.attoseconds / 1_000_000_000_000_000),
                "expiredSessionClosedAfterSeconds (ttl 4)": Double(expiredAfter.components.seconds),
                "failuresBefore429": statuses.prefix { $0 == 401 }.count, "callBeside": "\(during)",
            ])
        }
    }

    @Test("re-registering a registered SN with a fresh ticket is refused (409 deviceRegistered, -10008): the key stays and the real device keeps its call; after a reset the device is closed and a new ticket registers")
    func reRegisterRegisteredSN() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let sn = call.device.sn
            let before = await call.frames()
            let registered = try await lab.server.request("GET", "/v1/devices/\(sn)", .app).expectStatus(200)
            let thief = try DeviceKey.generate()
            let ticket = try await lab.server.issueTicket(sn: sn)
            let attempt = try await lab.server.request(
                "POST", "/v1/devices/\(sn)/register", .none,
                json: ["ticket": ticket, "publicKey": Base64URL.encode(thief.publicKey)])
            #expect(attempt.status == 409)
            #expect((attempt.json["error"] as? [String: Any])?["code"] as? String == "deviceRegistered")
            #expect((attempt.json["error"] as? [String: Any])?["seedCode"] as? Int == -10008)
            let after = try await lab.server.request("GET", "/v1/devices/\(sn)", .app)
            #expect(after.string("publicKey") == registered.string("publicKey"))
            let during = await call.expectMediaKeepsFlowing(since: before, "re-registering its SN")

            // The app resets the device: its session is closed, its call ends, and now a ticket registers it.
            let mark = call.device.mark
            try await lab.server.request("POST", "/v1/devices/\(sn)/reset", .app).expectStatus(200)
            try await call.device.waitFor("offline", after: mark, timeout: .seconds(15)) {
                $0["cb"] as? String == "onOffline"
            }
            #expect(await poll(seconds: 15) { call.phone.callEvents.contains("hang_up") })
            // The device stops: it does not keep knocking with a key that no longer counts.
            let failures = try await lab.server.metric("ringlet_auth_failures_total")
            let afterReset = call.device.mark
            try await Task.sleep(for: .seconds(5))
            #expect(try await lab.server.metric("ringlet_auth_failures_total") == failures)
            #expect(!call.device.callbacks(after: afterReset).contains("onOnline"))
            let fresh = try await lab.server.issueTicket(sn: sn)
            let rekeyed = try await lab.server.request(
                "POST", "/v1/devices/\(sn)/register", .none,
                json: ["ticket": fresh, "publicKey": Base64URL.encode(thief.publicKey)])
            #expect(rekeyed.status == 200)
            SecurityReport.record("re-registering a registered SN", limit: "a registered SN is re-keyed only after a reset (409 deviceRegistered, -10008)", [
                "answer": attempt.status, "keyUnchanged": after.string("publicKey") == registered.string("publicKey"),
                "callBeside": "\(during)",
            ])
        }
    }

    @Test("a user revoked mid-call: the call ends at once on both sides, and Open door no longer reaches the device")
    func revokedUserMidCall() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside(name: "revoked")
            let sn = call.device.sn
            let mark = call.device.mark
            await call.phone.phone.sendCommand("Open door")
            try await call.device.waitFor(command: "USR_DATA", after: mark, timeout: .seconds(15))

            let revoke = ContinuousClock.now
            let afterOpen = call.device.mark
            try await lab.server.request("DELETE", "/v1/me/authorizations/\(sn)", .user(call.user.token)).expectStatus(200)
            try await call.device.waitFor(command: "CALL_HANG_UP", after: afterOpen, timeout: .seconds(10))
            let deviceEnded = ContinuousClock.now - revoke
            #expect(await poll(seconds: 10) { call.phone.callEvents.contains("hang_up") })
            let phoneEnded = ContinuousClock.now - revoke
            try await call.device.waitFor(callback: "onUpdateAuthorizeStatus", after: afterOpen, timeout: .seconds(10))

            let afterEnd = call.device.mark
            await call.phone.phone.sendCommand("Open door")
            try await Task.sleep(for: .seconds(3))
            #expect(!call.device.commands(after: afterEnd).contains("USR_DATA"), "Open door reached the device after revocation")
            let history = try await lab.server.request("GET", "/v1/me/calls", .user(call.user.token))
            let outcome = ((history.json["items"] as? [[String: Any]])?.first?["outcome"] as? String) ?? ""
            #expect(outcome == "revoked")
            SecurityReport.record("a revoked user mid-call", limit: "revocation ends the user's calls with the device (outcome revoked)", [
                "deviceHangUpAfterMs": Int(deviceEnded.components.seconds * 1000 + deviceEnded.components.attoseconds / 1_000_000_000_000_000),
                "phoneHangUpWithinMs": Int(phoneEnded.components.seconds * 1000 + phoneEnded.components.attoseconds / 1_000_000_000_000_000),
                "openDoorAfterRevocation": call.device.commands(after: afterEnd).filter { $0 == "USR_DATA" }.count,
                "storedOutcome": outcome,
            ])
        }
    }
}

/// `GET /v1/me` with `token` from the source address `source`, by curl in the lab's namespace; the status.
func curlStatus(_ lab: SecurityLab, from source: String, token: String) async throws -> Int {
    let command = lab.namespace.exec(["curl", "-sS", "-m", "10", "--interface", source, "-o", "/dev/null",
                                      "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)",
                                      "\(lab.server.base)/v1/me"])
    let child = try RingletTestSupport.ChildProcess(command[0], arguments: Array(command.dropFirst()), folder: lab.folder,
                                                    name: "curl")
    guard await child.wait(timeout: 15), let status = Int(child.outputText) else {
        throw RawSocketError("curl failed: \(child.errorText)")
    }
    return status
}

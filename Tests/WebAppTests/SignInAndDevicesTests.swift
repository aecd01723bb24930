import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

@Suite("Web app: sign-in, devices, notices and history in headless Chromium", .serialized, .timeLimit(.minutes(3)))
struct SignInAndDevicesTests {
    @Test("with --dev a name signs in; the page stays signed in on reload; the same name is the same user after sign-out")
    func devSignIn() async throws {
        try await WebAppBench.run { bench in
            let browser = try await bench.launchBrowser()
            let page = try await browser.firstPage()
            try await page.emulatePhone()
            try await page.reload()
            try await page.waitForState("view", "signin")
            try await page.waitUntil("!document.getElementById('dev-signin').hidden")
            try await screenshot(page, "sign-in")

            try await signIn(page, as: "Ada")
            #expect(try await page.string("document.getElementById('user-name').textContent") == "Ada")
            let first = try await openID(of: page, server: bench.server)
            #expect(first.hasPrefix("oid_"))
            // The Account tab shows the openId a device calls.
            try await page.click(tab: "Account")
            try await page.waitUntil("document.getElementById('account-openid').textContent === \(jsString(first))")

            try await page.reload()
            try await page.waitForState("view", "main")
            try await page.waitForState("signal", "online")
            let signedInToken = try await token(of: page)
            #expect(try await bench.server.request("GET", "/v1/me", .user(signedInToken)).status == 200)

            try await page.click(button: "Sign out")
            try await page.waitForState("view", "signin")
            // Signing out ends the session on the server: the token no longer works for anyone who has it.
            let deadline = ContinuousClock.now + .seconds(10)
            var after = try await bench.server.request("GET", "/v1/me", .user(signedInToken)).status
            while after != 401, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                after = try await bench.server.request("GET", "/v1/me", .user(signedInToken)).status
            }
            #expect(after == 401)
            #expect(try await page.string("sessionStorage.getItem('ringlet.token') ?? localStorage.getItem('ringlet.token') ?? ''") == "")
            // The name is offered again, and picks the same user.
            try await page.waitUntil("[...document.querySelectorAll('#dev-names option')].some(o => o.value === 'Ada')")
            try await signIn(page, as: "Ada")
            #expect(try await openID(of: page, server: bench.server) == first)
            let users = try await bench.server.request("GET", "/v1/dev/users", .none)
            #expect((users.json["items"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test("a sign-in link (#code=…) signs in once and leaves the address bar; opened again it signs nobody in")
    func signInLink() async throws {
        try await WebAppBench.run { bench in
            let url = try await bench.server.signInLink(name: "Grace")
            #expect(url.hasPrefix("\(bench.server.base)/app/#code=rlc_"))
            #expect(!url.contains("rlu_"))
            let browser = try await bench.launchBrowser(url: url)
            let page = try await browser.firstPage()
            try await page.waitForState("view", "main")
            try await page.waitForState("signal", "online")
            #expect(try await page.string("document.getElementById('user-name').textContent") == "Grace")
            #expect(try await page.string("location.hash") == "")
            // The same link in a fresh page (no stored token): the code was used, nobody is signed in.
            _ = try await page.evaluate("sessionStorage.clear(); localStorage.clear()")
            let again = try await browser.newPage(url: url)
            try await again.waitForState("view", "signin")
            try await again.waitForText("This sign-in link was used already or has expired. Ask for a new one.")
            #expect(try await again.string("localStorage.getItem('ringlet.token') ?? sessionStorage.getItem('ringlet.token') ?? ''") == "")
        }
    }

    @Test("an expired session returns the open page to the sign-in view at its expiry (the signaling's close, not a later poll) with a message, and forgets the token")
    func expiredSession() async throws {
        try await WebAppBench.run { bench in
            // Long enough for a loaded machine to start the browser and sign in before it ends.
            let ttl = 8
            let browser = try await bench.launchBrowser(url: try await bench.server.signInLink(name: "Grace", ttlSeconds: ttl))
            let page = try await browser.firstPage()
            try await page.waitForState("view", "main")
            try await page.waitForState("signal", "online")
            let me = try await bench.server.request("GET", "/v1/me", .user(try await token(of: page)))
            let expiresAt = try #require(me.json["sessionExpiresAt"] as? Int)
            // The server closes the page's signaling session when the token expires (session_expired); the page
            // signs out by itself, without a reload, at once — not at its next 10 s refresh of the device list.
            try await page.waitUntil("document.body.dataset.view === 'signin'", timeout: .seconds(Int64(ttl) + 20))
            let late = Int(Date().timeIntervalSince1970 * 1000) - expiresAt
            #expect(late < 4000, "noticed \(late) ms after the expiry")
            try await page.waitForText("Your session has ended. Sign in again.")
            #expect(try await page.string("localStorage.getItem('ringlet.token') ?? sessionStorage.getItem('ringlet.token') ?? ''") == "")
            try await page.reload()
            try await page.waitForState("view", "signin")
        }
    }

    @Test("authorize from an SN ticket: listed by name, online once the device connects; a bad ticket is explained; revoke removes it")
    func authorizeAndRevoke() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            #expect(try await page.evaluate("!document.getElementById('devices-empty').hidden") as? Bool == true)

            // The app backend issues a ticket for its device; the person types the SN and ticket.
            let ticket = try await bench.server.issueTicket(sn: "DOOR-1", deviceName: "Front door")
            try await authorize(page, sn: "DOOR-1", ticket: ticket)
            try await page.waitForText("Front door may now call you.")
            let row = deviceRow("DOOR-1")
            try await page.waitUntil("document.querySelector('\(row)')?.dataset.online === 'false'")
            #expect(try await page.string("document.querySelector('\(row) .name').textContent") == "Front door")
            #expect(try await page.string("document.querySelector('\(row) .state').textContent") == "Offline")

            // The device registers with the same ticket and connects: shown online (the list refreshes itself).
            let device = try bench.startDevice(sn: "DOOR-1", ticket: ticket)
            try await device.waitUntilReady()
            try await page.waitUntil("document.querySelector('\(row)')?.dataset.online === 'true'", timeout: .seconds(15))
            #expect(try await page.string("document.querySelector('\(row) .state').textContent") == "Online")
            #expect(try await page.buttonNames().contains("Call"))
            try await screenshot(page, "devices")

            // A ticket for another SN is refused with a message that says what to do.
            let other = try await bench.server.issueTicket(sn: "GATE-2")
            try await authorize(page, sn: "DOOR-1", ticket: other)
            try await page.waitForText("The ticket is not valid for this SN, or it has expired")

            // Revoke asks once more, then the device is gone and told so.
            try await page.click(button: "Revoke")
            try await page.click(button: "Yes, revoke")
            try await page.waitUntil("!document.querySelector('\(row)')")
            try await page.waitUntil("!document.getElementById('devices-empty').hidden")
            try await device.waitFor("onUpdateAuthorizeStatus 0") {
                $0["cb"] as? String == "onUpdateAuthorizeStatus" && $0["status"] as? Int == 0
            }
        }
    }

    @Test("notices arrive live (toast, unread badge), stay after a reload, and Mark read clears them; history lists a rejected call")
    func noticesAndHistory() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page)

            try device.send("notice Someone is at the door")
            try await page.waitForState("unread", "1")
            try await page.waitUntil("document.getElementById('toast').textContent === 'Front door: Someone is at the door'")
            #expect(try await page.string("document.getElementById('unread-count').textContent") == "1")
            try device.send("notice Parcel delivered")
            try await page.waitForState("unread", "2")

            try await page.reload()
            try await page.waitForState("signal", "online")
            try await page.click(tab: "Notices")
            try await page.waitUntil("document.querySelectorAll('#notice-list li').length === 2")
            #expect(try await page.string("document.querySelector('#notice-list li .text').textContent") == "Parcel delivered")
            #expect(try await page.string("document.querySelector('#notice-list li .title').textContent") == "Front door")
            try await screenshot(page, "notices")
            #expect(try await page.buttonNames().contains("Mark read"))

            try await page.click(button: "Mark read")
            try await page.waitForState("unread", "1")
            let unread = try await bench.server.request("GET", "/v1/me/notices?unread=true", .user(try await token(of: page)))
            #expect((unread.json["items"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["Someone is at the door"])
            try await page.click(button: "Mark all read")
            try await page.waitForState("unread", "0")

            // A call the person rejects shows up in the history.
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await page.click(button: "Reject")
            try await device.waitFor(command: "CALL_REJECT", after: call.mark)
            try await page.waitForState("callState", "idle")
            try await page.click(tab: "History")
            try await page.waitUntil("document.querySelector('#call-list li')?.dataset.outcome === 'rejected'")
            let text = try await page.string("document.querySelector('#call-list li').innerText")
            #expect(text.contains("Front door") && text.contains("Incoming video call") && text.contains("Rejected"))
        }
    }
}

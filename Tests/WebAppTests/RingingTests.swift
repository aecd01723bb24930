import Foundation
import RingletSignaling
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Ringing and the signaling side of calls, with a stand-in device that speaks signaling only (no media): the
/// media call tests run against `ringlet device`.
@Suite("Web app: ringing, answering elsewhere, refused media, dropped connections", .serialized, .timeLimit(.minutes(3)))
struct RingingTests {
    @Test("two pages of one user both ring with the device's name; one answers, the other stops; Mute and Open door reach the device; the device hangs up")
    func twoPagesOneAnswers() async throws {
        try await WebAppBench.run { bench in
            let (browser, first) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, first, sn: "DOOR-1", name: "Front door")
            // A second tab of the same browser starts signed in as the same person (the token kept for new tabs).
            let second = try await browser.newPage(url: bench.server.appURL)
            try await second.waitForState("view", "main")
            try await second.waitForState("signal", "online")
            #expect(try await token(of: second) == token(of: first))

            let result = try await device.call(openId: try await openID(of: first, server: bench.server))
            #expect(result.code == .ok)
            let callID = try #require(result.callId)
            for page in [first, second] {
                try await page.waitForState("callState", "ringing")
                #expect(try await page.state("callId") == callID)
                #expect(try await page.state("ringtone") == "on")
                #expect(try await page.string("document.getElementById('call-peer').textContent") == "Front door")
                #expect(try await page.string("document.getElementById('call-kind').textContent") == "Incoming video call")
                let names = try await page.buttonNames()
                #expect(names == ["Reject", "Answer"], "only the ringing view is reachable while it rings: \(names)")
            }

            try await first.click(button: "Answer")
            try await device.waitForEvent(.answer, callId: callID)
            try await first.waitForState("callState", "active")
            #expect(try await first.state("ringtone") == "off")
            try await waitForCallEnd(second, "answered_elsewhere", "Answered on another device.", callID: callID)
            try await second.waitForState("callState", "idle", timeout: .seconds(8))
            #expect(try await first.buttonNames() == ["Mute", "Camera", "Open door", "Hang up"])

            try await first.click(button: "Mute")
            try await device.waitFor("av_state microphone off") {
                if case .avState(let m) = $0 { m.callId == callID && !m.microphone && m.camera } else { false }
            }
            #expect(try await first.evaluate("document.getElementById('mute').getAttribute('aria-pressed')") as? String == "true")
            try await first.click(button: "Camera")
            try await device.waitFor("av_state camera off") {
                if case .avState(let m) = $0 { m.callId == callID && !m.camera } else { false }
            }
            try await first.click(button: "Open door")
            try await device.waitFor("command usr_data") {
                if case .command(let m) = $0 { m.callId == callID && m.name == "usr_data" && m.data == "Open door" } else { false }
            }

            device.send(.hangUp(CallAction(callId: callID)))
            try await waitForCallEnd(first, "remote_hang_up", "Front door hung up.", callID: callID)
            try await first.waitForState("callState", "idle", timeout: .seconds(8))
            try await first.click(tab: "History")
            try await first.waitUntil("document.querySelector('#call-list li')?.dataset.outcome === 'completed'")
        }
    }

    @Test("the ringing ends by itself when the device cancels and when nobody answers in time")
    func ringEndsByItself() async throws {
        try await WebAppBench.run(serverFlags: ["--ring-timeout", "3"]) { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page, sn: "DOOR-1", name: "Front door")
            let openId = try await openID(of: page, server: bench.server)

            let cancelled = try #require(try await device.call(openId: openId).callId)
            try await page.waitForState("callState", "ringing")
            device.send(.cancel(CallAction(callId: cancelled)))
            try await waitForCallEnd(page, "remote_cancelled", "Front door cancelled the call.", callID: cancelled)
            #expect(try await page.state("ringtone") == "off")
            try await page.waitForState("callState", "idle", timeout: .seconds(8))

            let unanswered = try #require(try await device.call(openId: openId).callId)
            try await page.waitForState("lastRingId", unanswered)
            try await device.waitForEvent(.timeout, callId: unanswered, timeout: .seconds(10))
            try await waitForCallEnd(page, "missed", "Missed call from Front door.", callID: unanswered)
            try await page.waitForState("callState", "idle", timeout: .seconds(8))
        }
    }

    @Test("a refused camera and microphone is explained: calling does not start, answering keeps ringing")
    func refusedMedia() async throws {
        try await WebAppBench.run { bench in
            let (browser, page) = try await signedInPage(bench, grantMedia: false)
            try await browser.setMediaPermission("denied", origin: bench.server.base)
            let device = try await authorizedDevice(bench, page, sn: "DOOR-1", name: "Front door")

            try await page.click(button: "Call")
            try await page.waitForState("mediaError", "refused")
            try await page.waitForState("callEnd", "media_refused")
            try await page.waitForText("Camera and microphone are blocked.")
            #expect(!device.messages.contains { $0.type == "join_notify" }, "no call was placed")
            try await page.click(button: "Close")
            try await page.waitForState("callState", "idle")

            let callID = try #require(try await device.call(openId: try await openID(of: page, server: bench.server)).callId)
            try await page.waitForState("callState", "ringing")
            try await page.click(button: "Answer")
            try await page.waitForState("mediaError", "refused")
            try await page.waitForText("Allow them for this site in your browser's settings")
            #expect(try await page.state("callState") == "ringing", "still ringing: the person can fix it or reject")
            #expect(!device.messages.contains { if case .callEvent = $0 { true } else { false } })
            try await page.click(button: "Reject")
            try await device.waitForEvent(.reject, callId: callID)
        }
    }

    @Test("a dropped server connection is shown, ends the call in progress, and the page reconnects by itself")
    func connectionDrops() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page, sn: "DOOR-1", name: "Front door")
            let callID = try #require(try await device.call(openId: try await openID(of: page, server: bench.server)).callId)
            try await page.waitForState("callState", "ringing")
            try await page.click(button: "Answer")
            try await device.waitForEvent(.answer, callId: callID)
            try await page.waitForState("callState", "active")

            bench.server.stop()
            try await waitForCallEnd(page, "dropped", "The connection to the server dropped, so the call ended.", callID: callID)
            try await page.waitForState("signal", "offline")
            try await page.waitForText("Connection to the server lost.")

            try bench.server.startAgain()
            try await page.waitForState("signal", "online", timeout: .seconds(20))
            try await page.waitUntil("document.getElementById('banner').hidden")
        }
    }

    @Test("phone layout 390×844: nothing overflows sideways, buttons are at least 44 px; the desktop layout is a centred column")
    func layout() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            _ = try await authorizedDevice(bench, page, sn: "DOOR-1", name: "Front door with a rather long name")
            let fits = """
                (() => {
                  const width = document.documentElement.clientWidth;
                  const wide = document.documentElement.scrollWidth > width;
                  const small = [...document.querySelectorAll('button')].filter(b => b.offsetParent !== null)
                    .map(b => b.getBoundingClientRect()).filter(r => r.height < 44 || r.right > width + 0.5 || r.left < -0.5);
                  return width === 390 && !wide && small.length === 0;
                })()
                """
            try await page.waitUntil(fits)
            for tab in ["Notices", "History", "Devices"] {
                try await page.click(tab: tab)
                try await page.waitUntil(fits)
            }
            try await page.emulateDesktop()
            try await page.waitUntil("""
                (() => { const r = document.getElementById('view-main').getBoundingClientRect();
                         return r.width <= 720 && Math.abs(r.left - (1280 - r.right)) < 2; })()
                """)
        }
    }
}

import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Trouble said plainly (camera and microphone refused, the server connection dropped during a call) and the
/// phone and desktop layouts, with a real `ringlet device` on the other end.
@Suite("Web app: refused media, dropped connections, layout", .serialized, .timeLimit(.minutes(3)))
struct TroubleAndLayoutTests {
    @Test("a refused camera and microphone is explained: calling does not start, answering keeps ringing")
    func refusedMedia() async throws {
        try await WebAppBench.run { bench in
            let (browser, page) = try await signedInPage(bench, grantMedia: false)
            try await browser.setMediaPermission("denied", origin: bench.server.base)
            let device = try await authorizedDevice(bench, page)

            try await page.click(button: "Call")
            try await page.waitForState("mediaError", "refused")
            try await page.waitForState("callEnd", "media_refused")
            try await page.waitForText("Camera and microphone are blocked.")
            try await page.click(button: "Close")
            try await page.waitForState("callState", "idle")
            #expect(!device.callbacks().contains("onJoinNotify"), "no call was placed")

            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await page.click(button: "Answer")
            try await page.waitForState("mediaError", "refused")
            try await page.waitForText("Allow them for this site in your browser's settings")
            #expect(try await page.state("callState") == "ringing", "still ringing: the person can fix it or reject")
            #expect(device.commands(after: call.mark).isEmpty, "the device was told nothing")
            try await page.click(button: "Reject")
            try await device.waitFor(command: "CALL_REJECT", after: call.mark)
        }
    }

    @Test("a dropped server connection is shown, ends the call in progress, and the page reconnects by itself; a device that dies mid-call ends the call as lost")
    func connectionDrops() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page)
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await answerWithMedia(page, device, after: call.mark)

            let drop = device.mark
            await bench.server.stop()
            try await waitForCallEnd(page, "dropped", "The connection to the server dropped, so the call ended.", callID: call.callID)
            try await page.waitForState("signal", "offline")
            try await page.waitForText("Connection to the server lost.")
            // The device lost its signaling too: its call ends (onStopRealPlay only) and it goes offline.
            try await device.waitFor(callback: "onStopRealPlay", after: drop)
            try await device.waitFor(callback: "onOffline", after: drop)

            try await bench.server.startAgain()
            try await page.waitForState("signal", "online", timeout: .seconds(20))
            try await page.waitUntil("document.getElementById('banner').hidden")
            try await device.waitFor("P2P_PEER_READY again", after: drop, timeout: .seconds(30)) {
                $0["cb"] as? String == "onNotify" && $0["name"] as? String == "P2P_PEER_READY"
            }

            // The device's process dies during the next call (its signaling connection drops without a hang-up).
            try await page.waitForState("callState", "idle")
            let again = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await answerWithMedia(page, device, after: again.mark)
            await device.kill()
            try await waitForCallEnd(page, "peer_gone", "The call dropped: Front door lost its connection.", callID: again.callID)
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
            for tab in ["Notices", "History", "Account", "Devices"] {
                try await page.click(tab: tab)
                try await page.waitUntil(fits)
            }
            try await page.emulateDesktop()
            try await page.waitUntil("""
                (() => { const r = document.getElementById('view-main').getBoundingClientRect();
                         // The page may be taller than the window: centred in the width left beside a scroll bar.
                         const width = document.documentElement.clientWidth;
                         return width > 1200 && r.width <= 720 && Math.abs(r.left - (width - r.right)) < 2; })()
                """)
        }
    }
}

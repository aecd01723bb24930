import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// The call screens a doorbell user meets first (issue 16): who is at the door before answering, an offline
/// device, a list that stays put under the finger, a page opened without HTTPS, and the account view.
@Suite("Web app: early video, offline devices, watching without HTTPS", .serialized, .timeLimit(.minutes(3)))
struct CallScreenTests {
    @Test("early video: a device with --early-video is seen while it rings — its video decoded before Answer, the page's camera and microphone not started, the device's stream started before CALL_ANSWER and its sound held back — then Answer gives media both ways")
    func earlyVideo() async throws {
        try await WebAppBench.run { bench in
            let browser = try await bench.launchBrowser()
            let page = try await browser.firstPage()
            try await countCameraRequests(page)
            try await page.emulatePhone()
            try await page.reload()
            try await signIn(page, as: "Ada")
            let device = try await authorizedDevice(bench, page, arguments: ["--early-video"])
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))

            // While it rings: the device's picture decodes and plays; nothing of the page's is taken or sent.
            try await page.waitUntil("""
                document.body.dataset.callState === 'ringing' && Number(document.body.dataset.framesDecoded) > 0
                  && document.body.dataset.remoteVideo === 'playing' && document.body.dataset.earlyVideo === 'playing'
                """, timeout: .seconds(30))
            #expect(try await page.state("callState") == "ringing")
            #expect(try await page.evaluate("window.cameraRequests") as? Int == 0, "no getUserMedia before Answer")
            #expect(try await page.state("localMedia") == "", "no local stream while it rings")
            #expect(try await page.state("audioPackets") == "0", "the device's sound waits for the answer")
            #expect(try await page.buttonNames() == ["Reject", "Answer"])
            #expect(callFlow(device, after: call.mark).prefix(2) == ["onGetAvEncInfo", "onStartRealPlay"],
                    "the stream started while ringing: \(callFlow(device, after: call.mark))")
            #expect(!device.commands(after: call.mark).contains("CALL_ANSWER"))
            #expect(device.callbacks(after: call.mark).filter { $0.hasPrefix("onStartRecv") }.isEmpty,
                    "nothing from the page before Answer")
            try await screenshot(page, "ringing-early-video")

            let answered = device.mark
            try await page.click(button: "Answer")
            try await device.waitFor(command: "CALL_ANSWER", after: answered)
            try await waitForPageMedia(page)
            try await waitForDeviceMedia(device, after: answered)
            #expect(try await page.evaluate("window.cameraRequests") as? Int == 1, "the camera starts at Answer")
            // The answer took the early video's connection: no second start of the stream.
            #expect(!callFlow(device, after: answered).contains("onStartRealPlay"))
            let hangUp = device.mark
            try await page.click(button: "Hang up")
            try await device.waitFor(callback: "onStopRealPlay", after: hangUp)
            #expect(callFlow(device, after: hangUp) == ["CALL_HANG_UP", "onStopRecvStream", "onStopRealPlay"])
        }
    }

    @Test("early video with two pages: one shows it, the other answers; the device starts its media again for the answering page and the call has media both ways")
    func earlyVideoAnsweredElsewhere() async throws {
        try await WebAppBench.run { bench in
            let (browser, first) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, first, arguments: ["--early-video"])
            let call = try await deviceCalls(device, first, openId: try await openID(of: first, server: bench.server))
            try await first.waitUntil("document.body.dataset.remoteVideo === 'playing'", timeout: .seconds(30))
            // A second page opens while it rings (it gets the ring and the device's offer; the preview is taken).
            let second = try await browser.newPage(url: bench.server.appURL)
            try await second.emulatePhone()
            try await second.waitForState("callState", "ringing", timeout: .seconds(20))
            #expect(try await second.state("callId") == call.callID)

            // The answering page's answers come late (as on a slow phone), so that anything it would answer of the
            // device's earlier offer crosses the device's new offer on the way: the order that went wrong.
            try await second.evaluate("""
                (() => { const real = RTCPeerConnection.prototype.createAnswer;
                  RTCPeerConnection.prototype.createAnswer = function (...args) {
                    return new Promise((resolve) => setTimeout(resolve, 300)).then(() => real.apply(this, args)); };
                  return true; })()
                """)
            let answered = device.mark
            try await second.click(button: "Answer")
            try await device.waitFor(command: "CALL_ANSWER", after: answered)
            try await waitForCallEnd(first, "answered_elsewhere", "Answered on another device.", callID: call.callID)
            try await waitForPageMedia(second)
            try await waitForDeviceMedia(device, after: answered)
            try device.send("hangup")
            try await waitForCallEnd(second, "remote_hang_up", "Front door hung up.", callID: call.callID)
        }
    }

    @Test("an offline device's Call is disabled with the reason; a call placed from a list that was not refreshed yet is said to be offline and is in History")
    func offlineDevice() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page)
            // The list on screen stops refreshing (its requests never answer), as a list shown moments before the
            // device went away.
            try await page.evaluate("""
                (() => { const real = window.fetch; window.realFetch = real;
                  window.fetch = (url, options) => String(url).includes('/v1/me/authorizations')
                    ? new Promise(() => {}) : real(url, options); return true; })()
                """)
            await device.stop()
            let token = try await token(of: page)
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline {
                let list = try await bench.server.request("GET", "/v1/me/authorizations", .user(token))
                if (list.json["items"] as? [[String: Any]])?.first?["online"] as? Bool == false { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await page.evaluate("document.querySelector('\(deviceRow("DOOR-1"))').dataset.online") as? String == "true")
            try await page.click(button: "Call")
            try await waitForCallEnd(page, "refused_-1001", "Front door is offline.")
            try await page.evaluate("(() => { window.fetch = window.realFetch; return true; })()")
            try await page.click(button: "Close")

            // Refreshed, the row says offline and why, and its Call is disabled (for screen readers too).
            try await page.click(tab: "Devices")
            try await page.waitUntil("document.querySelector('\(deviceRow("DOOR-1"))').dataset.online === 'false'")
            let call = try #require(try await page.accessibleNodes(role: "button").first { $0.name == "Call" })
            #expect(call.disabled)
            try await page.waitForText("Front door is offline, so it cannot take calls.")
            try await screenshot(page, "device-offline")
            // The attempt is in History.
            try await page.click(tab: "History")
            try await page.waitUntil("document.querySelector('#call-list li')?.dataset.outcome === 'failed'")
            let text = try await page.string("document.querySelector('#call-list li').innerText")
            #expect(text.contains("Outgoing video call") && text.contains("Not reached: offline"), "\(text)")
            try await screenshot(page, "history")
        }
    }

    @Test("the device list is updated in place: a press on Call held across a refresh of the list still calls")
    func listStaysUnderTheFinger() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page, arguments: ["--on-join", "accept"])
            try await page.evaluate("(() => { window.callButton = document.querySelector('.call-device'); return true; })()")
            // Press on Call, hold while the periodic refresh (every 10 s) reloads the list, release.
            let point = try #require(try await page.evaluate("""
                (() => { const r = document.querySelector('.call-device').getBoundingClientRect();
                         return [r.left + r.width / 2, r.top + r.height / 2]; })()
                """) as? [NSNumber])
            let (x, y) = (point[0].doubleValue, point[1].doubleValue)
            let loaded = try await page.state("devicesLoaded")
            try await page.connection.send("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": x, "y": y])
            try await page.connection.send("Input.dispatchMouseEvent",
                                           ["type": "mousePressed", "x": x, "y": y, "button": "left", "clickCount": 1])
            try await page.waitUntil("document.body.dataset.devicesLoaded !== \(jsString(loaded))", timeout: .seconds(20))
            try await page.connection.send("Input.dispatchMouseEvent",
                                           ["type": "mouseReleased", "x": x, "y": y, "button": "left", "clickCount": 1])
            #expect(try await page.evaluate("window.callButton === document.querySelector('.call-device')") as? Bool == true,
                    "the same button after the refresh")
            try await device.waitFor(callback: "onJoinNotify")
            try await waitForPageMedia(page)
            try await page.click(button: "Hang up")
        }
    }

    @Test("opened over plain http from another address: sign-in says calls need HTTPS; a ringing call can still be answered to see and hear the device")
    func watchWithoutHTTPS() async throws {
        try await WebAppBench.run { bench in
            // ringlet.test resolves to the server's loopback address: the same server, but an origin that is not
            // a secure context (plain http, not localhost), so the browser offers no camera or microphone.
            let url = "http://ringlet.test:8080/app/"
            let browser = try await bench.launchBrowser(url: url, extraArguments: ["--host-resolver-rules=MAP ringlet.test 127.0.0.1"])
            let page = try await browser.firstPage()
            try await page.emulatePhone()
            try await page.reload()
            try await page.waitForState("view", "signin")
            #expect(try await page.state("secure") == "no")
            try await page.waitForText("Calls need HTTPS.")
            try await screenshot(page, "sign-in-insecure", desktop: false, dark: false)
            try await signIn(page, as: "Ada")
            let device = try await authorizedDevice(bench, page)
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await page.click(button: "Answer")
            try await device.waitFor(command: "CALL_ANSWER", after: call.mark)
            // The device's video and sound reach the page; the device is told the person's camera and microphone
            // are off.
            try await waitForPageMedia(page)
            try await device.waitFor(command: "CALL_AV_CLOSE", after: call.mark)
            try await page.waitForText("Calls need HTTPS for your camera and microphone")
            #expect(try await page.state("localMedia") == "")
            #expect(try await page.buttonNames() == ["Microphone", "Camera", "Open door", "Hang up"])
            #expect(try await pressed(page, "Microphone") == "false")
            #expect(try await pressed(page, "Camera") == "false")
            try device.send("hangup")
            try await waitForCallEnd(page, "remote_hang_up", "Front door hung up.", callID: call.callID)
        }
    }

    @Test("the Account tab shows the user's name and openId (what a device calls)")
    func account() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            try await page.click(tab: "Account")
            let openId = try await openID(of: page, server: bench.server)
            try await page.waitUntil("document.getElementById('account-openid').textContent === \(jsString(openId))")
            #expect(try await page.string("document.getElementById('account-name').textContent") == "Ada")
            #expect(try await page.buttonNames().contains("Copy openId"))
            try await screenshot(page, "account")
        }
    }
}

/// Makes the page count its getUserMedia calls (`window.cameraRequests`) from the next load on.
func countCameraRequests(_ page: WebPage) async throws {
    try await page.connection.send("Page.addScriptToEvaluateOnNewDocument", ["source": """
        window.cameraRequests = 0;
        if (navigator.mediaDevices) {
          const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
          navigator.mediaDevices.getUserMedia = (constraints) => { window.cameraRequests += 1; return real(constraints); };
        }
        """])
}

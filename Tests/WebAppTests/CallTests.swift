import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Calls with media between the web app in headless Chromium and a real `ringlet device` process (the simulated
/// device on the device SDK: it streams the bundled 640×480 H.264 clip and a G.711 tone, and prints every seed
/// callback), both in the test's namespace against `ringlet serve --dev`.
@Suite("Web app: calls with media against ringlet device", .serialized, .timeLimit(.minutes(3)))
struct CallTests {
    @Test("from an SN ticket to a call: the page authorizes the device, ringlet device registers with the ticket and calls, the page rings (its name and a placeholder) and answers; video and audio both ways, the whole picture shown at 390×844 and a tap fills the screen; Microphone and Camera say their state in the accessibility tree and reach the device; Open door asks first and shows the device's acknowledgement; the page hangs up and says so once")
    func ticketToCall() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            // The app backend gives the device's SN ticket; the person types SN and ticket into the page.
            let ticket = try await bench.server.issueTicket(sn: "DOOR-1", deviceName: "Front door")
            try await authorize(page, sn: "DOOR-1", ticket: ticket)
            try await page.waitForText("Front door may now call you.")
            // The device registers with the same ticket, comes online and calls the person (--call).
            let openId = try await openID(of: page, server: bench.server)
            let received = bench.folder.appendingPathComponent("received")
            let device = try bench.startDevice(sn: "DOOR-1", ticket: ticket,
                                               arguments: ["--call", openId, "--record", received.path, "--ack-commands"])
            try await device.waitFor("registerAvtVoip 0") { $0["cb"] as? String == "registerAvtVoip" && $0["code"] as? Int == 0 }
            try await device.waitFor("doWxCloudVoipCallV2 0") {
                $0["cb"] as? String == "doWxCloudVoipCallV2" && $0["code"] as? Int == 0 && $0["openId"] as? String == openId
            }

            try await page.waitForState("callState", "ringing")
            #expect(try await page.state("ringtone") == "on")
            #expect(try await page.string("document.getElementById('call-peer').textContent") == "Front door")
            #expect(try await page.string("document.getElementById('call-kind').textContent") == "Incoming video call")
            #expect(try await page.buttonNames() == ["Reject", "Answer"])
            // No early video from this device: its name and a placeholder (its initial), not a black screen.
            #expect(try await page.state("remoteVideo") != "playing")
            #expect(try await page.evaluate("getComputedStyle(document.getElementById('call-placeholder')).display !== 'none'") as? Bool == true)
            #expect(try await page.string("document.getElementById('placeholder-initial').textContent") == "F")
            try await screenshot(page, "ringing")

            let answered = device.mark
            let status = try await answerWithMedia(page, device, after: answered)
            #expect(status["link"] as? String == "direct", "\(status)\n\(device.describe())")
            #expect(Array(callFlow(device, after: answered).prefix(3)) == ["CALL_ANSWER", "onGetAvEncInfo", "onStartRealPlay"])
            #expect(try await page.state("ringtone") == "off")
            #expect(try await page.string("document.getElementById('call-link').textContent") == "Direct")
            #expect(try await page.buttonNames() == ["Microphone", "Camera", "Open door", "Hang up"])
            // The device's clip is on screen (640×480, playing) for the in-call picture.
            try await page.waitUntil("""
                (() => { const v = document.getElementById('remote-video');
                         return v.videoWidth === 640 && v.videoHeight === 480 && v.currentTime > 1 && !v.paused; })()
                """)
            // The whole 640×480 picture is on the 390×844 screen: fitted (not cropped to a third of its width).
            #expect(try await shownFraction(page) == 1, "the whole picture is shown")
            try await screenshot(page, "in-call")
            // A tap on the picture fills the screen (cropping its sides); another shows it whole again.
            try await page.clickElement("document.getElementById('remote-video')")
            try await page.waitForState("videoFit", "cover")
            let filled = try await shownFraction(page)
            #expect(filled < 0.5, "filled: \(filled) of the width shown")
            try await screenshot(page, "in-call-fill", desktop: false, dark: false)
            try await page.clickElement("document.getElementById('remote-video')")
            try await page.waitForState("videoFit", "contain")

            // Microphone and Camera are toggles whose state the accessibility tree says; off looks the same for
            // both. They reach the device as the seed's CALL_AV_* commands.
            #expect(try await pressed(page, "Microphone") == "true")
            #expect(try await pressed(page, "Camera") == "true")
            for (button, command, state) in [("Microphone", "CALL_AV_VIDEO_ONLY", "false"), ("Camera", "CALL_AV_CLOSE", "false")] {
                let before = device.mark
                try await page.click(button: button)
                try await device.waitFor(command: command, after: before)
                #expect(try await pressed(page, button) == state, "\(button) after a click")
            }
            #expect(try await page.evaluate("""
                getComputedStyle(document.getElementById('mute')).backgroundColor
                  === getComputedStyle(document.getElementById('camera')).backgroundColor
                """) as? Bool == true, "off has one colour for both")
            try await screenshot(page, "in-call-off", desktop: false)
            for (button, command) in [("Microphone", "CALL_AV_AUDIO_ONLY"), ("Camera", "CALL_AV_AUDIO_VIDEO")] {
                let before = device.mark
                try await page.click(button: button)
                try await device.waitFor(command: command, after: before)
                #expect(try await pressed(page, button) == "true")
            }

            // Open door asks first; Cancel sends nothing.
            try await page.click(button: "Open door")
            try await page.waitForState("confirm", "open")
            #expect(try await page.buttonNames() == ["Yes, open door", "Cancel"])
            #expect(try await page.string("document.getElementById('confirm-question').textContent") == "Open door at Front door?")
            try await screenshot(page, "open-door")
            try await page.click(button: "Cancel")
            try await page.waitUntil("!document.body.dataset.confirm")
            // Confirmed, it reaches the device as USR_DATA, and the device's reply (--ack-commands) is shown.
            let before = device.mark
            try await page.click(button: "Open door")
            try await page.click(button: "Yes, open door")
            let data = try await device.waitFor(command: "USR_DATA", after: before)
            #expect(data["args"] as? String == "Open door")
            try await page.waitForState("commandReply", "confirmed")
            try await page.waitForText("Front door confirmed “Open door”.")
            #expect(device.commands(after: before).filter { $0 == "USR_DATA" }.count == 1, "Cancel sent nothing")

            // The page hangs up: CALL_HANG_UP → onStopRecvStream → onStopRealPlay; the ended view says it once.
            let hangUp = device.mark
            try await page.click(button: "Hang up")
            try await page.waitForState("callState", "ended")
            let ended = try await page.string("document.getElementById('view-call').innerText")
            #expect(ended.components(separatedBy: "You hung up.").count == 2 && !ended.contains("Call ended"), "\(ended)")
            try await screenshot(page, "ended")
            try await waitForCallEnd(page, "hang_up", "You hung up.")
            try await device.waitFor(callback: "onStopRealPlay", after: hangUp)
            #expect(callFlow(device, after: hangUp) == ["CALL_HANG_UP", "onStopRecvStream", "onStopRealPlay"])
            // What the device received from the page's fake camera is on disk (--record): H.264 from a start code.
            let files = try FileManager.default.contentsOfDirectory(atPath: received.path)
            let video = try #require(files.first { $0.hasSuffix(".h264") }, "\(files)")
            let bytes = try [UInt8](Data(contentsOf: received.appendingPathComponent(video)))
            #expect(bytes.count > 10_000 && Array(bytes.prefix(4)) == [0, 0, 0, 1], "\(bytes.count) bytes")
            #expect(files.contains { $0.hasSuffix(".audio") })
        }
    }

    @Test("the device hangs up: the page's call ends with its reason; the page rejects the next call: the device gets CALL_REJECT")
    func deviceHangsUpAndReject() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page)
            let openId = try await openID(of: page, server: bench.server)

            let first = try await deviceCalls(device, page, openId: openId)
            try await answerWithMedia(page, device, after: first.mark)
            let hangUp = device.mark
            try device.send("hangup")
            try await waitForCallEnd(page, "remote_hang_up", "Front door hung up.", callID: first.callID)
            try await device.waitFor(callback: "onStopRealPlay", after: hangUp)
            #expect(callFlow(device, after: hangUp) == ["onStopRecvStream", "onStopRealPlay"])
            try await page.waitForState("callState", "idle")

            // A device that does not acknowledge custom commands: Open door is said to be unconfirmed.
            let third = try await deviceCalls(device, page, openId: openId)
            try await answerWithMedia(page, device, after: third.mark)
            try await page.click(button: "Open door")
            try await page.click(button: "Yes, open door")
            try await device.waitFor(command: "USR_DATA", after: third.mark)
            try await page.waitForState("commandReply", "unconfirmed", timeout: .seconds(20))
            try await page.waitForText("Front door did not confirm “Open door”.")
            try device.send("hangup")
            try await waitForCallEnd(page, "remote_hang_up", "Front door hung up.", callID: third.callID)
            try await page.waitForState("callState", "idle", timeout: .seconds(8))

            let second = try await deviceCalls(device, page, openId: openId)
            try await page.click(button: "Reject")
            try await device.waitFor(command: "CALL_REJECT", after: second.mark)
            try await waitForCallEnd(page, "rejected", "Call rejected.", callID: second.callID)
            #expect(callFlow(device, after: second.mark) == ["CALL_REJECT"], "rejected before any media: no stream callbacks")

            try await page.waitForState("callState", "idle")
            try await page.click(tab: "History")
            try await page.waitUntil("""
                [...document.querySelectorAll('#call-list li')].map(li => li.dataset.outcome).join() === 'rejected,completed,completed'
                """)
        }
    }

    @Test("the ringing stops by itself when the device cancels and when nobody answers in time (the device gets CALL_TIMEOUT)")
    func ringEndsByItself() async throws {
        try await WebAppBench.run(serverFlags: ["--ring-timeout", "3"]) { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page)
            let openId = try await openID(of: page, server: bench.server)

            // The device hangs up while it rings: a cancel (the seed reports nothing to the device for it).
            let cancelled = try await deviceCalls(device, page, openId: openId)
            try device.send("hangup")
            try await device.waitFor("hangUp 0", after: cancelled.mark) { $0["cb"] as? String == "hangUp" && $0["code"] as? Int == 0 }
            try await waitForCallEnd(page, "remote_cancelled", "Front door cancelled the call.", callID: cancelled.callID)
            #expect(try await page.state("ringtone") == "off")
            #expect(callFlow(device, after: cancelled.mark).isEmpty)
            try await page.waitForState("callState", "idle")

            let unanswered = try await deviceCalls(device, page, openId: openId)
            try await device.waitFor(command: "CALL_TIMEOUT", after: unanswered.mark, timeout: .seconds(10))
            try await waitForCallEnd(page, "missed", "Missed call from Front door.", callID: unanswered.callID)
            #expect(try await page.state("ringtone") == "off")
            #expect(callFlow(device, after: unanswered.mark) == ["CALL_TIMEOUT"])
            try await page.waitForState("callState", "idle")
        }
    }

    @Test("the page calls the device: --on-join accept gives onJoinNotify and media both ways (the device's G.711 tone heard in the page); busy and refuse are said plainly")
    func pageCallsDevice() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let accepting = try await authorizedDevice(bench, page, arguments: ["--on-join", "accept"])

            let start = accepting.mark
            try await page.click(button: "Call")
            try await page.waitForState("callState", "calling")
            #expect(try await page.string("document.getElementById('call-kind').textContent") == "Outgoing video call")
            let join = try await accepting.waitFor("join accepted", after: start) {
                $0["cb"] as? String == "join" && $0["code"] as? Int == 0 && $0["reply"] as? Int == 0
            }
            let roomID = try #require(join["roomId"] as? String)
            #expect(try await accepting.waitFor(callback: "onJoinNotify", after: start)["roomId"] as? String == roomID)
            // Chromium offers Opus first; the device answers with its own first codec, PCMU, so its tone reaches
            // the page (audio packets) and its audio sends are not refused.
            try await waitForPageMedia(page)
            let status = try await waitForDeviceMedia(accepting, after: start)
            #expect(int(status, "refused") == 0, "\(status)")
            #expect(try await page.state("callId") == roomID)
            #expect(Array(callFlow(accepting, after: start).prefix(3)) == ["onJoinNotify", "onGetAvEncInfo", "onStartRealPlay"])
            let hangUp = accepting.mark
            try await page.click(button: "Hang up")
            try await accepting.waitFor(callback: "onStopRealPlay", after: hangUp)
            #expect(callFlow(accepting, after: hangUp) == ["CALL_HANG_UP", "onStopRecvStream", "onStopRealPlay"])
            try await waitForCallEnd(page, "hang_up", "You hung up.", callID: roomID)
            await accepting.stop()

            // The same device (its credentials kept in its data folder) restarted to answer busy, then to refuse.
            for (policy, reason, message) in [("busy", "busy", "Front door is busy."),
                                              ("refuse", "remote_rejected", "Front door declined the call.")] {
                try await page.waitForState("callState", "idle")
                let device = try bench.startDevice(sn: "DOOR-1", ticket: nil, arguments: ["--on-join", policy])
                try await device.waitUntilReady()
                try await waitUntilListedOnline(page, sn: "DOOR-1")
                try await page.click(button: "Call")
                try await device.waitFor(callback: "onJoinNotify")
                try await waitForCallEnd(page, reason, message)
                try await page.waitForText(message)
                #expect(callFlow(device, after: 0) == ["onJoinNotify"], "\(policy): no media callbacks")
                await device.stop()
            }

            // A device that lets it ring: the outgoing screen has one button, Hang up, in the middle.
            try await page.waitForState("callState", "idle", timeout: .seconds(8))
            let ignoring = try bench.startDevice(sn: "DOOR-1", ticket: nil, arguments: ["--on-join", "ignore"])
            try await ignoring.waitUntilReady()
            try await waitUntilListedOnline(page, sn: "DOOR-1")
            try await page.click(button: "Call")
            try await ignoring.waitFor(callback: "onJoinNotify")
            #expect(try await page.state("callState") == "calling")
            #expect(try await page.buttonNames() == ["Hang up"])
            #expect(try await page.evaluate("""
                (() => { const r = document.getElementById('hang-up').getBoundingClientRect();
                         return Math.abs(r.left + r.width / 2 - document.documentElement.clientWidth / 2) < 2; })()
                """) as? Bool == true, "Hang up is centred")
            try await screenshot(page, "calling")
            try await page.click(button: "Hang up")
            try await ignoring.waitFor(callback: "onCancelNotify")
            try await waitForCallEnd(page, "cancelled", "Call cancelled.")
        }
    }

    @Test("two pages of one user ring; one answers and gets the device's media, the other stops; History says answered")
    func twoPagesOneAnswers() async throws {
        try await WebAppBench.run { bench in
            let (browser, first) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, first)
            // A second tab of the same browser starts signed in as the same person (the token kept for new tabs).
            let second = try await browser.newPage(url: bench.server.appURL)
            try await second.emulatePhone()
            try await second.waitForState("view", "main")
            try await second.waitForState("signal", "online")
            #expect(try await token(of: second) == token(of: first))

            let call = try await deviceCalls(device, first, openId: try await openID(of: first, server: bench.server))
            for page in [first, second] {
                try await page.waitForState("callState", "ringing")
                #expect(try await page.state("callId") == call.callID)
                #expect(try await page.state("ringtone") == "on")
                #expect(try await page.string("document.getElementById('call-peer').textContent") == "Front door")
                let names = try await page.buttonNames()
                #expect(names == ["Reject", "Answer"], "only the ringing view is reachable while it rings: \(names)")
            }

            try await answerWithMedia(second, device, after: call.mark)
            try await waitForCallEnd(first, "answered_elsewhere", "Answered on another device.", callID: call.callID)
            #expect(try await first.state("ringtone") == "off")
            try await first.waitForState("callState", "idle")

            try device.send("hangup")
            try await waitForCallEnd(second, "remote_hang_up", "Front door hung up.", callID: call.callID)
            try await second.waitForState("callState", "idle")
            try await second.click(tab: "History")
            try await second.waitUntil("document.querySelector('#call-list li')?.dataset.outcome === 'completed'")
        }
    }

    @Test("relay only (/app/?ice=relay): the call goes through Ringlet's TURN server, the page says Relayed and decodes the device's video")
    func relayed() async throws {
        // Everything runs on one loopback: the relay may only reach the page and the device with this flag.
        try await WebAppBench.run(serverFlags: ["--allow-loopback-peers"]) { bench in
            let browser = try await bench.launchBrowser(url: bench.server.appURL + "?ice=relay")
            let page = try await browser.firstPage()
            try await page.emulatePhone()
            try await signIn(page, as: "Ada")
            let device = try await authorizedDevice(bench, page)

            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            let status = try await answerWithMedia(page, device, after: call.mark, link: "relayed")
            #expect(try await page.string("document.getElementById('call-link').textContent") == "Relayed")
            #expect(status["link"] as? String == "relayed", "the device sees the relay too: \(status)")
            // Ringlet's own TURN server carried the media.
            let allocations = try await bench.server.metric("ringlet_turn_allocations", above: 0)
            #expect(allocations >= 1, "TURN allocations: \(allocations)")
            let relayed = try await bench.server.metric("ringlet_turn_relayed_packets_total", above: 100)
            #expect(relayed > 100, "packets relayed by Ringlet's TURN server: \(relayed)")
        }
    }
}

/// The toggle state (`aria-pressed`) of the call button named `name`, as Chromium's accessibility tree has it.
func pressed(_ page: WebPage, _ name: String) async throws -> String {
    try await page.accessibleNodes(role: "button", name: name).first?.pressed ?? "none"
}

/// How much of the device's picture's width the call's video element shows (1: all of it; with `object-fit:
/// cover` on a portrait phone about a third), from its computed style and sizes.
func shownFraction(_ page: some BrowserPage) async throws -> Double {
    let value = try await page.evaluate("""
        (() => { const v = document.getElementById('remote-video'); const box = v.getBoundingClientRect();
                 const scale = getComputedStyle(v).objectFit === 'cover'
                   ? Math.max(box.width / v.videoWidth, box.height / v.videoHeight)
                   : Math.min(box.width / v.videoWidth, box.height / v.videoHeight);
                 return Math.min(1, box.width / (v.videoWidth * scale)); })()
        """)
    return (value as? NSNumber)?.doubleValue ?? 0
}

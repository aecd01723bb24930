import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Calls with media between the web app in headless Chromium and a real `ringlet device` process (the simulated
/// device on the device SDK: it streams the bundled 640×480 H.264 clip and a G.711 tone, and prints every seed
/// callback), both in the test's namespace against `ringlet serve --dev`.
@Suite("Web app: calls with media against ringlet device", .serialized, .timeLimit(.minutes(3)))
struct CallTests {
    @Test("from an SN ticket to a call: the page authorizes the device, ringlet device registers with the ticket and calls, the page rings and answers; video and audio both ways; Mute, Camera and Open door reach the device; the page hangs up")
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
                                               arguments: ["--call", openId, "--record", received.path])
            try await device.waitFor("registerAvtVoip 0") { $0["cb"] as? String == "registerAvtVoip" && $0["code"] as? Int == 0 }
            try await device.waitFor("doWxCloudVoipCallV2 0") {
                $0["cb"] as? String == "doWxCloudVoipCallV2" && $0["code"] as? Int == 0 && $0["openId"] as? String == openId
            }

            try await page.waitForState("callState", "ringing")
            #expect(try await page.state("ringtone") == "on")
            #expect(try await page.string("document.getElementById('call-peer').textContent") == "Front door")
            #expect(try await page.string("document.getElementById('call-kind').textContent") == "Incoming video call")
            #expect(try await page.buttonNames() == ["Reject", "Answer"])
            try await screenshot(page, "ringing")

            let answered = device.mark
            let status = try await answerWithMedia(page, device, after: answered)
            #expect(status["link"] as? String == "direct")
            #expect(Array(callFlow(device, after: answered).prefix(3)) == ["CALL_ANSWER", "onGetAvEncInfo", "onStartRealPlay"])
            #expect(try await page.state("ringtone") == "off")
            #expect(try await page.string("document.getElementById('call-link').textContent") == "Direct")
            #expect(try await page.buttonNames() == ["Mute", "Camera", "Open door", "Hang up"])
            // The device's clip is on screen (640×480, playing) for the in-call picture.
            try await page.waitUntil("""
                (() => { const v = document.getElementById('remote-video');
                         return v.videoWidth === 640 && v.videoHeight === 480 && v.currentTime > 1 && !v.paused; })()
                """)
            try await screenshot(page, "in-call")

            // Mute and Camera reach the device as the seed's CALL_AV_* commands, Open door as USR_DATA.
            for (button, command) in [("Mute", "CALL_AV_VIDEO_ONLY"), ("Camera", "CALL_AV_CLOSE"),
                                      ("Mute", "CALL_AV_AUDIO_ONLY"), ("Camera", "CALL_AV_AUDIO_VIDEO")] {
                let before = device.mark
                try await page.click(button: button)
                try await device.waitFor(command: command, after: before)
            }
            let before = device.mark
            try await page.click(button: "Open door")
            let data = try await device.waitFor(command: "USR_DATA", after: before)
            #expect(data["args"] as? String == "Open door")
            try await page.waitForText("Sent “Open door”.")

            // The page hangs up: CALL_HANG_UP → onStopRecvStream → onStopRealPlay.
            let hangUp = device.mark
            try await page.click(button: "Hang up")
            try await waitForCallEnd(page, "hang_up", "Call ended.")
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

            let second = try await deviceCalls(device, page, openId: openId)
            try await page.click(button: "Reject")
            try await device.waitFor(command: "CALL_REJECT", after: second.mark)
            try await waitForCallEnd(page, "rejected", "Call rejected.", callID: second.callID)
            #expect(callFlow(device, after: second.mark) == ["CALL_REJECT"], "rejected before any media: no stream callbacks")

            try await page.waitForState("callState", "idle")
            try await page.click(tab: "History")
            try await page.waitUntil("""
                [...document.querySelectorAll('#call-list li')].map(li => li.dataset.outcome).join() === 'rejected,completed'
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
            try await waitForCallEnd(page, "hang_up", "Call ended.", callID: roomID)
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

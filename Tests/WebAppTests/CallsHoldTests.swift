import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Calls on `ringlet serve --dev`'s own settings — the TURN server's default peer policy, which refuses to relay
/// to loopback and private addresses — as a person who follows the README gets them. Before the ICE pacing fix
/// (docs/ice.md, "Timer contract") 8 of 11 calls from the page to the device died ~3 s after the answer here.
@Suite("Calls hold on the server's default settings", .serialized)
struct CallsHoldTests {
    /// One device process used by one task at a time (the two directions run at once, each on its own device).
    final class Owned<T>: @unchecked Sendable {
        // @unchecked Sendable: each box is handed to exactly one task, which alone touches `value`.
        let value: T
        init(_ value: T) { self.value = value }
    }

    /// Media counters of both sides at one moment.
    struct Sample: Equatable {
        var pageVideo = 0, pageAudio = 0, deviceVideo = 0, deviceAudio = 0

        /// Whether every counter grew since `before`.
        func allGrew(since before: Sample) -> Bool {
            pageVideo > before.pageVideo && pageAudio > before.pageAudio && deviceVideo > before.deviceVideo
                && deviceAudio > before.deviceAudio
        }
    }

    static func sample(_ page: WebPage, _ device: DeviceProcess) async throws -> Sample {
        let status = device.lastStatus
        return Sample(pageVideo: Int(try await page.state("framesDecoded")) ?? 0,
                      pageAudio: Int(try await page.state("audioPackets")) ?? 0,
                      deviceVideo: int(status, "videoReceived"), deviceAudio: int(status, "audioReceived"))
    }

    /// Holds the answered call for `seconds`, checking every 10 s that media still flows both ways (the page decodes
    /// the device's video and receives its audio; the device receives the page's video and audio) and that the call
    /// is still up; then the page hangs up. Returns what went wrong, or nil.
    static func hold(_ page: WebPage, _ device: DeviceProcess, seconds: Int, round: Int) async throws -> String? {
        var last = try await sample(page, device)
        for elapsed in stride(from: 10, through: seconds, by: 10) {
            try await Task.sleep(for: .seconds(10))
            let now = try await sample(page, device)
            guard try await page.state("callState") == "active", now.allGrew(since: last) else {
                return "round \(round): after \(elapsed) s the call was \(try await page.state("callState")); "
                    + "media \(last) → \(now); last device callbacks \(device.callbacks().suffix(4)); the page says "
                    + "\(try await page.state("lastCallEnd")): \(try await page.state("lastCallMessage")) "
                    + "(signal \(try await page.state("signal")))\n\(device.describe())"
            }
            last = now
        }
        let hangUp = device.mark
        try await page.click(button: "Hang up")
        try await device.waitFor(callback: "onStopRealPlay", after: hangUp)
        try await page.waitForState("callState", "idle", timeout: .seconds(15))
        return nil
    }

    @Test("20 calls from the page to the device and 20 from the device to the page each keep media both ways for 30 s")
    func twentyEachWay() async throws {
        try await WebAppBench.run { bench in
            let (_, callerPage) = try await signedInPage(bench)
            let called = try await authorizedDevice(bench, callerPage, sn: "DOOR-1", name: "Front door",
                                                    arguments: ["--on-join", "accept"])
            let browser = try await bench.launchBrowser()
            let answeringPage = try await browser.firstPage()
            try await answeringPage.emulatePhone()
            try await signIn(answeringPage, as: "Bea")
            let caller = try await authorizedDevice(bench, answeringPage, sn: "DOOR-2", name: "Back door")
            let openId = try await openID(of: answeringPage, server: bench.server)
            let (a, b) = (Owned(called), Owned(caller))

            async let fromPage: [String] = {
                var failures: [String] = []
                for round in 1...20 {
                    let start = a.value.mark
                    try await callerPage.click(button: "Call")
                    try await waitForPageMedia(callerPage)
                    try await waitForDeviceMedia(a.value, after: start)
                    if let failure = try await CallsHoldTests.hold(callerPage, a.value, seconds: 30, round: round) {
                        failures.append("page → device " + failure)
                        try? await callerPage.waitForState("callState", "idle", timeout: .seconds(20))
                    }
                }
                return failures
            }()
            async let fromDevice: [String] = {
                var failures: [String] = []
                for round in 1...20 {
                    let (mark, _) = try await deviceCalls(b.value, answeringPage, openId: openId)
                    try await answerWithMedia(answeringPage, b.value, after: mark)
                    if let failure = try await CallsHoldTests.hold(answeringPage, b.value, seconds: 30, round: round) {
                        failures.append("device → page " + failure)
                        try? await answeringPage.waitForState("callState", "idle", timeout: .seconds(20))
                    }
                }
                return failures
            }()
            let failures = try await fromPage + fromDevice
            #expect(failures.isEmpty, "\(failures.count) of 40 calls did not hold:\n\(failures.joined(separator: "\n"))")
            // Every one of the 40 calls is in the history as completed (hung up by the page), none dropped.
            let outcomes = try await historyOutcomes(callerPage) + historyOutcomes(answeringPage)
            #expect(outcomes.filter { $0 == "completed" }.count == 40, "\(outcomes)")
        }
    }

    @Test("a call whose media is cut ends as dropped: the page says so, the device sees only onStopRealPlay, History says Dropped")
    func mediaCut() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page)
            let openId = try await openID(of: page, server: bench.server)
            let (mark, callID) = try await deviceCalls(device, page, openId: openId)
            try await answerWithMedia(page, device, after: mark)
            let cut = device.mark
            try await bench.blockUDP()
            try await device.waitFor(callback: "onStopRealPlay", after: cut, timeout: .seconds(30))
            #expect(callFlow(device, after: cut) == ["onStopRealPlay"], "no hang-up command on the device")
            try await waitForCallEnd(page, "peer_gone", "The call dropped: Front door lost its connection.",
                                     callID: callID, timeout: .seconds(30))
            try await page.click(tab: "History")
            try await page.waitUntil("""
                document.querySelector('#call-list li')?.dataset.outcome === 'peer_gone'
                  && document.querySelector('#call-list li')?.textContent.includes('Dropped')
                """)
        }
    }
}

/// The outcomes of the page user's calls (`GET /v1/me/calls`, newest first).
func historyOutcomes(_ page: WebPage) async throws -> [String] {
    let text = try await page.string("""
        (async () => { const r = await fetch('/v1/me/calls?limit=100', { headers: {
            Authorization: 'Bearer ' + sessionStorage.getItem('ringlet.token') } });
          const j = await r.json(); return JSON.stringify((j.items || []).map(c => c.outcome)); })()
        """)
    return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
}

// One call between headless Chromium and the Swift engine inside the harness's namespace: used by
// Tests/ChromiumInteropTests and by `ringlet bench setup` (one harness, two users).
import Foundation
import RingletCore
import RingletEngine
import RingletEngineTestSupport
import RingletNIO
import RingletTURN

/// Who makes the offer.
package enum Offerer: String, Sendable, CustomStringConvertible, CaseIterable {
    case chromium, swift
    package var description: String { rawValue }
}

/// The outcome of one call, with the timeline in milliseconds from the Swift side's `offer` mark.
package struct CallResult {
    /// Chromium's latest report (getStats summary, marks, errors).
    package let report: [String: Any]?
    /// What the Swift side saw.
    package let engine: EngineSnapshot
    /// Milestones in ms from the Swift `offer` mark: the engine's marks by name (`offer`, `answer`, `iceConnected`,
    /// `dtlsConnected`, `firstVideoFrame`, …) and Chromium's wall-clock marks mapped onto the engine's clock as
    /// `chromium.offer`, `chromium.iceConnected`, `chromium.connected`, `chromium.firstDecoded`, `chromium.firstAudio`.
    package let timeline: [String: Double]
    /// Wall time from the offer (or Chromium's launch when Chromium offers) to the end of the wait.
    package let wall: Duration
}

/// TURN REST credentials for coturn's `--use-auth-secret`, as an iceServers JSON array for the page's query.
package func iceServersQuery(port: Int, secret: String, transport: String) throws -> String {
    let expiry = UInt64(Date().timeIntervalSince1970) + 3600
    let credential = try TURNRESTCredential(id: "chromium", expiry: expiry, secret: Array(secret.utf8))
    let servers: [[String: String]] = [[
        "urls": "turn:127.0.0.1:\(port)?transport=\(transport)",
        "username": credential.username, "credential": credential.password,
    ]]
    let json = String(decoding: try JSONSerialization.data(withJSONObject: servers), as: UTF8.self)
    return json.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? json
}

/// Runs one call between Chromium and the Swift engine until Chromium reports decoded video and received audio and
/// the Swift side has whole video and audio frames, or `timeout` passes (bounded; the caller then judges the
/// result by the last report and the engine's counters).
///
/// When Swift offers, Chromium is launched first and the offer is made once the page has loaded, so the offer's
/// timeline does not include the browser's start. `pollInterval` is how often the Swift side moves trickled
/// candidates and reads the reports; `log` receives the diagnostic lines (timeline, counters, logs on failure).
package func runEngineCall(
    offerer: Offerer, relay: Bool, timeout: Duration = .seconds(40), pollInterval: Duration = .milliseconds(10),
    describePairs: (@Sendable (PeerConnection) -> [String])? = nil, log: (String) -> Void = { print($0) }
) async throws -> CallResult {
    let clip = try clipAccessUnits()
    return try await ChromiumHarness.withHarness { h in
        let secret = "ringlet-secret"
        var query = "mode=\(offerer == .chromium ? "offer" : "answer")&tag=call&codec=H264&policy=\(relay ? "relay" : "all")"
        var turn: TURNAccess?
        if relay {
            try await h.launchTurnserver(port: 3478, secret: secret)
            let credential = try TURNRESTCredential(id: "swift", expiry: UInt64(Date().timeIntervalSince1970) + 3600,
                                                    secret: Array(secret.utf8))
            turn = TURNAccess(address: TransportAddress(.loopbackV4, 3478), username: credential.username,
                              password: credential.password)
            query += "&ice=" + (try iceServersQuery(port: 3478, secret: secret, transport: "udp"))
        }
        let engine = try await EngineSide.start(h, clip: clip, turn: turn, relayOnly: relay, describePairs: describePairs)
        let instantAtStart = DatagramDriver<EnginePeer>.now()
        let epochAtStart = Date().timeIntervalSince1970
        func json(_ body: Data?) -> [String: Any]? { body.flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] } }

        try h.launchChromium(query: query)
        if offerer == .swift {
            // The page loads, gets its fake media, reports "ready", then polls for the offer.
            guard await h.waitForReport("call", timeout: .seconds(30), { r in
                ["ready", "running"].contains(r["phase"] as? String ?? "")
            }) != nil else {
                throw HarnessError(description: "the page never loaded:\n\(h.log("chromium.log"))")
            }
        }
        let wallStart = ContinuousClock.now
        if offerer == .swift {
            let offer = try await engine.createOffer()
            h.server.post("offer", from: .swift, try JSONSerialization.data(withJSONObject: ["type": "offer", "sdp": offer]))
            var answer: Data?
            _ = await h.poll(timeout: .seconds(30), interval: pollInterval) {
                answer = h.server.take("answer", for: .swift)
                return answer != nil
            }
            guard let sdp = json(answer)?["sdp"] as? String else {
                throw HarnessError(description: "no answer from the page:\n\(h.log("chromium.log"))\n\(String(describing: h.server.report("call")))")
            }
            try await engine.setRemoteDescription(sdp, isOffer: false)
        } else {
            var offer: Data?
            _ = await h.poll(timeout: .seconds(30), interval: pollInterval) {
                offer = h.server.take("offer", for: .swift)
                return offer != nil
            }
            guard let sdp = json(offer)?["sdp"] as? String else {
                throw HarnessError(description: "no offer from the page:\n\(h.log("chromium.log"))\n\(String(describing: h.server.report("call")))")
            }
            try await engine.setRemoteDescription(sdp, isOffer: true)
            let answer = try await engine.createAnswer()
            h.server.post("answer", from: .swift, try JSONSerialization.data(withJSONObject: ["type": "answer", "sdp": answer]))
        }

        var report: [String: Any]?
        var snapshot = try await engine.snapshot()
        var sentEnd = false
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            for c in h.server.takeCandidates(for: .swift) {
                guard let obj = json(c) else { continue }
                if let line = obj["candidate"] as? String, !line.isEmpty {
                    _ = try await engine.addRemoteCandidate(line)
                } else {
                    try await engine.endOfRemoteCandidates()
                }
            }
            let (lines, complete) = try await engine.takeCandidates()
            for line in lines {
                let body = try JSONSerialization.data(withJSONObject: ["candidate": line, "sdpMid": "0", "sdpMLineIndex": 0])
                h.server.post("candidate", from: .swift, body)
            }
            if complete, !sentEnd {
                sentEnd = true
                h.server.post("candidate", from: .swift, try JSONSerialization.data(withJSONObject: ["candidate": "", "end": true]))
            }
            snapshot = try await engine.snapshot()
            report = h.server.report("call")
            if string(report, "connectionState") == "connected",
               number(report, "inboundVideo", "framesDecoded") > 0, number(report, "inboundAudio", "packetsReceived") > 0,
               number(report, "marks", "firstDecodedEpochMs") > 0, snapshot.videoReceived > 0, snapshot.audioReceived > 0 {
                break
            }
            if h.chromium?.exitStatus() != nil { break }
            try await Task.sleep(for: pollInterval)
        }
        let wall = ContinuousClock.now - wallStart

        // Timeline in ms from the Swift offer mark (engine instants, and Chromium's wall-clock marks mapped onto them).
        var timeline: [String: Double] = [:]
        let offerAt = snapshot.marks["offer"] ?? instantAtStart
        func ms(_ d: Duration) -> Double {
            let (s, atto) = d.components
            return Double(s) * 1000 + Double(atto) / 1e15
        }
        for (name, at) in snapshot.marks { timeline[name] = ms(at - offerAt) }
        let offerEpochMs = (epochAtStart * 1000) + ms(offerAt - instantAtStart)
        for key in ["offerEpochMs", "connectedEpochMs", "iceConnectedEpochMs", "firstDecodedEpochMs", "firstAudioEpochMs"] {
            let v = number(report, "marks", key)
            if v > 0 { timeline["chromium." + key.replacingOccurrences(of: "EpochMs", with: "")] = v - offerEpochMs }
        }
        let line = timeline.sorted { $0.value < $1.value }.map { "\($0.key)=\(Int($0.value))" }.joined(separator: " ")
        log("[timeline] \(offerer) offers, relay \(relay): \(line)")
        log("[engine] \(snapshot.negotiated) state \(snapshot.connectionState) video in \(snapshot.videoReceived) "
            + "(keyframes \(snapshot.videoKeyframesReceived)) audio in \(snapshot.audioReceived) sent v\(snapshot.videoSent)/a\(snapshot.audioSent) "
            + "PLI/FIR \(snapshot.keyframeRequests) counters \(snapshot.counters)")
        if !snapshot.pairDump.isEmpty { log("[ice at DTLS connected] \(snapshot.pairDump.joined(separator: " | "))") }
        if number(report, "inboundVideo", "framesDecoded") == 0 || snapshot.videoReceived == 0 {
            log("[engine log] \(snapshot.stateLog) errors \(snapshot.sendErrors)")
            log("[chromium report] \(String(describing: report))")
            log("[chromium log] \(h.log("chromium.log", lastBytes: 3000))")
            if relay { log("[turn log] \(h.log("turn.log", lastBytes: 2000))") }
        }
        try await engine.close()
        return CallResult(report: report, engine: snapshot, timeline: timeline, wall: wall)
    }
}

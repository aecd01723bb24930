// Chromium against the Swift engine (RingletEngine.PeerConnection driven by RingletNIO.DatagramDriver), inside
// the harness's private network namespace. Every engine call is in `EngineSide` (EngineSide.swift).
import Foundation
import RingletCore
import RingletEngine
import RingletEngineTestSupport
import RingletTURN
import Testing
@testable import RingletNIO

/// Who makes the offer.
enum Offerer: String, Sendable, CustomStringConvertible {
    case chromium, swift
    var description: String { rawValue }
}

/// The outcome of one call, with the timeline in milliseconds from the offer.
struct CallResult {
    let report: [String: Any]?
    let engine: EngineSnapshot
    let timeline: [String: Int64]
    let wall: Duration
}

/// Runs one call between Chromium and the Swift engine until Chromium reports decoded video and received audio and
/// the Swift side has whole video and audio frames, or `timeout` passes (bounded; the caller's expectations then
/// fail with the last report and the engine's counters).
func runEngineCall(offerer: Offerer, relay: Bool, timeout: Duration = .seconds(40)) async throws -> CallResult {
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
        let engine = try await EngineSide.start(h, clip: clip, turn: turn, relayOnly: relay)
        let instantAtStart = DatagramDriver<EnginePeer>.now()
        let epochAtStart = Date().timeIntervalSince1970
        let wallStart = ContinuousClock.now

        if offerer == .swift {
            let offer = try await engine.createOffer()
            h.server.post("offer", from: .swift, try JSONSerialization.data(withJSONObject: ["type": "offer", "sdp": offer]))
            try h.launchChromium(query: query)
            var answer: Data?
            _ = await h.poll(timeout: .seconds(30)) {
                answer = h.server.take("answer", for: .swift)
                return answer != nil
            }
            let body = try #require(answer, "no answer from the page:\n\(h.log("chromium.log"))\n\(String(describing: h.server.report("call")))")
            let sdp = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["sdp"] as? String)
            try await engine.setRemoteDescription(sdp, isOffer: false)
        } else {
            try h.launchChromium(query: query)
            var offer: Data?
            _ = await h.poll(timeout: .seconds(30)) {
                offer = h.server.take("offer", for: .swift)
                return offer != nil
            }
            let body = try #require(offer, "no offer from the page:\n\(h.log("chromium.log"))\n\(String(describing: h.server.report("call")))")
            let sdp = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["sdp"] as? String)
            #expect(sdp.contains("H264"))
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
                guard let obj = (try? JSONSerialization.jsonObject(with: c)) as? [String: Any] else { continue }
                if let line = obj["candidate"] as? String, !line.isEmpty {
                    _ = try await engine.addRemoteCandidate(line)
                } else {
                    try await engine.endOfRemoteCandidates()
                }
            }
            let (lines, complete) = try await engine.takeCandidates()
            for line in lines {
                let json = try JSONSerialization.data(withJSONObject: ["candidate": line, "sdpMid": "0", "sdpMLineIndex": 0])
                h.server.post("candidate", from: .swift, json)
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
            try await Task.sleep(for: .milliseconds(50))
        }
        let wall = ContinuousClock.now - wallStart

        // Timeline in ms from the offer (engine instants, and Chromium's wall-clock marks mapped onto them).
        var timeline: [String: Int64] = [:]
        let offerAt = snapshot.marks["offer"] ?? instantAtStart
        for (name, at) in snapshot.marks { timeline[name] = Int64((at - offerAt) / .milliseconds(1)) }
        let offerEpochMs = (epochAtStart * 1000) + Double((offerAt - instantAtStart) / .milliseconds(1))
        for key in ["offerEpochMs", "connectedEpochMs", "iceConnectedEpochMs", "firstDecodedEpochMs", "firstAudioEpochMs"] {
            let v = number(report, "marks", key)
            if v > 0 { timeline["chromium." + key.replacingOccurrences(of: "EpochMs", with: "")] = Int64(v - offerEpochMs) }
        }
        let line = timeline.sorted { $0.value < $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        print("[timeline] \(offerer) offers, relay \(relay): \(line)")
        print("[engine] \(snapshot.negotiated) state \(snapshot.connectionState) video in \(snapshot.videoReceived) "
              + "(keyframes \(snapshot.videoKeyframesReceived)) audio in \(snapshot.audioReceived) sent v\(snapshot.videoSent)/a\(snapshot.audioSent) "
              + "PLI/FIR \(snapshot.keyframeRequests) counters \(snapshot.counters)")
        print("[ice at DTLS connected] \(snapshot.pairDump.joined(separator: " | "))")
        if number(report, "inboundVideo", "framesDecoded") == 0 || snapshot.videoReceived == 0 {
            print("[engine log] \(snapshot.stateLog) errors \(snapshot.sendErrors)")
            print("[chromium report] \(String(describing: report))")
            print("[chromium log] \(h.log("chromium.log", lastBytes: 3000))")
            if relay { print("[turn log] \(h.log("turn.log", lastBytes: 2000))") }
        }
        try await engine.close()
        return CallResult(report: report, engine: snapshot, timeline: timeline, wall: wall)
    }
}

@Suite("Chromium against the Swift engine", .serialized, .timeLimit(.minutes(3)))
struct ChromiumEngineTests {
    static let cases: [(Offerer, Bool)] = [(.chromium, false), (.swift, false), (.chromium, true), (.swift, true)]

    @Test("H.264 and audio flow both ways between Chromium and the engine", arguments: cases)
    func call(offerer: Offerer, relay: Bool) async throws {
        let r = try await runEngineCall(offerer: offerer, relay: relay)
        let report = r.report
        #expect(r.engine.connectionState == .connected, "\(r.engine.stateLog)")
        #expect(r.engine.sendErrors.isEmpty, "\(r.engine.sendErrors)")
        // Swift → Chromium.
        #expect(number(report, "inboundVideo", "framesDecoded") > 0, "report: \(String(describing: report))")
        #expect(string(report, "inboundVideo", "codec")?.hasPrefix("video/H264") == true)
        #expect(number(report, "inboundAudio", "packetsReceived") > 0)
        // Chromium → Swift.
        #expect(r.engine.videoReceived > 0, "Swift assembled no whole H.264 frame from Chromium")
        #expect(r.engine.firstVideoKeyframe == true, "the first whole frame was not a keyframe")
        #expect(r.engine.audioReceived > 0)
        #expect(string(report, "connectionState") == "connected")
        if relay {
            #expect(string(report, "selectedPair", "localType") == "relay", "\(String(describing: report?["selectedPair"]))")
            #expect(r.engine.selectedPath?.relayed == true)
        }
    }
}

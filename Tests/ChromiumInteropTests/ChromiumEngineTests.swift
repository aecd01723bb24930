// Chromium against the Swift engine (RingletEngine.PeerConnection driven by RingletNIO.DatagramDriver).
//
// EXCLUDED FROM THE BUILD until the engine is merged: compile with `-Xswiftc -DRINGLET_ENGINE_READY` (or add
// `.define("RINGLET_ENGINE_READY")` to the ChromiumInteropTests target) once `PeerConnection` exists. Written
// against the API the engine brief names (`PeerConnection(configuration:…)`, `createOffer`, `setRemoteDescription`,
// `createAnswer`, `addRemoteCandidate`, `sendVideo`, `sendAudio`, `pollEvent`, conformance to `DatagramDriven`).
// Every engine call is in the `EngineSide` adapter below, so adapting to the merged signatures is local to it.
#if RINGLET_ENGINE_READY
import Foundation
import NIOCore
import RingletCore
import RingletEngine
import RingletRTP
import RingletTURN
import Testing
@testable import RingletNIO

/// The Swift peer: one PeerConnection on a DatagramDriver whose loop lives in the harness namespace.
struct EngineSide {
    let driver: DatagramDriver<PeerConnection>
    let id: MachineID
    let local: TransportAddress

    /// Binds 127.0.0.1:0 in the namespace and creates the engine with that host address (and TURN, if given).
    static func start(_ h: ChromiumHarness, turn: (url: String, username: String, password: String)? = nil,
                      relayOnly: Bool = false) async throws -> EngineSide {
        let driver = DatagramDriver<PeerConnection>(eventLoop: h.eventLoop)
        let local = try await driver.bindUDP(TransportAddress(.loopbackV4, 0)).get()
        let id = try await driver.addMachine(owning: [local]) { now in
            var configuration = PeerConnection.Configuration()
            configuration.hostAddresses = [local]
            if let turn {
                configuration.iceServers = [.init(url: turn.url, username: turn.username, password: turn.password)]
            }
            configuration.iceTransportPolicy = relayOnly ? .relay : .all
            configuration.videoCodecs = [.h264]
            var rng = SystemRandomNumberGenerator()
            return try PeerConnection(configuration: configuration, now: now, using: &rng)
        }.get()
        return EngineSide(driver: driver, id: id, local: local)
    }

    func createOffer() async throws -> String {
        try await driver.withMachine(id) { pc, now in try pc.createOffer(now: now) }.get()
    }

    func createAnswer() async throws -> String {
        try await driver.withMachine(id) { pc, now in try pc.createAnswer(now: now) }.get()
    }

    func setRemoteDescription(_ sdp: String) async throws {
        try await driver.withMachine(id) { pc, now in try pc.setRemoteDescription(sdp, now: now) }.get()
    }

    func addRemoteCandidate(_ line: String) async throws {
        try await driver.withMachine(id) { pc, now in try pc.addRemoteCandidate(line, now: now) }.get()
    }

    /// Drains the engine's events: local candidates, connection state, assembled frames.
    func events() async throws -> [PeerConnection.Event] {
        try await driver.withMachine(id) { pc, _ in
            var out: [PeerConnection.Event] = []
            while let e = pc.pollEvent() { out.append(e) }
            return out
        }.get()
    }

    func sendVideo(_ accessUnit: [UInt8], rtpTimestamp: UInt32) async throws {
        try await driver.withMachine(id) { pc, now in try pc.sendVideo(accessUnit, rtpTimestamp: rtpTimestamp, now: now) }.get()
    }

    func sendAudio(_ payload: [UInt8], rtpTimestamp: UInt32) async throws {
        try await driver.withMachine(id) { pc, now in try pc.sendAudio(payload, rtpTimestamp: rtpTimestamp, now: now) }.get()
    }
}

/// What the Swift side saw.
struct EngineObservations {
    var connected = false
    var videoFrames = 0
    var audioFrames = 0
    var localCandidates: [String] = []
}

/// The H.264 clip of the FFmpeg interop tests, generated afresh here with ffmpeg (baseline, Annex B), split into
/// access units at each non-VCL/IDR boundary by RingletRTP's Annex B splitter.
func h264AccessUnits(_ h: ChromiumHarness) throws -> [[UInt8]] {
    let path = h.workDirectory.appendingPathComponent("clip.h264").path
    let status = try ChildProcess.run([
        "ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "4",
        "-c:v", "libx264", "-profile:v", "baseline", "-level", "3.1", "-g", "30", "-bsf:v", "h264_mp4toannexb",
        "-f", "h264", path,
    ])
    guard status == 0 else { throw HarnessError(description: "ffmpeg failed (\(status))") }
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let nals = try AnnexB.split(bytes[...])
    var units: [[ArraySlice<UInt8>]] = []
    var current: [ArraySlice<UInt8>] = []
    for nal in nals {
        let type = (nal.first ?? 0) & 0x1F
        let startsAU = type == 9 || type == 7 || ((type == 1 || type == 5) && current.contains { ($0.first ?? 0) & 0x1F == 1 || ($0.first ?? 0) & 0x1F == 5 })
        if startsAU, !current.isEmpty { units.append(current); current = [] }
        current.append(nal)
    }
    if !current.isEmpty { units.append(current) }
    return units.map { nalUnits in
        var w = ByteWriter()
        AnnexB.write(nalUnits, into: &w)
        return w.bytes
    }
}

/// 20 ms of a 440 Hz tone in G.711 µ-law (PCMU, 8 kHz).
func pcmuFrame(index: Int) -> [UInt8] {
    (0..<160).map { i in
        let t = Double(index * 160 + i) / 8000
        return G711.muLaw(encode: Int16(8000 * sin(2 * Double.pi * 440 * t)))
    }
}

/// Runs the call: relays candidates both ways, pumps media from Swift, collects Swift-side events, and returns
/// once Chromium reports decoded video and received audio (or the deadline passes).
func runCall(_ h: ChromiumHarness, _ engine: EngineSide, tag: String, seconds: Int = 30) async throws
    -> (report: [String: Any]?, seen: EngineObservations)
{
    var seen = EngineObservations()
    let units = try h264AccessUnits(h)
    let end = ContinuousClock.now + .seconds(seconds)
    var frame = 0
    var report: [String: Any]?
    while ContinuousClock.now < end {
        for c in h.server.takeCandidates(for: .swift) {
            if let obj = (try? JSONSerialization.jsonObject(with: c)) as? [String: Any],
               let line = obj["candidate"] as? String, !line.isEmpty {
                try await engine.addRemoteCandidate(line)
            }
        }
        for event in try await engine.events() {
            switch event {
            case .localCandidate(let line):
                seen.localCandidates.append(line)
                let json = try JSONSerialization.data(withJSONObject: ["candidate": line, "sdpMid": "0", "sdpMLineIndex": 0])
                h.server.post("candidate", from: .swift, json)
            case .connected:
                seen.connected = true
            case .videoFrame:
                seen.videoFrames += 1
            case .audioFrame:
                seen.audioFrames += 1
            default:
                break
            }
        }
        if seen.connected, !units.isEmpty {
            // ~30 fps video and 50 packets/s audio (every step is 20 ms; video on 2 of 3 steps).
            if frame % 3 != 2 {
                try await engine.sendVideo(units[(frame * 2 / 3) % units.count], rtpTimestamp: UInt32(truncatingIfNeeded: frame * 2000))
            }
            try await engine.sendAudio(pcmuFrame(index: frame), rtpTimestamp: UInt32(truncatingIfNeeded: frame * 160))
            frame += 1
        }
        if let r = h.server.report(tag), number(r, "inboundVideo", "framesDecoded") > 0,
           number(r, "inboundAudio", "packetsReceived") > 0, seen.videoFrames > 0 {
            report = r
            break
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return (report ?? h.server.report(tag), seen)
}

@Suite("Chromium against the Swift engine", .serialized, .timeLimit(.minutes(3)))
struct ChromiumEngineTests {
    @Test("Chromium offers, Swift answers: H.264 and audio flow both ways", arguments: ["all", "relay"])
    func chromiumOffers(policy: String) async throws {
        try await ChromiumHarness.withHarness { h in
            var turn: (url: String, username: String, password: String)?
            var query = "mode=offer&tag=call&codec=H264&policy=\(policy)"
            if policy == "relay" {
                try await h.launchTurnserver(port: 3478, secret: "ringlet-secret")
                let credential = try TURNRESTCredential(id: "swift", expiry: UInt64(Date().timeIntervalSince1970) + 3600,
                                                        secret: Array("ringlet-secret".utf8))
                turn = ("turn:127.0.0.1:3478?transport=udp", credential.username, credential.password)
                query += "&ice=" + (try iceServersQuery(port: 3478, secret: "ringlet-secret", transport: "udp"))
            }
            let engine = try await EngineSide.start(h, turn: turn, relayOnly: policy == "relay")
            try h.launchChromium(query: query)
            let offerReady = await h.poll(timeout: .seconds(30)) { h.server.take("offer", for: .swift) != nil }
            try #require(offerReady, "no offer from the page:\n\(h.log("chromium.log"))")
            let offer = try #require(h.server.take("offer", for: .swift))
            let offerSDP = try #require((try JSONSerialization.jsonObject(with: offer) as? [String: Any])?["sdp"] as? String)
            #expect(offerSDP.contains("H264"))
            try await engine.setRemoteDescription(offerSDP)
            let answer = try await engine.createAnswer()
            h.server.post("answer", from: .swift, try JSONSerialization.data(withJSONObject: ["type": "answer", "sdp": answer]))
            let (report, seen) = try await runCall(h, engine, tag: "call")
            #expect(seen.connected)
            #expect(seen.videoFrames > 0, "Swift assembled no whole H.264 frame from Chromium")
            #expect(seen.audioFrames > 0)
            #expect(number(report, "inboundVideo", "framesDecoded") > 0, "report: \(String(describing: report))")
            #expect(number(report, "inboundAudio", "packetsReceived") > 0)
            #expect(string(report, "inboundVideo", "codec")?.hasPrefix("video/H264") == true)
            if policy == "relay" { #expect(string(report, "selectedPair", "localType") == "relay") }
            try await engine.driver.shutdown().get()
        }
    }

    @Test("Swift offers, Chromium answers: H.264 and audio flow both ways", arguments: ["all", "relay"])
    func swiftOffers(policy: String) async throws {
        try await ChromiumHarness.withHarness { h in
            var turn: (url: String, username: String, password: String)?
            var query = "mode=answer&tag=call&codec=H264&policy=\(policy)"
            if policy == "relay" {
                try await h.launchTurnserver(port: 3478, secret: "ringlet-secret")
                let credential = try TURNRESTCredential(id: "swift", expiry: UInt64(Date().timeIntervalSince1970) + 3600,
                                                        secret: Array("ringlet-secret".utf8))
                turn = ("turn:127.0.0.1:3478?transport=udp", credential.username, credential.password)
                query += "&ice=" + (try iceServersQuery(port: 3478, secret: "ringlet-secret", transport: "udp"))
            }
            let engine = try await EngineSide.start(h, turn: turn, relayOnly: policy == "relay")
            let offer = try await engine.createOffer()
            h.server.post("offer", from: .swift, try JSONSerialization.data(withJSONObject: ["type": "offer", "sdp": offer]))
            try h.launchChromium(query: query)
            let answered = await h.poll(timeout: .seconds(30)) { h.server.take("answer", for: .swift) != nil }
            try #require(answered, "no answer from the page:\n\(h.log("chromium.log"))")
            let answer = try #require(h.server.take("answer", for: .swift))
            let answerSDP = try #require((try JSONSerialization.jsonObject(with: answer) as? [String: Any])?["sdp"] as? String)
            try await engine.setRemoteDescription(answerSDP)
            let (report, seen) = try await runCall(h, engine, tag: "call")
            #expect(seen.connected)
            #expect(seen.videoFrames > 0)
            #expect(seen.audioFrames > 0)
            #expect(number(report, "inboundVideo", "framesDecoded") > 0, "report: \(String(describing: report))")
            #expect(number(report, "inboundAudio", "packetsReceived") > 0)
            if policy == "relay" { #expect(string(report, "selectedPair", "localType") == "relay") }
            try await engine.driver.shutdown().get()
        }
    }
}
#endif

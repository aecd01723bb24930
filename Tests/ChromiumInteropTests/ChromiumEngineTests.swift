// Chromium against the Swift engine (RingletEngine.PeerConnection driven by RingletNIO.DatagramDriver), inside
// the harness's private network namespace. The harness, the engine side and the call runner live in the
// RingletBrowserHarness target (shared with `ringlet bench setup`).
import Foundation
import RingletBrowserHarness
import RingletCore
@testable import RingletEngine
@testable import RingletICE
import Testing

/// The ICE checklist when DTLS connects (debugging aid: why the controlling side nominates when it does); needs
/// the engine's internals, so it lives here and plugs into the harness's `EnginePeer`.
@Sendable func describePairs(_ pc: PeerConnection) -> [String] {
    guard let ice = pc.ice else { return [] }
    return ice.pairs.map { p in
        "\(p.id) \(ice.locals[p.local].candidate.kind)->\(p.remote.kind) \(p.remote.address) \(p.remote.transport) prio \(p.priority) \(p.state) valid \(p.valid) nom \(p.nominated) inList \(p.inChecklist)"
    } + ["remotes: " + ice.remotes.map { "\($0.kind) \($0.address) \($0.priority)" }.joined(separator: ", ")]
}

@Suite("Chromium against the Swift engine", .serialized, .timeLimit(.minutes(3)))
struct ChromiumEngineTests {
    static let cases: [(Offerer, Bool)] = [(.chromium, false), (.swift, false), (.chromium, true), (.swift, true)]

    @Test("H.264 and audio flow both ways between Chromium and the engine", arguments: cases)
    func call(offerer: Offerer, relay: Bool) async throws {
        let r = try await runEngineCall(offerer: offerer, relay: relay, describePairs: describePairs)
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

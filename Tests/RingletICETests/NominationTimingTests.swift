import RingletCore
import RingletICE
import Testing

/// Regressions found against Chromium (Tests/ChromiumInteropTests): how soon a pair is selected.
@Suite("ICE nomination timing")
struct NominationTimingTests {
    @Test("a controlling agent nominates as soon as its only pair succeeds, not at the nomination-delay timer")
    func nominatesAtOnce() throws {
        var w = try makePair(seed: 3)
        try w.exchangeCredentials()
        let start = w.now
        w.exchangeCandidates()
        w.run(for: .seconds(2))
        let selectedAt = try #require(w.stateTimes[0].first { $0.1 == .connected || $0.1 == .completed }?.0)
        // One check and its answer (10 ms each way), the nominating check one Ta later: well under 500 ms.
        #expect(selectedAt - start < .milliseconds(200), "selected after \(selectedAt - start)")
    }

    @Test("the peer's check on a pair whose own check was lost retransmits ours at once, not after the RTO")
    func peerCheckExpeditesLostCheck() throws {
        var w = try makePair(seed: 4, roles: (.controlled, .controlling))
        try w.exchangeCredentials()
        // A checks B first, but the path drops it (as a TURN relay without the peer's permission yet does).
        w.cut = true
        for c in w.agents[1].localCandidates { w.agents[0].addRemoteCandidate(c, now: w.now) }
        w.run(for: .milliseconds(100))
        #expect(w.sent[0].count == 1)
        w.cut = false
        let open = w.now
        for c in w.agents[0].localCandidates { w.agents[1].addRemoteCandidate(c, now: w.now) }
        w.run(for: .seconds(2))
        let connectedAt = try #require(w.stateTimes[0].first { $0.1 == .connected || $0.1 == .completed }?.0)
        // Without the retransmission A's check would wait for its 500 ms RTO (at 500 ms after the first send).
        #expect(connectedAt - open < .milliseconds(200), "A connected \(connectedAt - open) after the path opened")
    }
}

import RingletCore
import RingletEngine
import RingletSimulation
import Testing

@Suite("Network loss mid-call")
struct LossTests {
    @Test("with 5 % loss on both links every video frame still arrives, recovered by NACK")
    func nackRecoversEveryFrame() throws {
        var s = try Scenario(seed: 31, build: Scenario.sameRealm(), configureA: { c in
            c.videoReceive.maxDelay = .milliseconds(600)
        }, configureB: { c in
            c.videoReceive.maxDelay = .milliseconds(600)
        })
        s.a.video = SyntheticMedia.video(count: 90, keyframeSize: 8000, maxSize: 4000, seed: 8)
        s.a.autoStartMedia = false
        // Loss from the start: lost ICE checks and DTLS flights are recovered by their timers on the simulation's
        // clock, lost media by NACK.
        let lossy = LinkConfiguration(LinkConditions(delay: .milliseconds(10), lossProbability: 0.05))
        try s.sim.network.setLink(lossy, for: s.hostA)
        try s.sim.network.setLink(lossy, for: s.hostB)
        try s.negotiate()
        let connected = s.runUntilConnected()
        #expect(connected)
        s.a.startMedia(at: s.sim.now)
        s.run(for: .seconds(6))
        let received = s.b.receivedVideo.map(\.data)
        #expect(received.count == 90)
        #expect(received.elementsEqual(s.a.video.map(\.bytes)))
        let stats = s.b.pc.statistics(now: s.sim.now)
        let recovered = stats.receive.values.map(\.packetsRecoveredByNACK).reduce(0, +)
        #expect(recovered > 0)
        #expect(s.sim.network.statistics.dropped(.lost) > 0)
        let sent = try #require(s.a.pc.statistics(now: s.sim.now).send)
        #expect(sent.retransmittedPackets >= recovered)
        let lost = s.sim.network.statistics.dropped(.lost)
        print("loss: \(lost) datagrams lost, \(recovered) packets recovered by NACK, \(received.count) of 90 frames")
    }
}


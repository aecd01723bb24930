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

    @Test("with 15 % RTP loss and no retransmission, every video frame delivered is one that was sent, byte for byte")
    func unrecoveredLossDeliversOnlySentFrames() throws {
        var s = try Scenario(seed: 53, build: Scenario.sameRealm(sendLoss: KindLoss(.rtp, probability: 0.15)),
                             configureA: { c in c.videoReceive.nackEnabled = false },
                             configureB: { c in c.videoReceive.nackEnabled = false })
        // Keyframes (a STAP-A with SPS and PPS, then FU-A packets of the IDR slice) every 5 frames.
        s.a.video = SyntheticMedia.video(count: 300, gop: 5, keyframeSize: 4000, maxSize: 2500, seed: 9)
        try s.negotiate()
        let connected = s.runUntilConnected()
        #expect(connected)
        s.run(for: .seconds(12))
        let sent = Set(s.a.video.map(\.bytes))
        let received = s.b.receivedVideo
        let strangers = received.filter { !sent.contains($0.data) }
        #expect(strangers.isEmpty, "\(strangers.count) of \(received.count) frames were never sent")
        #expect(zip(received, received.dropFirst()).allSatisfy { $0.rtpTimestamp &- $1.rtpTimestamp > 0x8000_0000 })
        // The loss was real and the stream recovered from it at keyframes.
        #expect(s.sim.network.statistics.dropped(.kindLost) > 0)
        #expect(received.contains { $0.isKeyframe && $0.followsLoss })
        #expect(received.count > 30)
    }
}

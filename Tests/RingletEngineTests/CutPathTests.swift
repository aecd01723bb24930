import RingletCore
import RingletEngine
import RingletSimulation
import Testing

@Suite("Path cut and ICE restart")
struct CutPathTests {
    static func scenario(seed: UInt64) throws -> Scenario {
        var s = try Scenario(seed: seed, build: Scenario.sameRealm())
        s.a.video = SyntheticMedia.video(count: 450, keyframeSize: 6000, maxSize: 6000, seed: 9)
        return s
    }

    @Test("a cut path is reported as disconnected within 5 s")
    func cutReported() throws {
        var s = try Self.scenario(seed: 41)
        try s.negotiate()
        let connected = s.runUntilConnected()
        #expect(connected)
        s.run(for: .seconds(1))
        let cutAt = s.sim.now
        s.sim.network.cutPath(between: s.addressA, and: s.addressB)
        let a = s.a, b = s.b
        _ = s.run(until: { a.state == .disconnected && b.state == .disconnected }, limit: .seconds(6))
        let aDown = try #require(a.firstTime { $0 == .connectionStateChanged(.disconnected) })
        let bDown = try #require(b.firstTime { $0 == .connectionStateChanged(.disconnected) })
        let iceDown = try #require(a.firstTime { $0 == .iceConnectionStateChanged(.disconnected) })
        #expect(aDown - cutAt <= .seconds(5))
        #expect(bDown - cutAt <= .seconds(5))
        #expect(iceDown == aDown)
    }

    @Test("an ICE restart after the path is restored brings media back, with new credentials")
    func restartBringsMediaBack() throws {
        var s = try Self.scenario(seed: 42)
        let firstOffer = try s.a.pc.createOffer(now: s.sim.now)
        try s.b.pc.setRemoteDescription(firstOffer, now: s.sim.now)
        try s.a.pc.setRemoteDescription(try s.b.pc.createAnswer(now: s.sim.now), now: s.sim.now)
        let connected = s.runUntilConnected()
        #expect(connected)
        s.run(for: .seconds(1))
        s.sim.network.cutPath(between: s.addressA, and: s.addressB)
        let a = s.a, b = s.b
        _ = s.run(until: { a.state == .disconnected }, limit: .seconds(6))
        s.sim.network.restorePath(between: s.addressA, and: s.addressB)
        let framesBefore = b.receivedVideo.count
        let restartAt = s.sim.now
        let offer = try a.pc.restartICE(now: restartAt)
        try b.pc.setRemoteDescription(offer, now: restartAt)
        let answer = try b.pc.createAnswer(now: restartAt)
        try a.pc.setRemoteDescription(answer, now: restartAt)
        #expect(Self.ufrag(offer) != Self.ufrag(firstOffer))
        #expect(Self.ufrag(answer) != nil)
        let back = s.run(until: { a.state == .connected && b.state == .connected && b.receivedVideo.count > framesBefore + 30 },
                         limit: .seconds(5))
        #expect(back)
        let paths = a.log.filter { $0.time >= restartAt }.filter { if case .selectedPath = $0.event { true } else { false } }
        #expect(!paths.isEmpty)
        s.run(for: .seconds(9))
        #expect(b.receivedVideo.last?.data == a.video.last?.bytes)
    }

    static func ufrag(_ sdp: String) -> String? {
        sdp.split(separator: "\r\n").first { $0.hasPrefix("a=ice-ufrag:") }.map(String.init)
    }
}

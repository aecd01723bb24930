import RingletCore
import RingletEngine
import RingletRTP
import RingletSimulation
import Testing

@Suite("Direct path between two engines")
struct DirectPathTests {
    static func mediaScenario(seed: UInt64) throws -> Scenario {
        let s = try Scenario(seed: seed, build: Scenario.sameRealm(), configureB: { c in
            c.audio = .init(codecs: [.pcmu, .opus])
        })
        s.a.video = SyntheticMedia.video(count: 60, seed: 1)
        s.b.video = SyntheticMedia.video(count: 60, seed: 2)
        s.a.audio = SyntheticMedia.opus(count: 50, seed: 3)
        s.b.audio = SyntheticMedia.opus(count: 50, seed: 4)
        return s
    }

    @Test("ICE and DTLS connect and every video and audio frame arrives identical, both ways")
    func mediaBothWays() throws {
        var s = try Self.mediaScenario(seed: 7)
        try s.negotiate()
        let connected = s.runUntilConnected()
        #expect(connected)
        s.run(for: .seconds(3))
        #expect(s.a.sendErrors.isEmpty)
        #expect(s.b.sendErrors.isEmpty)
        #expect(sameFrames(s.b.receivedVideo.map(\.data), s.a.video.map(\.bytes)))
        #expect(sameFrames(s.a.receivedVideo.map(\.data), s.b.video.map(\.bytes)))
        #expect(sameFrames(s.b.receivedAudio.map(\.data), s.a.audio))
        #expect(sameFrames(s.a.receivedAudio.map(\.data), s.b.audio))
        #expect(s.b.receivedVideo.first?.isKeyframe == true)
    }

    @Test("the answerer's first codec the offer has is chosen: b prefers PCMU over the offered Opus; H.264 for video")
    func negotiatedCodecs() throws {
        var s = try Self.mediaScenario(seed: 7)
        try s.negotiate()
        #expect(s.a.pc.negotiatedMedia.map(\.codec) == [.pcmu, .h264])
        #expect(s.b.pc.negotiatedMedia.map(\.codec) == [.pcmu, .h264])
        #expect(s.a.pc.negotiatedMedia.first?.transportWideCCID == 3)
        #expect(s.b.pc.negotiatedMedia.first(where: { $0.kind == .video })?.remoteSSRCs.count == 1)
        #expect(s.a.pc.dtlsRole == .server)
        #expect(s.b.pc.dtlsRole == .client)
    }

    @Test("the same seed gives the same network trace shape and event sequence")
    func deterministic() throws {
        func run() throws -> (UInt64, [String]) {
            var s = try Self.mediaScenario(seed: 11)
            try s.negotiate()
            s.runUntilConnected()
            s.run(for: .seconds(1))
            let events = s.a.log.map { "\($0.time.nanoseconds) \(Self.label($0.event))" }
            return (s.shapeDigest, events)
        }
        let first = try run(), second = try run()
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(!first.1.isEmpty)
    }

    @Test("the connection reports new → connecting → connected, ICE checking → connected, a direct host path")
    func eventSequence() throws {
        var s = try Self.mediaScenario(seed: 7)
        try s.negotiate()
        s.runUntilConnected()
        let states = s.a.events { if case .connectionStateChanged = $0 { true } else { false } }
        #expect(states == [.connectionStateChanged(.connecting), .connectionStateChanged(.connected)])
        let ice = s.a.events { if case .iceConnectionStateChanged = $0 { true } else { false } }
        #expect(ice.first == .iceConnectionStateChanged(.checking))
        #expect(ice.contains(.iceConnectionStateChanged(.connected)) || ice.contains(.iceConnectionStateChanged(.completed)))
        let paths = s.a.events { if case .selectedPath = $0 { true } else { false } }
        guard case .selectedPath(let p)? = paths.first else {
            Issue.record("no selected path")
            return
        }
        #expect(p.localType == .host && p.remoteType == .host && !p.relayed)
        #expect(p.remoteAddress == TransportAddress(s.addressB, 5000))
    }

    @Test("offer → ICE connected → DTLS connected → first frame, and the first frame within 100 ms of DTLS")
    func timeline() throws {
        var s = try Self.mediaScenario(seed: 7)
        let offerAt = s.sim.now
        try s.negotiate()
        s.runUntilConnected()
        s.run(for: .seconds(1))
        let iceAt = try #require(s.b.firstTime {
            $0 == .iceConnectionStateChanged(.connected) || $0 == .iceConnectionStateChanged(.completed)
        })
        let readyA = try #require(s.a.firstTime { $0 == .readyToSend })
        let firstAtB = try #require(s.b.firstTime { if case .videoFrame = $0 { true } else { false } })
        #expect(offerAt <= iceAt)
        #expect(iceAt <= readyA)
        #expect(firstAtB - readyA <= .milliseconds(100))
        print("timeline: ICE connected \(iceAt.milliseconds) ms, DTLS connected (a) \(readyA.milliseconds) ms,"
              + " first frame at b \(firstAtB.milliseconds) ms")
    }

    @Test("PCMU audio negotiated when the answerer prefers it flows both ways unchanged")
    func pcmu() throws {
        var s = try Scenario(seed: 8, build: Scenario.sameRealm(), configureB: { c in
            c.audio = .init(codecs: [.pcmu, .opus])
        })
        s.a.audio = SyntheticMedia.g711(count: 30, seed: 12)
        s.b.audio = SyntheticMedia.g711(count: 30, seed: 13)
        try s.negotiate()
        #expect(s.b.pc.negotiatedMedia.first?.codec == .pcmu)
        #expect(s.b.pc.negotiatedMedia.first?.payloadType == 0)
        let connected = s.runUntilConnected()
        #expect(connected)
        s.run(for: .seconds(2))
        #expect(sameFrames(s.b.receivedAudio.map(\.data), s.a.audio))
        #expect(sameFrames(s.a.receivedAudio.map(\.data), s.b.audio))
    }

    static func label(_ e: PeerConnectionEvent) -> String {
        switch e {
        case .videoFrame(let f): "video \(f.data.count)"
        case .audioFrame(let f): "audio \(f.data.count)"
        default: "\(e)"
        }
    }
}

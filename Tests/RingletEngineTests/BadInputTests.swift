import Foundation
import RingletCore
import RingletDTLS
import RingletEngine
import RingletICE
import RingletRTP
import RingletSDP
import RingletSimulation
import Testing

@Suite("Bad input never traps")
struct BadInputTests {
    static func fresh(seed: UInt64 = 1) throws -> PeerConnection {
        var rng = SeededRandom(seed: seed)
        return try PeerConnection(configuration: Scenario.configuration(IPAddress(198, 51, 100, 10)), using: &rng)
    }

    static func validOffer() throws -> String {
        try fresh(seed: 2).createOffer(now: .zero)
    }

    /// `offer` with every codec replaced by one Ringlet does not support.
    static func withoutCommonCodecs(_ offer: String) -> String {
        offer
            .replacingOccurrences(of: "opus/48000/2", with: "ISAC/16000")
            .replacingOccurrences(of: "PCMU/8000", with: "G729/8000").replacingOccurrences(of: "PCMA/8000", with: "GSM/8000")
            .replacingOccurrences(of: "H264/90000", with: "VP8/90000")
            .replacingOccurrences(of: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8", with: "m=audio 9 UDP/TLS/RTP/SAVPF 111 18 3")
    }

    /// `offer` is refused as an unsupportedDescription and the connection stays stable.
    static func expectNoCommonCodec(_ pc: PeerConnection, _ offer: String) {
        do {
            try pc.setRemoteDescription(offer, now: .zero)
            Issue.record("accepted an offer with no common codec")
        } catch {
            #expect(error.code == .unsupportedDescription)
        }
        #expect(pc.signalingState == .stable)
    }

    @Test("unparsable SDP is a malformedDescription error and the connection stays usable")
    func garbageSDP() throws {
        let pc = try Self.fresh()
        #expect(throws: EngineError.self) { try pc.setRemoteDescription("v=0\r\nthis is not sdp", now: .zero) }
        do {
            try pc.setRemoteDescription("hello", now: .zero)
        } catch {
            #expect(error.code == .malformedDescription)
        }
        #expect(pc.signalingState == .stable)
        try pc.setRemoteDescription(try Self.validOffer(), now: .zero)
        let answer = try pc.createAnswer(now: .zero)
        #expect(answer.contains("a=setup:active"))
    }

    @Test("an offer with only unsupported codecs is an unsupportedDescription error")
    func unsupportedCodecs() throws {
        let offer = Self.withoutCommonCodecs(try Self.validOffer())
        let pc = try Self.fresh()
        Self.expectNoCommonCodec(pc, offer)
        #expect(throws: EngineError.self) { _ = try pc.createAnswer(now: .zero) }
    }

    @Test("a re-offer that restarts ICE but cannot be answered changes nothing: the next answer keeps the ICE credentials")
    func refusedRestartChangesNothing() throws {
        func ufrag(_ sdp: String) -> Substring? {
            sdp.split(separator: "\r\n").first { $0.hasPrefix("a=ice-ufrag:") }?.dropFirst("a=ice-ufrag:".count)
        }
        let offer = try Self.validOffer()
        let pc = try Self.fresh()
        try pc.setRemoteDescription(offer, now: .zero)
        let first = try #require(ufrag(try pc.createAnswer(now: .zero)))
        // Another peer's offer (new ICE credentials: a restart) with no codec in common.
        let unanswerable = Self.withoutCommonCodecs(try Self.fresh(seed: 3).createOffer(now: .zero))
        #expect(ufrag(unanswerable) != ufrag(offer))
        Self.expectNoCommonCodec(pc, unanswerable)
        try pc.setRemoteDescription(offer, now: .zero)
        #expect(ufrag(try pc.createAnswer(now: .zero)) == first, "the refused offer restarted ICE")
    }

    @Test("setup:holdconn cannot be answered")
    func holdconn() throws {
        let offer = try Self.validOffer().replacingOccurrences(of: "a=setup:actpass", with: "a=setup:holdconn")
        let pc = try Self.fresh()
        do {
            try pc.setRemoteDescription(offer, now: .zero)
            Issue.record("accepted holdconn")
        } catch {
            #expect(error.code == .unsupportedDescription)
        }
    }

    @Test("an offer without a fingerprint is malformed")
    func noFingerprint() throws {
        let offer = try Self.validOffer().split(separator: "\r\n").filter { !$0.hasPrefix("a=fingerprint") }
            .joined(separator: "\r\n") + "\r\n"
        let pc = try Self.fresh()
        do {
            try pc.setRemoteDescription(offer, now: .zero)
            Issue.record("accepted an offer without fingerprint")
        } catch {
            #expect(error.code == .malformedDescription)
        }
    }

    @Test("calls in the wrong state are invalidState or notConnected errors")
    func wrongState() throws {
        let pc = try Self.fresh()
        #expect(throws: EngineError.self) { _ = try pc.createAnswer(now: .zero) }
        #expect(throws: EngineError.self) { try pc.addRemoteCandidate("candidate:1 1 udp 1 1.2.3.4 5 typ host", now: .zero) }
        do {
            try pc.sendVideo(frame: [0, 0, 0, 1, 0x65, 1], ptsMilliseconds: 0, isKeyframe: true, now: .zero)
        } catch {
            #expect(error.code == .notConnected)
        }
        #expect(throws: EngineError.self) { _ = try pc.restartICE(now: .zero) }
    }

    @Test("an mDNS candidate is an invalidCandidate error")
    func mdnsCandidate() throws {
        let pc = try Self.fresh()
        try pc.setRemoteDescription(try Self.validOffer(), now: .zero)
        do {
            try pc.addRemoteCandidate("candidate:1 1 udp 2122260223 abc.local 5000 typ host", now: .zero)
            Issue.record("took an mDNS candidate")
        } catch {
            #expect(error.code == .invalidCandidate)
        }
        #expect(pc.counters.candidatesIgnored == 1)
    }

    @Test("an engine error keeps the ICE or SDP error that caused it, typed, rather than its text")
    func typedCauses() throws {
        let pc = try Self.fresh()
        do {
            try pc.setRemoteDescription("v=0\r\nthis is not sdp", now: .zero)
            Issue.record("took a malformed description")
        } catch {
            #expect(error.code == .malformedDescription)
            #expect(error.underlying is SDPError)
        }
        try pc.setRemoteDescription(try Self.validOffer(), now: .zero)
        do {
            try pc.addRemoteCandidate("candidate:1 1 udp 2122260223 abc.local 5000 typ host", now: .zero)
            Issue.record("took an mDNS candidate")
        } catch {
            #expect(error.code == .invalidCandidate)
            let cause = try #require(error.underlying as? ICEError)
            #expect(cause.code == .unsupportedCandidate)
            #expect(!error.message.contains("unsupportedCandidate:"), "the cause's code is not written into the text")
        }
    }

    @Test("a send configuration the send session refuses is reported as invalidConfiguration with the RTP error, not noSuchMedia")
    func sendSessionRefused() throws {
        var s = try Scenario(seed: 7, build: Scenario.sameRealm(), configureB: { c in
            c.send.pacingFactor = 0
        })
        s.b.video = SyntheticMedia.video(count: 10, seed: 2)
        try s.negotiate()
        let connected = s.runUntilConnected()
        #expect(connected)
        s.run(for: .seconds(1))
        let error = try #require(s.b.sendErrors.first)
        #expect(error.code == .invalidConfiguration)
        let cause = try #require(error.underlying as? RTPError)
        #expect(cause.code == .invalidConfiguration && cause.field == "pacingFactor")
        #expect(s.b.sendErrors.allSatisfy { $0.code == .invalidConfiguration })
    }

    @Test("a seeded loop of mutated offers gives errors or answers, never a trap")
    func mutatedOffers() throws {
        let offer = Array(try Self.validOffer().utf8)
        var rng = SeededRandom(seed: 77)
        var accepted = 0, refused = 0
        for i in 0..<300 {
            var bytes = offer
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                bytes[at] = UInt8(truncatingIfNeeded: rng.next() % 96) &+ 32
            }
            let pc = try Self.fresh(seed: UInt64(i))
            do {
                try pc.setRemoteDescription(String(decoding: bytes, as: UTF8.self), now: .zero)
                _ = try pc.createAnswer(now: .zero)
                accepted += 1
            } catch {
                refused += 1
            }
        }
        #expect(accepted + refused == 300)
        #expect(refused > 0)
        #expect(accepted > 0)
    }

    @Test("the first video frame must be a keyframe")
    func firstFrameNotKeyframe() throws {
        var s = try Scenario(seed: 51, build: Scenario.sameRealm())
        s.a.autoStartMedia = false
        try s.negotiate()
        let connected = s.runUntilConnected()
        #expect(connected)
        do {
            try s.a.pc.sendVideo(frame: [0, 0, 0, 1, 0x41, 9, 9], ptsMilliseconds: 0, isKeyframe: false, now: s.sim.now)
            Issue.record("sent a P frame first")
        } catch {
            #expect(error.code == .firstFrameNotKeyframe)
        }
    }

    @Test("a wrong fingerprint in the answer fails DTLS on that connection only")
    func wrongFingerprint() throws {
        var s = try Scenario(seed: 52, build: Scenario.sameRealm())
        var rng = SeededRandom(seed: 5)
        let other = try DTLSCertificate(unixTime: 1_700_000_000, using: &rng)
        let now = s.sim.now
        let offer = try s.a.pc.createOffer(now: now)
        try s.b.pc.setRemoteDescription(offer, now: now)
        let answer = try s.b.pc.createAnswer(now: now)
            .replacingOccurrences(of: Scenario.certificate.fingerprint.sdpValue, with: other.fingerprint.sdpValue)
        try s.a.pc.setRemoteDescription(answer, now: now)
        let a = s.a
        _ = s.run(until: { a.state == .failed }, limit: .seconds(5))
        #expect(a.state == .failed)
        #expect(s.b.state != .connected)
        #expect(!a.log.contains { $0.event == .readyToSend })
    }

    @Test("20 000 seeded garbage datagrams into a connected engine are counted and media still flows")
    func garbageLoop() throws {
        var s = try Scenario(seed: 53, build: Scenario.sameRealm())
        s.a.video = SyntheticMedia.video(count: 60, keyframeSize: 4000, maxSize: 3000, seed: 3)
        try s.negotiate()
        let connected = s.runUntilConnected()
        #expect(connected)
        var rng = SeededRandom(seed: 54)
        let peer = TransportAddress(s.addressA, 5000)
        let local = TransportAddress(s.addressB, 5000)
        let firstBytes: [UInt8] = [0, 1, 20, 22, 23, 64, 128, 144, 200, 255]
        for i in 0..<20_000 {
            var payload = rng.bytes(Int(rng.next() % 300))
            if !payload.isEmpty { payload[0] = firstBytes[i % firstBytes.count] }
            let from = i % 3 == 0 ? TransportAddress(IPAddress(v4: UInt32(truncatingIfNeeded: rng.next())), 9) : peer
            s.b.pc.handle(Datagram(source: from, destination: local, payload: payload), now: s.sim.now)
        }
        s.b.drainEvents()
        let c = s.b.pc.counters
        #expect(c.unknownDropped + c.iceDropped + c.srtpDropped + c.malformedDropped > 10_000)
        #expect(s.b.state == .connected)
        s.run(for: .seconds(3))
        #expect(sameFrames(s.b.receivedVideo.map(\.data), s.a.video.map(\.bytes)))
    }
}

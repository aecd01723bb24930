import Foundation
import NIOCore
import RingletCore
import RingletDTLS
import RingletEngine
import RingletRTP
import RingletEngineTestSupport
import RingletNIO
import RingletSampleMedia

/// The Swift peer as a `DatagramDriven` machine: a `RecordingPeer` (which drains the connection's events after
/// every input, stamping each with the driver's instant, and keeps the candidates to trickle) plus what this
/// application does around it: keep a state log and counters, and play the H.264 clip (15 fps, looped) and audio
/// (every 20 ms) from `readyToSend` on, jumping to the next IDR when the peer asks for a keyframe. Lives on the
/// driver's loop; the test reads it through `snapshot()`.
package final class EnginePeer: RecordingPeerOwner {
    package let recorder: RecordingPeer
    package var pc: PeerConnection { recorder.pc }
    /// Describes the ICE checklist when DTLS connects (a debugging aid the tests plug in; it needs internals).
    package var describePairs: (PeerConnection) -> [String] = { _ in [] }
    let clip: [AccessUnit]
    let videoInterval: Duration = .nanoseconds(66_666_667)
    let audioInterval: Duration = .milliseconds(20)

    private(set) var stateLog: [String] = []
    private(set) var videoReceived = 0
    private(set) var firstVideoKeyframe: Bool?
    private(set) var videoKeyframesReceived = 0
    private(set) var audioReceived = 0
    private(set) var keyframeRequests = 0
    private(set) var sendErrors: [String] = []
    private(set) var pairDump: [String] = []
    private var videoStart: Instant?
    private var videoSent = 0
    private var clipIndex = 0
    private var audioSent = 0
    private var now: Instant { recorder.now }

    package init(pc: PeerConnection, clip: [AccessUnit]) {
        recorder = RecordingPeer(pc: pc, keepsLog: false)
        self.clip = clip
        recorder.onEvent = { [unowned self] in observe($0) }
        recorder.nextMediaTime = { [unowned self] in nextMediaTime() }
        recorder.sendDueMedia = { [unowned self] in sendDueMedia() }
    }

    private func observe(_ e: PeerConnectionEvent) {
        switch e {
        case .connectionStateChanged(let s):
            stateLog.append("\(now.milliseconds) pc \(s)")
        case .iceConnectionStateChanged(let s):
            stateLog.append("\(now.milliseconds) ice \(s)")
        case .selectedPath(let p):
            stateLog.append("\(now.milliseconds) path \(p.localType)/\(p.remoteType) relayed \(p.relayed)")
        case .readyToSend:
            pairDump = describePairs(pc)
            if videoStart == nil { videoStart = now }
        case .videoFrame(let f):
            if videoReceived == 0 { firstVideoKeyframe = f.isKeyframe }
            videoReceived += 1
            if f.isKeyframe { videoKeyframesReceived += 1 }
        case .audioFrame:
            audioReceived += 1
        case .keyframeRequested:
            keyframeRequests += 1
            if videoSent > 0, let next = nextKeyframe(after: clipIndex) { clipIndex = next }
        case .localCandidate, .gatheringComplete, .watermark, .framesDropped:
            break
        }
    }

    private func nextKeyframe(after index: Int) -> Int? {
        guard !clip.isEmpty else { return nil }
        for step in 0..<clip.count {
            let i = (index + step) % clip.count
            if clip[i].isKeyframe { return i }
        }
        return nil
    }

    /// When the next video or audio frame is due; nil until the connection is connected (DTLS can finish before
    /// this side's ICE nominates, and a past deadline nobody acts on would spin the loop).
    private func nextMediaTime() -> Instant? {
        guard let start = videoStart, pc.connectionState == .connected else { return nil }
        let v = start + videoInterval * videoSent
        let a = start + audioInterval * audioSent
        return min(v, a)
    }

    private func sendDueMedia() {
        guard let start = videoStart, pc.connectionState == .connected else { return }
        let audio = pc.negotiatedMedia.first { $0.kind == .audio && $0.sends }
        let video = pc.negotiatedMedia.first { $0.kind == .video && $0.sends }
        var rounds = 0
        while rounds < 100, let due = nextMediaTime(), due <= now {
            rounds += 1
            if start + videoInterval * videoSent <= now {
                if video != nil, !clip.isEmpty {
                    let unit = clip[clipIndex % clip.count]
                    do {
                        try pc.sendVideo(frame: unit.bytes, ptsMilliseconds: Int64(videoSent) * 1000 / 15,
                                         isKeyframe: unit.isKeyframe, now: now)
                        recorder.mark("firstVideoSent", now)
                    } catch {
                        if sendErrors.count < 20 { sendErrors.append("video: \(error)") }
                    }
                    clipIndex = (clipIndex + 1) % clip.count
                }
                videoSent += 1
            } else {
                if let audio {
                    let frame = audio.codec == .opus ? SampleTone.opusSilence : SampleTone.muLaw(frame: audioSent)
                    do {
                        try pc.sendAudio(frame: frame, ptsMilliseconds: Int64(audioSent) * 20, now: now)
                        recorder.mark("firstAudioSent", now)
                    } catch {
                        if sendErrors.count < 20 { sendErrors.append("audio: \(error)") }
                    }
                }
                audioSent += 1
            }
        }
    }

    package func snapshot(now: Instant) -> EngineSnapshot {
        EngineSnapshot(
            connectionState: pc.connectionState, marks: recorder.marks, stateLog: stateLog, videoReceived: videoReceived,
            firstVideoKeyframe: firstVideoKeyframe, videoKeyframesReceived: videoKeyframesReceived,
            audioReceived: audioReceived, keyframeRequests: keyframeRequests, videoSent: videoSent,
            audioSent: audioSent, selectedPath: recorder.selectedPath, sendErrors: sendErrors, counters: pc.counters,
            pairDump: pairDump, negotiated: pc.negotiatedMedia.map { "\($0.kind) \($0.codec) pt \($0.payloadType)" },
            now: now)
    }
}

/// What the Swift side saw, copied off the loop.
package struct EngineSnapshot: Sendable {
    package let connectionState: PeerConnectionState
    package let marks: [String: Instant]
    package let stateLog: [String]
    package let videoReceived: Int
    package let firstVideoKeyframe: Bool?
    package let videoKeyframesReceived: Int
    package let audioReceived: Int
    package let keyframeRequests: Int
    package let videoSent: Int
    package let audioSent: Int
    package let selectedPath: SelectedPath?
    package let sendErrors: [String]
    package let counters: PeerConnectionCounters
    package let pairDump: [String]
    package let negotiated: [String]
    package let now: Instant
}

/// The Swift peer: an `EnginePeer` on a DatagramDriver whose loop lives in the harness namespace. Every engine
/// call of the Chromium tests goes through here.
package struct EngineSide {
    package let driver: DatagramDriver<EnginePeer>
    package let id: MachineID
    package let local: TransportAddress

    /// One certificate for the whole test run (as the SDK makes one per device).
    package static var certificate: DTLSCertificate? { TestCertificate.shared }

    /// Binds 127.0.0.1:0 in the namespace and creates the engine with that host address (and TURN, if given).
    package static func start(_ h: ChromiumHarness, clip: [AccessUnit], turn: TURNAccess? = nil,
                              relayOnly: Bool = false,
                              describePairs: (@Sendable (PeerConnection) -> [String])? = nil) async throws -> EngineSide {
        guard let certificate else { throw HarnessError(description: "could not make a DTLS certificate") }
        let driver = DatagramDriver<EnginePeer>(eventLoop: h.eventLoop)
        let local = try await driver.bindUDP(TransportAddress(.loopbackV4, 0)).get()
        let ntp = DatagramDriver<EnginePeer>.ntpOffset()
        let id = try await driver.addMachine(owning: [local]) { _ in
            var c = PeerConnection.Configuration(certificate: certificate, hostAddresses: [local])
            if let turn {
                c.turnServers = [.init(address: turn.address, transport: .udp, username: turn.username,
                                       password: turn.password)]
            }
            c.iceTransportPolicy = relayOnly ? .relay : .all
            c.video = .init(codecs: [.h264])
            c.ntpOffset = ntp
            var rng = SystemRandomNumberGenerator()
            let peer = EnginePeer(pc: try PeerConnection(configuration: c, using: &rng), clip: clip)
            if let describePairs { peer.describePairs = describePairs }
            return peer
        }.get()
        return EngineSide(driver: driver, id: id, local: local)
    }

    package func createOffer() async throws -> String {
        try await driver.withMachine(id) { m, now in
            m.recorder.mark("offer", now)
            return try m.recorder.signal(now) { try $0.createOffer(now: now) }
        }.get()
    }

    package func createAnswer() async throws -> String {
        try await driver.withMachine(id) { m, now in
            let sdp = try m.recorder.signal(now) { try $0.createAnswer(now: now) }
            m.recorder.mark("answer", now)
            return sdp
        }.get()
    }

    package func setRemoteDescription(_ sdp: String, isOffer: Bool) async throws {
        try await driver.withMachine(id) { m, now in
            if isOffer { m.recorder.mark("offer", now) }
            try m.recorder.signal(now) { try $0.setRemoteDescription(sdp, now: now) }
            if !isOffer { m.recorder.mark("answer", now) }
        }.get()
    }

    /// Adds a trickled candidate; returns whether ICE took it (TCP candidates are refused by design).
    package func addRemoteCandidate(_ line: String) async throws -> Bool {
        try await driver.withMachine(id) { m, now in
            (try? m.recorder.signal(now) { try $0.addRemoteCandidate(line, now: now) }) ?? false
        }.get()
    }

    package func endOfRemoteCandidates() async throws {
        try await driver.withMachine(id) { m, now in m.recorder.signal(now) { $0.endOfRemoteCandidates(now: now) } }.get()
    }

    package func takeCandidates() async throws -> (lines: [String], complete: Bool) {
        try await driver.withMachine(id) { m, _ in m.recorder.takeCandidates() }.get()
    }

    package func snapshot() async throws -> EngineSnapshot {
        try await driver.withMachine(id) { m, now in m.snapshot(now: now) }.get()
    }

    package func close() async throws {
        try await driver.withMachine(id) { m, now in m.recorder.signal(now) { $0.close(now: now) } }.get()
        try await driver.shutdown().get()
    }
}

/// The clip's access units (`SampleClip.accessUnits`: one slice per picture).
package func clipAccessUnits() throws -> [AccessUnit] {
    guard let pages = ChromiumHarness.pagesDirectory else {
        throw HarnessError(description: "Pages resource missing from the RingletBrowserHarness bundle")
    }
    let bytes = try [UInt8](Data(contentsOf: pages.appendingPathComponent("clip.h264")))
    return try SampleClip.accessUnits(annexB: bytes).map { AccessUnit(bytes: $0.bytes, isKeyframe: $0.isKeyframe) }
}

import Foundation
import NIOCore
import RingletCore
import RingletDTLS
@testable import RingletEngine
@testable import RingletICE
import RingletRTP
import RingletSDP
import RingletEngineTestSupport
@testable import RingletNIO

/// The Swift peer as a `DatagramDriven` machine: a `RecordingPeer` (which drains the connection's events after
/// every input, stamping each with the driver's instant, and keeps the candidates to trickle) plus what this
/// application does around it: keep a state log and counters, and play the H.264 clip (15 fps, looped) and audio
/// (every 20 ms) from `readyToSend` on, jumping to the next IDR when the peer asks for a keyframe. Lives on the
/// driver's loop; the test reads it through `snapshot()`.
final class EnginePeer: RecordingPeerOwner {
    let recorder: RecordingPeer
    var pc: PeerConnection { recorder.pc }
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

    init(pc: PeerConnection, clip: [AccessUnit]) {
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
            pairDump = dumpPairs()
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

    /// The ICE checklist (debugging aid: why the controlling side nominates when it does).
    func dumpPairs() -> [String] {
        guard let ice = pc.ice else { return [] }
        return ice.pairs.map { p in
            "\(p.id) \(ice.locals[p.local].candidate.kind)->\(p.remote.kind) \(p.remote.address) \(p.remote.transport) prio \(p.priority) \(p.state) valid \(p.valid) nom \(p.nominated) inList \(p.inChecklist)"
        } + ["remotes: " + ice.remotes.map { "\($0.kind) \($0.address) \($0.priority)" }.joined(separator: ", ")]
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
                    let frame = audio.codec == .opus ? opusSilence : pcmuTone(index: audioSent)
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

    func snapshot(now: Instant) -> EngineSnapshot {
        EngineSnapshot(
            connectionState: pc.connectionState, marks: recorder.marks, stateLog: stateLog, videoReceived: videoReceived,
            firstVideoKeyframe: firstVideoKeyframe, videoKeyframesReceived: videoKeyframesReceived,
            audioReceived: audioReceived, keyframeRequests: keyframeRequests, videoSent: videoSent,
            audioSent: audioSent, selectedPath: recorder.selectedPath, sendErrors: sendErrors, counters: pc.counters,
            pairDump: pairDump, negotiated: pc.negotiatedMedia.map { "\($0.kind) \($0.codec) pt \($0.payloadType)" },
            now: now)
    }
}

/// 20 ms of Opus silence: TOC 0xF8 (config 31, CELT fullband 20 ms, mono, one frame) and a 2-byte frame.
let opusSilence: [UInt8] = [0xF8, 0xFF, 0xFE]

/// 20 ms of a 440 Hz tone in G.711 µ-law (PCMU, 8 kHz).
func pcmuTone(index: Int) -> [UInt8] {
    (0..<160).map { i in
        let t = Double(index * 160 + i) / 8000
        return G711.muLaw(encode: Int16(8000 * sin(2 * Double.pi * 440 * t)))
    }
}

/// What the Swift side saw, copied off the loop.
struct EngineSnapshot: Sendable {
    let connectionState: PeerConnectionState
    let marks: [String: Instant]
    let stateLog: [String]
    let videoReceived: Int
    let firstVideoKeyframe: Bool?
    let videoKeyframesReceived: Int
    let audioReceived: Int
    let keyframeRequests: Int
    let videoSent: Int
    let audioSent: Int
    let selectedPath: SelectedPath?
    let sendErrors: [String]
    let counters: PeerConnectionCounters
    let pairDump: [String]
    let negotiated: [String]
    let now: Instant
}

/// The Swift peer: an `EnginePeer` on a DatagramDriver whose loop lives in the harness namespace. Every engine
/// call of the Chromium tests goes through here.
struct EngineSide {
    let driver: DatagramDriver<EnginePeer>
    let id: MachineID
    let local: TransportAddress

    /// One certificate for the whole test run (as the SDK makes one per device).
    static var certificate: DTLSCertificate? { TestCertificate.shared }

    /// Binds 127.0.0.1:0 in the namespace and creates the engine with that host address (and TURN, if given).
    static func start(_ h: ChromiumHarness, clip: [AccessUnit], turn: TURNAccess? = nil,
                      relayOnly: Bool = false) async throws -> EngineSide {
        guard let certificate else { throw HarnessError(description: "could not make a DTLS certificate") }
        let driver = DatagramDriver<EnginePeer>(eventLoop: h.eventLoop)
        let local = try await driver.bindUDP(TransportAddress(.loopbackV4, 0)).get()
        let ntp = Duration.seconds(Date().timeIntervalSince1970 + 2_208_988_800)
            - .nanoseconds(DatagramDriver<EnginePeer>.now().nanoseconds)
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
            return EnginePeer(pc: try PeerConnection(configuration: c, using: &rng), clip: clip)
        }.get()
        return EngineSide(driver: driver, id: id, local: local)
    }

    func createOffer() async throws -> String {
        try await driver.withMachine(id) { m, now in
            m.recorder.mark("offer", now)
            return try m.recorder.signal(now) { try $0.createOffer(now: now) }
        }.get()
    }

    func createAnswer() async throws -> String {
        try await driver.withMachine(id) { m, now in
            let sdp = try m.recorder.signal(now) { try $0.createAnswer(now: now) }
            m.recorder.mark("answer", now)
            return sdp
        }.get()
    }

    func setRemoteDescription(_ sdp: String, isOffer: Bool) async throws {
        try await driver.withMachine(id) { m, now in
            if isOffer { m.recorder.mark("offer", now) }
            try m.recorder.signal(now) { try $0.setRemoteDescription(sdp, now: now) }
            if !isOffer { m.recorder.mark("answer", now) }
        }.get()
    }

    /// Adds a trickled candidate; returns whether ICE took it (TCP candidates are refused by design).
    func addRemoteCandidate(_ line: String) async throws -> Bool {
        try await driver.withMachine(id) { m, now in
            (try? m.recorder.signal(now) { try $0.addRemoteCandidate(line, now: now) }) ?? false
        }.get()
    }

    func endOfRemoteCandidates() async throws {
        try await driver.withMachine(id) { m, now in m.recorder.signal(now) { $0.endOfRemoteCandidates(now: now) } }.get()
    }

    func takeCandidates() async throws -> (lines: [String], complete: Bool) {
        try await driver.withMachine(id) { m, _ in m.recorder.takeCandidates() }.get()
    }

    func snapshot() async throws -> EngineSnapshot {
        try await driver.withMachine(id) { m, now in m.snapshot(now: now) }.get()
    }

    func close() async throws {
        try await driver.withMachine(id) { m, now in m.recorder.signal(now) { $0.close(now: now) } }.get()
        try await driver.shutdown().get()
    }
}

/// The clip's access units: a new unit starts at a NAL (SPS, PPS, SEI, AUD or slice) once the current one holds a
/// slice (the clip has one slice per picture).
func clipAccessUnits() throws -> [AccessUnit] {
    guard let pages = Bundle.module.url(forResource: "Pages", withExtension: nil) else {
        throw HarnessError(description: "Pages resource missing from the test bundle")
    }
    let bytes = try [UInt8](Data(contentsOf: pages.appendingPathComponent("clip.h264")))
    let nals = try AnnexB.split(bytes[...])
    var units: [[ArraySlice<UInt8>]] = []
    var current: [ArraySlice<UInt8>] = []
    func isVCL(_ nal: ArraySlice<UInt8>) -> Bool { let t = (nal.first ?? 0) & 0x1F; return t >= 1 && t <= 5 }
    for nal in nals {
        if current.contains(where: isVCL) {
            units.append(current)
            current = []
        }
        current.append(nal)
    }
    if !current.isEmpty { units.append(current) }
    return units.map { nalUnits in
        var w = ByteWriter()
        AnnexB.write(nalUnits, into: &w)
        return AccessUnit(bytes: w.bytes, isKeyframe: nalUnits.contains { ($0.first ?? 0) & 0x1F == 5 })
    }
}

import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import RingletCore
import RingletDTLS
@testable import RingletEngine
@testable import RingletICE
import RingletNIO
import RingletSampleMedia
import RingletRTP
import RingletEngineTestSupport

/// A synthetic H.264 clip in Annex B (4-byte start codes, as the receive side writes them): 30 access units,
/// an IDR (with SPS and PPS) every 15, IDRs of 12 000 bytes and P slices of 1 500–4 000 (so most need FU-A).
/// Payload bytes come from a seeded generator, never zero (no emulation-prevention sequences), and start with
/// the unit's index, so every unit is distinct and a receiver can check that each frame arrived whole.
func syntheticClip() -> [AccessUnit] {
    var rng = SeededRandom(seed: 0x4e41_5430)
    let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1F, 0x8C, 0x8D, 0x40, 0x50, 0x1E, 0x90, 0x0F, 0x08, 0x84, 0x6A]
    let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
    return (0..<30).map { index in
        let keyframe = index % 15 == 0
        let size = keyframe ? 12_000 : 1_500 + (index * 277) % 2_500
        var slice: [UInt8] = [keyframe ? 0x65 : 0x41, UInt8(index + 1)]
        slice += (0..<size).map { _ in UInt8.random(in: 1...255, using: &rng) }
        let nals: [ArraySlice<UInt8>] = keyframe ? [sps[...], pps[...], slice[...]] : [slice[...]]
        var w = ByteWriter()
        AnnexB.write(nals, into: &w)
        return AccessUnit(bytes: w.bytes, isKeyframe: keyframe)
    }
}

/// 20 ms of Opus silence: TOC 0xF8 (CELT fullband 20 ms, mono, one frame) and a 2-byte frame.

/// The engine as a `DatagramDriven` machine (the minimum of the Chromium tests' `EnginePeer`): a `RecordingPeer`
/// (drains events after every input, keeps candidates to trickle) that plays the clip at 15 fps and Opus every
/// 20 ms from `readyToSend`, and checks every received video frame against the clip byte for byte.
final class NATPeer: RecordingPeerOwner {
    let recorder: RecordingPeer
    var pc: PeerConnection { recorder.pc }
    let clip: [AccessUnit]
    let clipSet: Set<[UInt8]>
    let videoInterval: Duration = .nanoseconds(66_666_667)
    let audioInterval: Duration = .milliseconds(20)

    private(set) var videoWhole = 0
    private(set) var videoCorrupt = 0
    private(set) var audioReceived = 0
    private(set) var sendErrors: [String] = []
    private var videoStart: Instant?
    private var videoSent = 0
    private var audioSent = 0
    private var clipIndex = 0
    private var now: Instant { recorder.now }

    init(pc: PeerConnection, clip: [AccessUnit]) {
        recorder = RecordingPeer(pc: pc, keepsLog: false)
        self.clip = clip
        clipSet = Set(clip.map(\.bytes))
        recorder.onEvent = { [unowned self] in observe($0) }
        recorder.nextMediaTime = { [unowned self] in nextMediaTime() }
        recorder.sendDueMedia = { [unowned self] in sendDueMedia() }
    }

    private func observe(_ e: PeerConnectionEvent) {
        switch e {
        case .readyToSend:
            if videoStart == nil { videoStart = now }
        case .videoFrame(let f):
            if clipSet.contains(f.data) { videoWhole += 1 } else { videoCorrupt += 1 }
        case .audioFrame:
            audioReceived += 1
        case .keyframeRequested:
            if videoSent > 0, let next = clip.indices.first(where: { clip[($0 + clipIndex) % clip.count].isKeyframe }) {
                clipIndex = (clipIndex + next) % clip.count
            }
        default: break
        }
    }

    private func nextMediaTime() -> Instant? {
        guard let start = videoStart, pc.connectionState == .connected else { return nil }
        return min(start + videoInterval * videoSent, start + audioInterval * audioSent)
    }

    private func sendDueMedia() {
        guard let start = videoStart, pc.connectionState == .connected else { return }
        var rounds = 0
        while rounds < 100, let due = nextMediaTime(), due <= now {
            rounds += 1
            if start + videoInterval * videoSent <= now {
                let unit = clip[clipIndex % clip.count]
                do {
                    try pc.sendVideo(frame: unit.bytes, ptsMilliseconds: Int64(videoSent) * 1000 / 15,
                                     isKeyframe: unit.isKeyframe, now: now)
                } catch {
                    if sendErrors.count < 10 { sendErrors.append("video: \(error)") }
                }
                clipIndex = (clipIndex + 1) % clip.count
                videoSent += 1
            } else {
                do {
                    try pc.sendAudio(frame: SampleTone.opusSilence, ptsMilliseconds: Int64(audioSent) * 20, now: now)
                } catch {
                    if sendErrors.count < 10 { sendErrors.append("audio: \(error)") }
                }
                audioSent += 1
            }
        }
    }

    /// Pairs that succeeded (or are valid) without a relay on either end: local base is a socket of ours (no TURN
    /// server) and the remote is neither a relay candidate nor an address on the TURN server.
    func directPairsThatWorked(turnIP: IPAddress) -> [String] {
        guard let ice = pc.ice else { return [] }
        return ice.pairs.compactMap { p in
            let local = ice.locals[p.local]
            let direct = local.relayServer == nil && p.remote.kind != .relayed && p.remote.address.ip != turnIP
            guard direct, p.valid || p.state == .succeeded else { return nil }
            return "\(local.candidate.kind)->\(p.remote.kind) \(p.remote.address) \(p.state)"
        }
    }

    /// The checklist, for failure messages.
    func pairDump() -> [String] {
        guard let ice = pc.ice else { return [] }
        return ice.pairs.map { p in
            "\(ice.locals[p.local].candidate.kind)->\(p.remote.kind) \(p.remote.address) \(p.state) valid \(p.valid) nom \(p.nominated)"
        }
    }

    func snapshot(now: Instant) -> Snapshot {
        Snapshot(state: pc.connectionState, marks: recorder.marks, videoWhole: videoWhole, videoCorrupt: videoCorrupt,
                 audioReceived: audioReceived, videoSent: videoSent, audioSent: audioSent, selectedPath: recorder.selectedPath,
                 sendErrors: sendErrors, pairs: pairDump(), now: now)
    }

    /// What this side saw, copied off the loop.
    struct Snapshot: Sendable {
        let state: PeerConnectionState
        let marks: [String: Instant]
        let videoWhole: Int
        let videoCorrupt: Int
        let audioReceived: Int
        let videoSent: Int
        let audioSent: Int
        let selectedPath: SelectedPath?
        let sendErrors: [String]
        let pairs: [String]
        let now: Instant
    }
}

/// One engine: its own event loop group whose thread lives in `namespace`, a driver, one UDP socket bound to
/// `address` in that namespace, and a `NATPeer`.
struct NATEngine {
    let group: MultiThreadedEventLoopGroup
    let driver: DatagramDriver<NATPeer>
    let id: MachineID
    let local: TransportAddress

    /// One certificate for the whole test run (as the SDK makes one per device).
    static var certificate: DTLSCertificate? { TestCertificate.shared }

    static func start(in namespace: NetworkNamespace, address: IPAddress, clip: [AccessUnit],
                      turn: TURNAccess? = nil, alsoTCP: Bool = false, relayOnly: Bool = false,
                      tls: TLSConfiguration? = nil) async throws -> NATEngine {
        guard let certificate else { throw NATLabError(description: "could not make a DTLS certificate") }
        let group = try await namespace.makeEventLoopGroup()
        do {
            let driver = DatagramDriver<NATPeer>(eventLoop: group.next())
            let local = try await driver.bindUDP(TransportAddress(address, 0)).get()
            if let tls, let turn {
                // TURN over TLS: the IP literal is checked against the certificate's IP addresses.
                try await driver.useTLS(toward: turn.address, serverName: nil, configuration: tls).get()
            }
            let id = try await driver.addMachine(owning: [local]) { _ in
                var c = PeerConnection.Configuration(certificate: certificate, hostAddresses: [local])
                if let turn {
                    c.turnServers = [.init(address: turn.address, transport: turn.transport, username: turn.username,
                                           password: turn.password)]
                    if alsoTCP {
                        c.turnServers.append(.init(address: turn.address, transport: .tcp, username: turn.username,
                                                   password: turn.password))
                    }
                }
                c.iceTransportPolicy = relayOnly ? .relay : .all
                c.video = .init(codecs: [.h264])
                c.audio = .init(codecs: [.opus])
                var rng = SystemRandomNumberGenerator()
                return NATPeer(pc: try PeerConnection(configuration: c, using: &rng), clip: clip)
            }.get()
            return NATEngine(group: group, driver: driver, id: id, local: local)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    func on<R: Sendable>(_ body: @escaping @Sendable (NATPeer, Instant) throws -> R) async throws -> R {
        try await driver.withMachine(id) { m, now in try body(m, now) }.get()
    }

    func snapshot() async throws -> NATPeer.Snapshot { try await on { m, now in m.snapshot(now: now) } }

    /// Closes the connection, the sockets and the loop (best effort: for `defer`-like cleanup).
    func stop() async {
        _ = try? await on { m, now in m.recorder.signal(now) { $0.close(now: now) } }
        try? await driver.shutdown().get()
        try? await group.shutdownGracefully()
    }
}

/// In-process signaling: A offers, B answers, then candidates trickle both ways until both are connected and
/// media has flowed (`done`), or `timeout`. Returns the offer instant (driver clock, shared by both: monotonic).
func call(_ a: NATEngine, _ b: NATEngine, timeout: Duration,
          done: @escaping (NATPeer.Snapshot, NATPeer.Snapshot) -> Bool) async throws -> (offer: Instant, ok: Bool) {
    let (offerAt, offer) = try await a.on { m, now in
        m.recorder.mark("offer", now)
        return (now, try m.recorder.signal(now) { try $0.createOffer(now: now) })
    }
    try await b.on { m, now in try m.recorder.signal(now) { try $0.setRemoteDescription(offer, now: now) } }
    let answer = try await b.on { m, now in try m.recorder.signal(now) { try $0.createAnswer(now: now) } }
    try await a.on { m, now in try m.recorder.signal(now) { try $0.setRemoteDescription(answer, now: now) } }
    var ended = (a: false, b: false)
    let ok = await poll(timeout: timeout) {
        do {
            for (from, to, isA) in [(a, b, true), (b, a, false)] {
                let (lines, complete) = try await from.on { m, _ in m.recorder.takeCandidates() }
                for line in lines {
                    _ = try await to.on { m, now in (try? m.recorder.signal(now) { try $0.addRemoteCandidate(line, now: now) }) ?? false }
                }
                if complete, !(isA ? ended.a : ended.b) {
                    try await to.on { m, now in m.recorder.signal(now) { $0.endOfRemoteCandidates(now: now) } }
                    if isA { ended.a = true } else { ended.b = true }
                }
            }
            return done(try await a.snapshot(), try await b.snapshot())
        } catch {
            return false
        }
    }
    return (offerAt, ok)
}

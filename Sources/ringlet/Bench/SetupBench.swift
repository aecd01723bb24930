import Foundation
import NIOCore
import NIOPosix
import RingletCore
import RingletDTLS
import RingletEngine
import RingletNIO

/// One side of a setup measurement: a `PeerConnection` on real loopback sockets that stamps the moments that
/// matter with the driver's clock as they happen (it drains the engine's events after every input), and sends
/// its first IDR the moment DTLS is connected — what a device does.
final class SetupBenchPeer: DatagramDriven {
    let connection: PeerConnection
    private let keyframe: [UInt8]
    private(set) var marks: [String: Instant] = [:]
    private(set) var sendError: String?

    init(connection: PeerConnection, keyframe: [UInt8]) {
        self.connection = connection
        self.keyframe = keyframe
    }

    func handle(_ datagram: Datagram, now: Instant) {
        connection.handle(datagram, now: now)
        drainEvents(now: now)
    }

    func pollTransmit() -> Datagram? { connection.pollTransmit() }
    func nextDeadline() -> Instant? { connection.nextDeadline() }

    func handleTimeout(now: Instant) {
        connection.handleTimeout(now: now)
        drainEvents(now: now)
    }

    /// Records `name` at `now` unless it was recorded before.
    func mark(_ name: String, _ now: Instant) {
        if marks[name] == nil { marks[name] = now }
    }

    private func drainEvents(now: Instant) {
        while let event = connection.pollEvent() {
            switch event {
            case .iceConnectionStateChanged(.connected), .iceConnectionStateChanged(.completed):
                mark("ice_connected", now)
            case .readyToSend:
                mark("dtls_connected", now)
                do {
                    try connection.sendVideo(frame: keyframe, ptsMilliseconds: 0, isKeyframe: true, now: now)
                } catch {
                    sendError = "\(error)"
                }
            case .videoFrame(let frame) where frame.isKeyframe:
                mark("first_video_frame", now)
            default:
                break
            }
        }
    }
}

/// Timings of one Swift ↔ Swift setup on loopback, in milliseconds from the offer.
struct SetupTimings: Sendable {
    var iceConnected: Double
    var dtlsConnected: Double
    var firstFrame: Double
    var firstFrameAfterDTLS: Double
}

/// `ringlet bench setup`, Swift ↔ Swift: two engines on real UDP sockets on 127.0.0.1 driven by one SwiftNIO event
/// loop; offer → ICE connected → DTLS connected → first whole video frame at the answerer.
enum SetupBench {
    /// A synthetic H.264 access unit: SPS, PPS and an IDR slice of `idrSize` bytes (no zero bytes, so no start-code
    /// emulation). The engine packetizes it (FU-A) like a real one.
    static func keyframe(idrSize: Int) -> [UInt8] {
        let sps: [UInt8] = [0x67, 0x42, 0xE0, 0x1F, 0xDA, 0x02, 0x80, 0xF6, 0x9B, 0x80, 0x80, 0x83, 0x01]
        let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
        let idr: [UInt8] = [0x65, 0x88, 0x84] + [UInt8](repeating: 0x5A, count: max(0, idrSize - 3))
        return [sps, pps, idr].flatMap { [0, 0, 0, 1] + $0 }
    }

    static func run(rounds: Int, idrSize: Int, seed: UInt64) throws -> [SetupTimings] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let driver = DatagramDriver<SetupBenchPeer>(eventLoop: group.next())
        defer { try? driver.shutdown().wait() }
        var rng = SeededRandom(seed: seed)
        // One certificate for every call, as a device keeps one (DESIGN.md: never per call).
        let certificate = try DTLSCertificate(unixTime: Int64(Date().timeIntervalSince1970), using: &rng)
        let frame = keyframe(idrSize: idrSize)
        var results: [SetupTimings] = []
        for round in 0..<rounds {
            let a = try driver.bindUDP(TransportAddress(.loopbackV4, 0)).wait()
            let b = try driver.bindUDP(TransportAddress(.loopbackV4, 0)).wait()
            let seedA = rng.next(), seedB = rng.next()
            func make(_ local: TransportAddress, _ seed: UInt64) -> EventLoopFuture<MachineID> {
                driver.addMachine(owning: [local]) { _ in
                    var generator = SeededRandom(seed: seed)
                    let configuration = PeerConnection.Configuration(certificate: certificate, hostAddresses: [local])
                    let pc = try PeerConnection(configuration: configuration, using: &generator)
                    return SetupBenchPeer(connection: pc, keyframe: frame)
                }
            }
            let offerer = try make(a, seedA).wait()
            let answerer = try make(b, seedB).wait()
            let offer = try driver.withMachine(offerer) { peer, now in
                peer.mark("offer", now)
                return try peer.connection.createOffer(now: now)
            }.wait()
            let answer = try driver.withMachine(answerer) { peer, now in
                try peer.connection.setRemoteDescription(offer, now: now)
                return try peer.connection.createAnswer(now: now)
            }.wait()
            try driver.withMachine(offerer) { peer, now in
                try peer.connection.setRemoteDescription(answer, now: now)
            }.wait()

            // Bounded wait: 10 s of wall time at most per round.
            var done = false
            for _ in 0..<1000 where !done {
                usleep(10_000)
                done = try driver.withMachine(answerer) { peer, _ in peer.marks["first_video_frame"] != nil }.wait()
            }
            let offererMarks = try driver.withMachine(offerer) { peer, _ in peer.marks }.wait()
            let answererMarks = try driver.withMachine(answerer) { peer, _ in peer.marks }.wait()
            let errors = try driver.withMachine(offerer) { peer, _ in peer.sendError }.wait()
            _ = try driver.withMachine(offerer) { peer, now in peer.connection.close(now: now) }.wait()
            _ = try driver.withMachine(answerer) { peer, now in peer.connection.close(now: now) }.wait()
            try driver.removeMachine(offerer).wait()
            try driver.removeMachine(answerer).wait()
            guard let start = offererMarks["offer"], let ice = offererMarks["ice_connected"],
                  let dtls = offererMarks["dtls_connected"], let first = answererMarks["first_video_frame"]
            else {
                throw BenchError("round \(round): the call did not reach its first frame in 10 s "
                    + "(offerer \(offererMarks.keys.sorted()), answerer \(answererMarks.keys.sorted())"
                    + (errors.map { ", send error \($0)" } ?? "") + ")")
            }
            func ms(_ from: Instant, _ to: Instant) -> Double { Double((to - from).nanosecondsClamped) / 1e6 }
            results.append(SetupTimings(iceConnected: ms(start, ice), dtlsConnected: ms(start, dtls),
                                        firstFrame: ms(start, first), firstFrameAfterDTLS: ms(dtls, first)))
        }
        return results
    }
}

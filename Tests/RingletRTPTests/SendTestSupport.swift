import RingletCore
@testable import RingletRTP

/// A send session on a fake clock, collecting what it outputs and when.
struct SendHarness {
    var session: RTPSendSession
    var now: Instant = .milliseconds(1000)
    var sent: [(at: Instant, packet: RTPPacket)] = []
    var reports: [(at: Instant, report: RTCPSenderReport)] = []
    var events: [RTPSendEvent] = []

    static let twccID: UInt8 = 3
    static let absID: UInt8 = 2
    static let midID: UInt8 = 1

    static func configuration(audio: Bool = true, video: Bool = true, twcc: Bool = true) -> RTPSendSession.Configuration {
        let ext = { (mid: String) in
            RTPSendHeaderExtensions(transportWideSequenceNumberID: twcc ? twccID : nil, absSendTimeID: absID,
                                    midID: midID, mid: mid)
        }
        return RTPSendSession.Configuration(
            audio: audio ? .init(codec: .opus, payloadType: 111, headerExtensions: ext("0")) : nil,
            video: video ? .init(codec: .h264, payloadType: 96, headerExtensions: ext("1")) : nil)
    }

    init(_ configuration: RTPSendSession.Configuration = SendHarness.configuration(), seed: UInt64 = 7,
         ntpOffset: Duration = .seconds(3_900_000_000)) throws {
        var rng = SeededRandom(seed: seed)
        session = try RTPSendSession(configuration: configuration, ntpOffset: ntpOffset, using: &rng)
    }

    var video: RTPSendStream { session.videoStream! }
    var audio: RTPSendStream { session.audioStream! }

    /// An H.264 access unit: one IDR (type 5) or non-IDR (type 1) slice of `size` bytes, in Annex B.
    static func h264(size: Int, key: Bool, fill: UInt8 = 0xAB) -> [UInt8] {
        [0, 0, 0, 1, key ? 0x65 : 0x41] + [UInt8](repeating: fill, count: max(0, size - 1))
    }

    /// A valid Opus packet (CELT FB 20 ms, one frame).
    static let opus: [UInt8] = [0xF8] + [UInt8](repeating: 0x11, count: 80)

    mutating func drain() {
        while let output = session.pollOutput() {
            switch output {
            case .rtp(let p): sent.append((now, p))
            case .rtcp(.senderReport(let sr)): reports.append((now, sr))
            case .rtcp: break
            case .event(let e): events.append(e)
            }
        }
    }

    mutating func video(_ size: Int, key: Bool, pts: Int64) throws(RTPError) {
        try session.send(frame: Self.h264(size: size, key: key)[...], media: .video, ptsMilliseconds: pts,
                         isKeyframe: key, now: now)
        drain()
    }

    mutating func audio(pts: Int64) throws(RTPError) {
        try session.send(frame: Self.opus[...], media: .audio, ptsMilliseconds: pts, isKeyframe: false, now: now)
        drain()
    }

    mutating func rtcp(_ packet: RTCPPacket) {
        session.handle(rtcp: packet, now: now)
        drain()
    }

    /// Advances the clock to `target`, waking the session at each deadline on the way.
    mutating func advance(to target: Instant) {
        while let t = session.pollTimeout(), t <= target {
            now = max(now, t)
            session.handleTimeout(now: now)
            drain()
        }
        now = max(now, target)
    }

    mutating func advance(by d: Duration) { advance(to: now + d) }

    func transportSequence(_ p: RTPPacket) -> UInt16? {
        guard let d = p.headerExtension?.element(id: Self.twccID), d.count == 2 else { return nil }
        return UInt16(d[d.startIndex]) << 8 | UInt16(d[d.startIndex + 1])
    }
}

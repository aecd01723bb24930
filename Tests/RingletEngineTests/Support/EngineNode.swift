import RingletCore
import RingletEngine
import RingletRTP
import RingletSimulation

/// A simulation participant around a `PeerConnection`: it drains events after every input (recording them with
/// their instant), trickles local candidates straight to its peer (zero-latency signaling), and plays a media
/// script once the connection says `readyToSend`.
final class EngineNode: DatagramDriven {
    let name: String
    let pc: PeerConnection
    weak var peer: EngineNode?
    var trickle = true
    private(set) var now: Instant = .zero
    private(set) var log: [(time: Instant, event: PeerConnectionEvent)] = []

    var video: [SyntheticMedia.VideoFrame] = []
    var audio: [[UInt8]] = []
    var videoInterval: Duration = .milliseconds(33)
    var audioInterval: Duration = .milliseconds(20)
    var autoStartMedia = true
    private(set) var mediaStart: Instant?
    private(set) var videoSent = 0
    private(set) var audioSent = 0
    private(set) var sendErrors: [EngineError] = []
    private(set) var receivedVideo: [RTPReceivedFrame] = []
    private(set) var receivedAudio: [RTPReceivedFrame] = []

    init(name: String, pc: PeerConnection) {
        self.name = name
        self.pc = pc
    }

    func handle(_ datagram: Datagram, now: Instant) {
        self.now = now
        pc.handle(datagram, now: now)
        drainEvents()
        sendDueMedia()
    }

    func pollTransmit() -> Datagram? {
        drainEvents()
        return pc.pollTransmit()
    }

    func nextDeadline() -> Instant? {
        let a = pc.nextDeadline(), b = nextMediaTime()
        switch (a, b) {
        case let (x?, y?): return min(x, y)
        case let (x, nil): return x
        case let (nil, y): return y
        }
    }

    func handleTimeout(now: Instant) {
        self.now = now
        if let d = pc.nextDeadline(), d <= now { pc.handleTimeout(now: now) }
        drainEvents()
        sendDueMedia()
    }

    /// Starts sending the media script now (when `autoStartMedia` is off).
    func startMedia(at time: Instant) {
        mediaStart = time
        videoSent = 0
        audioSent = 0
    }

    func drainEvents() {
        while let e = pc.pollEvent() {
            log.append((now, e))
            switch e {
            case .localCandidate(let text):
                if trickle, let peer { _ = try? peer.pc.addRemoteCandidate(text, now: now) }
            case .readyToSend:
                if autoStartMedia { mediaStart = now }
            case .videoFrame(let f): receivedVideo.append(f)
            case .audioFrame(let f): receivedAudio.append(f)
            default: break
            }
        }
    }

    private func nextMediaTime() -> Instant? {
        guard let start = mediaStart else { return nil }
        var t: Instant?
        if videoSent < video.count { t = start + videoInterval * videoSent }
        if audioSent < audio.count {
            let a = start + audioInterval * audioSent
            t = t.map { min($0, a) } ?? a
        }
        return t
    }

    private func sendDueMedia() {
        guard let start = mediaStart else { return }
        while videoSent < video.count, start + videoInterval * videoSent <= now {
            let f = video[videoSent]
            do {
                try pc.sendVideo(frame: f.bytes, ptsMilliseconds: Int64(videoSent) * 33, isKeyframe: f.isKeyframe,
                                 now: now)
            } catch {
                sendErrors.append(error)
            }
            videoSent += 1
        }
        while audioSent < audio.count, start + audioInterval * audioSent <= now {
            do {
                try pc.sendAudio(frame: audio[audioSent], ptsMilliseconds: Int64(audioSent) * 20, now: now)
            } catch {
                sendErrors.append(error)
            }
            audioSent += 1
        }
        drainEvents()
    }

    // MARK: Queries

    func firstTime(where match: (PeerConnectionEvent) -> Bool) -> Instant? {
        log.first(where: { match($0.event) })?.time
    }

    var state: PeerConnectionState { pc.connectionState }

    func events(where match: (PeerConnectionEvent) -> Bool) -> [PeerConnectionEvent] {
        log.map(\.event).filter(match)
    }
}

import RingletCore
import RingletEngine
import RingletEngineTestSupport
import RingletRTP
import RingletSimulation

/// A simulation participant around a `PeerConnection`: a `RecordingPeer` (drains events after every input,
/// recording them with their instant) that trickles local candidates straight to its peer (zero-latency
/// signaling), and plays a media script once the connection says `readyToSend`.
final class EngineNode: RecordingPeerOwner {
    let name: String
    let recorder: RecordingPeer
    var pc: PeerConnection { recorder.pc }
    weak var peer: EngineNode?
    var trickle = true
    var now: Instant { recorder.now }
    var log: [(time: Instant, event: PeerConnectionEvent)] { recorder.log }

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
        recorder = RecordingPeer(pc: pc)
        recorder.onEvent = { [unowned self] in observe($0) }
        recorder.nextMediaTime = { [unowned self] in nextMediaTime() }
        recorder.sendDueMedia = { [unowned self] in sendDueMedia() }
    }

    /// Starts sending the media script now (when `autoStartMedia` is off).
    func startMedia(at time: Instant) {
        mediaStart = time
        videoSent = 0
        audioSent = 0
    }

    func drainEvents() { recorder.drainEvents() }

    private func observe(_ e: PeerConnectionEvent) {
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
    }

    // MARK: Queries

    func firstTime(where match: (PeerConnectionEvent) -> Bool) -> Instant? { recorder.firstTime(where: match) }

    var state: PeerConnectionState { pc.connectionState }

    func events(where match: (PeerConnectionEvent) -> Bool) -> [PeerConnectionEvent] { recorder.events(where: match) }
}

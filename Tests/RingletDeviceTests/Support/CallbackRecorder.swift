import Foundation
import NIOPosix
import RingletDevice
import RingletSampleMedia

/// Device code as an app writes it for the seed: the three callback protocols, recording what fires (in order,
/// with the time), streaming the sample clip and tone through the facade from `onStartRealPlay` on, and
/// counting what it receives.
final class CallbackRecorder: IvDeviceCallback, IvAvtCallback, IvVoipCallback, @unchecked Sendable {
    // @unchecked Sendable: every field is under `lock`; callbacks come on the SDK's one queue.
    private let lock = NSLock()
    private var entries: [(time: ContinuousClock.Instant, name: String)] = []
    private var received: [Int: Int] = [:]
    private var firstVideoKeyframe: Bool?
    private var stream: (visitor: Int, res: Int)?
    private var rooms: [String] = []
    private var lastPTS: [Int: Int64] = [:]
    private var ptsBackwards = 0
    let clip = try! SampleClip.bundled()
    /// The sample media, paced on a loop of NIO's shared group (the facade's sends never block).
    let player = MediaPump(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
    let facade = VideoNativeInterface.getInstance()
    /// What `onGetAvEncInfo` declares; nil (the default): what the call negotiated.
    var encInfo: AvDataInfo? {
        get { lock.withLock { declared } }
        set { lock.withLock { declared = newValue } }
    }
    private var declared: AvDataInfo?
    private var offered: AvDataInfo?
    private var returned: AvDataInfo?
    /// The negotiated format `onGetAvEncInfo` received last.
    var negotiated: AvDataInfo? { lock.withLock { offered } }
    /// Whether the player streams from `onStartRealPlay` on.
    var streams: Bool {
        get { lock.withLock { streaming } }
        set { lock.withLock { streaming = newValue } }
    }
    private var streaming = true

    private func record(_ name: String) { lock.withLock { entries.append((.now, name)) } }

    /// The callbacks in order (frames and P2P watermark/ready notifications left out).
    var log: [String] { lock.withLock { entries.map(\.name) } }

    /// The call-related callbacks: the log without the ones every test sees (online, peer ready, REQ_IFRAME).
    var callLog: [String] {
        log.filter { !$0.hasPrefix("onOnline") && $0 != "onNotify P2P_PEER_READY" && $0 != "onRecvCommand REQ_IFRAME"
            && !$0.hasPrefix("onNotify P2P_WATERMARK") && !$0.hasPrefix("onUpdateAuthorizeStatus") }
    }

    /// When `name` was first recorded.
    func time(of name: String) -> ContinuousClock.Instant? { lock.withLock { entries.first { $0.name == name }?.time } }

    func count(_ streamType: Int) -> Int { lock.withLock { received[streamType, default: 0] } }
    var firstVideoWasKeyframe: Bool? { lock.withLock { firstVideoKeyframe } }
    var currentStream: (visitor: Int, res: Int)? { lock.withLock { stream } }
    var joinRooms: [String] { lock.withLock { rooms } }
    /// The codes of the player's refused sends, in order.
    var refusedCodes: [Int] { lock.withLock { refusals } }
    private var refusals: [Int] = []
    /// Received frames whose PTS was lower than the previous one of their stream.
    var ptsWentBackwards: Int { lock.withLock { ptsBackwards } }

    func onOnline(_ netDateTime: Int64) { record("onOnline") }
    func onOffline(_ status: Int) { record("onOffline \(status)") }

    func onGetAvEncInfo(_ visitor: Int, _ channel: Int, _ videoResType: Int, _ negotiated: AvDataInfo) -> AvDataInfo {
        record("onGetAvEncInfo")
        return lock.withLock {
            offered = negotiated
            returned = declared ?? negotiated
            return returned ?? negotiated
        }
    }

    func onStartRealPlay(_ visitor: Int, _ channel: Int, _ videoResType: Int) {
        record("onStartRealPlay")
        let info = lock.withLock {
            stream = (visitor, videoResType)
            return returned ?? AvDataInfo()
        }
        guard streams else { return }
        let facade = self.facade
        let audio: SampleAudio? = switch info.audioType {
        case IV_CM_AENC_TYPE_G711U: .muLaw
        case IV_CM_AENC_TYPE_G711A: .aLaw
        case IV_CM_AENC_TYPE_OPUS: .opus
        default: nil
        }
        let video = videoResType != IV_AVT_VIDEO_AUDIO
        let clip = self.clip
        player.start(sources: {
            SampleClipSource.sampleSources(clip: clip, audio: audio, video: video)
        }, send: { f in
            let code = f.kind == .video
                ? facade.sendVideoData(f.bytes, f.ptsMilliseconds, 0, f.isKeyframe, visitor, videoResType)
                : facade.sendAudioData(f.bytes, f.ptsMilliseconds, 0, visitor, videoResType)
            if code != 0 { self.lock.withLock { self.refusals.append(code) } }
            return code == 0 ? .sent : .refused
        })
    }

    func onStopRealPlay(_ visitor: Int, _ channel: Int, _ videoResType: Int) {
        player.stop()
        lock.withLock { stream = nil }
        record("onStopRealPlay")
    }

    func onStartRecvAudioStream(_ visitor: Int, _ channel: Int, _ type: Int, _ option: Int, _ mode: Int, _ width: Int,
                                _ sampleRate: Int, _ sampleNum: Int) -> Int {
        record("onStartRecvAudioStream")
        return 0
    }

    func onStartRecvVideoStream(_ visitor: Int, _ channel: Int, _ type: Int, _ height: Int, _ width: Int,
                                _ frameRate: Int) -> Int {
        record("onStartRecvVideoStream")
        return 0
    }

    func onStopRecvStream(_ visitor: Int, _ channel: Int, _ streamType: Int) -> Int {
        record("onStopRecvStream")
        return 0
    }

    func onRecvStream(_ visitor: Int, _ streamType: Int, _ data: [UInt8], _ len: Int, _ pts: Int64, _ seq: Int64) -> Int {
        lock.withLock {
            if streamType == IV_AVT_STREAM_TYPE_VIDEO, firstVideoKeyframe == nil {
                // An IDR access unit holds a NAL of type 5.
                firstVideoKeyframe = stride(from: 0, to: max(0, data.count - 4), by: 1).contains {
                    data[$0] == 0 && data[$0 + 1] == 0 && data[$0 + 2] == 1 && data[$0 + 3] & 0x1F == 5
                }
            }
            received[streamType, default: 0] += 1
            if let last = lastPTS[streamType], pts < last { ptsBackwards += 1 }
            lastPTS[streamType] = pts
        }
        return 0
    }

    func onNotify(_ event: Int, _ visitor: Int, _ channel: Int, _ videoResType: Int) {
        record("onNotify \(AVTNotification(rawValue: event))")
    }

    func onRecvCommand(_ command: Int, _ visitor: Int, _ channel: Int, _ videoResType: Int, _ args: String?) -> String {
        record("onRecvCommand \(AVTCommand(rawValue: command))" + (args.map { " \($0)" } ?? ""))
        if command == IV_AVT_COMMAND_REQ_IFRAME { player.requestKeyframe() }
        return #"{"code":0}"#
    }

    func onGetPeerOuterNet(_ visitor: Int, _ channel: Int, _ netInfo: String?) {
        record("onGetPeerOuterNet \(netInfo ?? "")")
    }

    func onUpdateAuthorizeStatus(_ openId: String, _ status: Int) -> Int {
        record("onUpdateAuthorizeStatus \(status)")
        return 0
    }

    func onJoinNotify(_ roomId: String) -> Int {
        lock.withLock { rooms.append(roomId) }
        record("onJoinNotify")
        return 0
    }

    func onCancelNotify(_ roomId: String) -> Int {
        record("onCancelNotify")
        return 0
    }
}

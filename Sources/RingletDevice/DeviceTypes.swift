import RingletSignaling

/// A command the device receives during a call (the seed's `iv_avt_command_type_e`, tencent-sdk-notes §2.1),
/// with the seed's integer values. An open set: unknown values survive a round trip.
public struct AVTCommand: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The seed's value.
    public let rawValue: Int
    /// Makes a command from its seed value.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Custom data from the peer (`USR_DATA`); the arguments are the peer's text.
    public static let userData = AVTCommand(rawValue: 0)
    /// The peer asks for a keyframe (`REQ_IFRAME`): encode an IDR next.
    public static let requestIFrame = AVTCommand(rawValue: 3)
    /// The user answered (`CALL_ANSWER`).
    public static let callAnswer = AVTCommand(rawValue: 14)
    /// The other party hung up after the answer (`CALL_HANG_UP`).
    public static let callHangUp = AVTCommand(rawValue: 15)
    /// The user rejected the call (`CALL_REJECT`).
    public static let callReject = AVTCommand(rawValue: 16)
    /// The caller gave up before the device answered (`CALL_CANCEL`).
    public static let callCancel = AVTCommand(rawValue: 17)
    /// The user is busy (`CALL_BUSY`).
    public static let callBusy = AVTCommand(rawValue: 18)
    /// Nobody answered in time (`CALL_TIMEOUT`).
    public static let callTimeout = AVTCommand(rawValue: 19)
    /// The peer turned camera and microphone off (`CALL_AV_CLOSE`).
    public static let callAVClose = AVTCommand(rawValue: 20)
    /// The peer's microphone is on, camera off (`CALL_AV_AUDIO_ONLY`).
    public static let callAVAudioOnly = AVTCommand(rawValue: 21)
    /// The peer's camera is on, microphone off (`CALL_AV_VIDEO_ONLY`).
    public static let callAVVideoOnly = AVTCommand(rawValue: 22)
    /// The peer's camera and microphone are on (`CALL_AV_AUDIO_VIDEO`).
    public static let callAVAudioVideo = AVTCommand(rawValue: 23)

    /// The command for a camera/microphone state.
    public static func avState(camera: Bool, microphone: Bool) -> AVTCommand {
        switch (camera, microphone) {
        case (false, false): .callAVClose
        case (false, true): .callAVAudioOnly
        case (true, false): .callAVVideoOnly
        case (true, true): .callAVAudioVideo
        }
    }

    /// The command for a call outcome from the signaling; nil for `peer_gone` (network loss shows no command).
    public init?(_ event: CallEvent) {
        switch event {
        case .answer: self = .callAnswer
        case .reject: self = .callReject
        case .busy: self = .callBusy
        case .timeout: self = .callTimeout
        case .cancel: self = .callCancel
        case .hangUp: self = .callHangUp
        case .peerGone: return nil
        }
    }

    public var description: String {
        switch self {
        case .userData: "USR_DATA"
        case .requestIFrame: "REQ_IFRAME"
        case .callAnswer: "CALL_ANSWER"
        case .callHangUp: "CALL_HANG_UP"
        case .callReject: "CALL_REJECT"
        case .callCancel: "CALL_CANCEL"
        case .callBusy: "CALL_BUSY"
        case .callTimeout: "CALL_TIMEOUT"
        case .callAVClose: "CALL_AV_CLOSE"
        case .callAVAudioOnly: "CALL_AV_AUDIO_ONLY"
        case .callAVVideoOnly: "CALL_AV_VIDEO_ONLY"
        case .callAVAudioVideo: "CALL_AV_AUDIO_VIDEO"
        default: "COMMAND_\(rawValue)"
        }
    }
}

/// A notification about the media path (the seed's `iv_avt_event_e`), with the seed's values.
public struct AVTNotification: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The seed's value.
    public let rawValue: Int
    /// Makes a notification from its seed value.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Online with ICE servers known: calls may be placed (`P2P_PEER_READY`).
    public static let peerReady = AVTNotification(rawValue: 0)
    /// The signaling server cannot be reached (`P2P_PEER_CONNECT_FAIL`).
    public static let peerConnectFail = AVTNotification(rawValue: 1)
    /// An answered call's media never connected or was lost before the stream started (`P2P_PEER_ERROR`).
    public static let peerError = AVTNotification(rawValue: 2)
    /// The send queue fell below the low mark: raise quality again (`P2P_WATERMARK_LOW`).
    public static let watermarkLow = AVTNotification(rawValue: 4)
    /// The send queue rose above the warn mark: lower the bitrate (`P2P_WATERMARK_WARN`).
    public static let watermarkWarn = AVTNotification(rawValue: 5)
    /// The send queue rose above the high mark: sends are refused (-303) until it drains (`P2P_WATERMARK_HIGH`).
    public static let watermarkHigh = AVTNotification(rawValue: 6)
    /// Ringlet's addition (`IV_AVT_EVENT_FORMAT_MISMATCH`, 100): the stream was declared (`onGetAvEncInfo`,
    /// ``RingletDevice/setSendFormat(_:)``) in an encoding other than the one the call negotiated; frames of
    /// the declared encoding are refused (-308). Fires once per stream; the log says what was negotiated.
    public static let formatMismatch = AVTNotification(rawValue: 100)

    public var description: String {
        switch self {
        case .peerReady: "P2P_PEER_READY"
        case .peerConnectFail: "P2P_PEER_CONNECT_FAIL"
        case .peerError: "P2P_PEER_ERROR"
        case .watermarkLow: "P2P_WATERMARK_LOW"
        case .watermarkWarn: "P2P_WATERMARK_WARN"
        case .watermarkHigh: "P2P_WATERMARK_HIGH"
        case .formatMismatch: "FORMAT_MISMATCH"
        default: "EVENT_\(rawValue)"
        }
    }
}

/// Audio or video (the seed's `iv_avt_stream_type_e` AUDIO 0 / VIDEO 1).
public enum StreamKind: Int, Hashable, Sendable, CustomStringConvertible {
    case audio = 0
    case video = 1

    public var description: String { self == .audio ? "audio" : "video" }
}

/// The seed's `iv_avt_video_res_type_e` of a stream: a video call's stream is `RES_FL` (0), an audio call's
/// `IV_AVT_VIDEO_AUDIO` (4).
public enum VideoResType: Int, Hashable, Sendable {
    case fluent = 0, standard = 1, high = 2, playback = 3, audioOnly = 4
}

/// An audio encoding a device declares (the seed's `iv_cm_aenc_type_e`, plus Opus, which WebRTC peers speak).
public enum AudioEncoding: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case pcm = 0, g711a = 1, g711u = 2, g726 = 3, aac = 4, amr = 5, adpcma = 6
    /// Opus (RFC 7587): not in the seed's enum; Ringlet's value 7.
    case opus = 7

    public var description: String {
        switch self {
        case .pcm: "PCM"
        case .g711a: "G711A"
        case .g711u: "G711U"
        case .g726: "G726"
        case .aac: "AAC"
        case .amr: "AMR"
        case .adpcma: "ADPCMA"
        case .opus: "OPUS"
        }
    }
}

/// A video encoding a device declares (the seed's `iv_cm_venc_type_e`).
public enum VideoEncoding: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case h264 = 0, h265 = 1, mjpeg = 2

    public var description: String {
        switch self {
        case .h264: "H264"
        case .h265: "H265"
        case .mjpeg: "MJPG"
        }
    }
}

/// What the device sends in a call (the seed's `iv_cm_av_data_info_s` as `onGetAvEncInfo` returns it).
/// Frames of another encoding are refused (-308).
public struct SendFormat: Hashable, Sendable {
    /// The audio encoding.
    public var audio: AudioEncoding
    /// The video encoding.
    public var video: VideoEncoding
    /// Video width in pixels (informational).
    public var width: Int
    /// Video height in pixels (informational).
    public var height: Int
    /// Frames per second (informational).
    public var framesPerSecond: Int
    /// Audio sample rate in Hz (informational; G.711 is 8000).
    public var sampleRate: Int

    /// Makes a format.
    public init(audio: AudioEncoding = .g711u, video: VideoEncoding = .h264, width: Int = 640, height: Int = 480,
                framesPerSecond: Int = 15, sampleRate: Int = 8000) {
        self.audio = audio
        self.video = video
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.sampleRate = sampleRate
    }
}

/// What a started stream carries, as negotiated with the peer (offer/answer, RFC 3264): the encodings the device
/// sends — and receives, since WebRTC uses one payload type both ways. The device offers (or answers with) only
/// the encodings it declared (``DeviceConfiguration/audioCodecs``, ``DeviceConfiguration/videoCodecs``); the
/// peer picks among them.
public struct StreamFormat: Hashable, Sendable {
    /// The audio encoding, nil when the peer took no audio.
    public let audio: AudioEncoding?
    /// The video encoding, nil for an audio call or when the peer declined video (a browser without H.264);
    /// the stream's type is then `IV_AVT_VIDEO_AUDIO`.
    public let video: VideoEncoding?

    /// Makes a format.
    public init(audio: AudioEncoding?, video: VideoEncoding?) {
        self.audio = audio
        self.video = video
    }

    /// The audio clock rate in Hz: 8000 for G.711, 48000 for Opus, 0 without audio.
    public var audioSampleRate: Int {
        switch audio {
        case nil: 0
        case .opus?: 48000
        default: 8000
        }
    }

    /// Samples in a 20 ms audio frame at ``audioSampleRate``: 160 for G.711, 960 for Opus.
    public var audioSamplesPerFrame: Int { audioSampleRate / 50 }
}

/// Which stream of which call (the seed's visitor, channel and resolution type).
public struct StreamContext: Hashable, Sendable {
    /// The call (the seed's `roomId`).
    public let callId: String
    /// The peer of this call, numbered per device from 1 (the seed's `visitor`).
    public let visitor: UInt32
    /// The camera channel: always 0 (one camera).
    public let channel: UInt32
    /// The stream type: `RES_FL` for a video call, `IV_AVT_VIDEO_AUDIO` for an audio call — and for a video
    /// call whose peer declined video.
    public let resType: VideoResType
    /// Audio only or audio and video.
    public let kind: CallKind
}

/// How the first frame of a received stream is encoded (what `onStartRecvAudioStream` /
/// `onStartRecvVideoStream` report).
public struct ReceivedStreamInfo: Hashable, Sendable {
    /// Audio or video.
    public let kind: StreamKind
    /// The audio encoding (audio streams).
    public let audio: AudioEncoding?
    /// The video encoding (video streams).
    public let video: VideoEncoding?
    /// The audio clock rate in Hz (audio streams), 0 for video.
    public let sampleRate: Int
    /// Audio samples per frame (audio streams), 0 for video.
    public let samplesPerFrame: Int
}

/// A received frame (what `onRecvStream` delivers).
public struct ReceivedFrame: Hashable, Sendable {
    /// Audio or video.
    public let kind: StreamKind
    /// The encoded frame: an Annex B access unit for video; Opus or G.711 bytes for audio.
    public let data: [UInt8]
    /// Presentation time in milliseconds (0 for the stream's first frame).
    public let ptsMilliseconds: Int64
    /// The frame's number in its stream, from 0.
    public let sequence: Int64
    /// Whether it is a video keyframe.
    public let isKeyframe: Bool
}

/// Direct or through a TURN relay (the seed's `link_mode`: 1 direct, 2 relayed; 0 no path).
public enum LinkMode: Int, Hashable, Sendable, CustomStringConvertible {
    case none = 0, direct = 1, relayed = 2

    public var description: String {
        switch self {
        case .none: "none"
        case .direct: "direct"
        case .relayed: "relayed"
        }
    }
}

/// The send side of the current stream (the seed's `iv_p2p_send_stats_s`, `getSendStreamStatus`).
public struct SendStatus: Hashable, Sendable {
    /// The instantaneous send rate, bytes per second.
    public let instantaneousRate: Int64
    /// The average send rate, bytes per second (acknowledged by the peer's feedback when it sends any).
    public let averageRate: Int64
    /// Bytes the peer acknowledged (transport-wide feedback, else receiver reports).
    public let acknowledgedBytes: Int64
    /// Direct or relayed.
    public let link: LinkMode
    /// Bytes waiting in the pacer queue (what `getSendStreamBuf` reports).
    public let queuedBytes: Int
    /// Video and audio frames sent in this stream.
    public let videoFramesSent: Int
    /// Audio frames sent in this stream.
    public let audioFramesSent: Int
}

/// Why the device is not online (the seed's `iv_sys_offline_status_type_e`).
public enum OfflineStatus: Int, Hashable, Sendable {
    /// The connection was lost; the SDK is reconnecting.
    case reconnecting = 0
    /// Offline and not trying (stopped, or no credentials yet).
    case disconnected = 1
}

/// How a call ended (native API; the facade shows it through the seed's callbacks).
public enum CallEndReason: String, Hashable, Sendable {
    /// The device hung up or cancelled.
    case localHangUp = "local_hang_up"
    /// The device refused or was busy for a user's call.
    case declined
    /// The other party hung up.
    case remoteHangUp = "remote_hang_up"
    /// The user rejected the call.
    case rejected
    /// The user was busy.
    case busy
    /// Nobody answered in time.
    case timeout
    /// The caller cancelled before the device answered.
    case cancelled
    /// The media path was lost (consent expired) or never connected after the answer.
    case mediaLost = "media_lost"
    /// The other party's signaling session vanished.
    case peerGone = "peer_gone"
    /// This device's signaling connection was lost.
    case signalingLost = "signaling_lost"
}

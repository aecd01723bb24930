import NIOCore

/// What `initIvSystem` takes (the seed's `SysInitInfo`), plus where the Ringlet cloud is.
///
/// The SN is `productId_deviceName` (the seed's `ProductId_DeviceName`), or `deviceName` alone when
/// `productId` is empty.
public struct SysInitInfo: Sendable {
    /// The product id.
    public var productId: String
    /// The device name.
    public var deviceName: String
    /// The seed's device secret. Ringlet authenticates with the key pair in the credentials file instead; this is
    /// kept for source compatibility and not used.
    public var deviceKey: String
    /// The seed's region. Not used.
    public var region: String
    /// Ringlet: the cloud service, `http://host:port` or `https://…`.
    public var server: String
    /// Ringlet: the data folder. When given, a registered device goes online at `initIvSystem` (`onOnline`);
    /// otherwise at `initWxCloudVoip`, which names the folder.
    public var dataPath: String?
    /// Ringlet: the event loops the device runs on (nil: a thread of its own). Tests pass loops that live in a
    /// network namespace.
    public var eventLoopGroup: (any EventLoopGroup)?
    /// Ringlet: a PEM file of CA certificates to trust for an `https://` server instead of the system's trust
    /// store (a private CA). Certificates are verified either way.
    public var trustedCAFile: String?
    /// Ringlet: gather relayed candidates only (ICE transport policy `relay`): the device's own addresses never
    /// reach the peer and every call goes through the cloud's TURN, over UDP, TCP or TLS — whichever reaches it.
    public var relayOnly = false
    /// Ringlet: early video (off by default, ``DeviceConfiguration/earlyVideo``): a video call the device places
    /// streams while it rings, so `onGetAvEncInfo` → `onStartRealPlay` come before `CALL_ANSWER`; audio sends are
    /// held back (return 0, not sent) until the answer. The owner must tell visitors (docs/device-sdk.md).
    public var earlyVideo = false

    /// Makes the information (the seed's four fields and Ringlet's server).
    public init(productId: String, deviceName: String, deviceKey: String = "", region: String = "",
                server: String, dataPath: String? = nil) {
        self.productId = productId
        self.deviceName = deviceName
        self.deviceKey = deviceKey
        self.region = region
        self.server = server
        self.dataPath = dataPath
    }

    /// The device's SN.
    public var sn: String { productId.isEmpty ? deviceName : productId + "_" + deviceName }
}

/// The seed's congestion marks (`congestion_ctrl_s`), in bytes.
public struct CongestionCtrlInfo: Sendable, Hashable {
    public var lowMark: Int
    public var warnMark: Int
    public var highMark: Int

    /// Makes marks; all 0 keeps Ringlet's defaults (64 / 128 / 256 KiB).
    public init(lowMark: Int = 0, warnMark: Int = 0, highMark: Int = 0) {
        self.lowMark = lowMark
        self.warnMark = warnMark
        self.highMark = highMark
    }
}

/// What `initIvAvt` takes (the seed's `AvtInitInfo`), plus what the device can send.
public struct AvtInitInfo: Sendable, Hashable {
    /// The congestion marks.
    public var congestion: CongestionCtrlInfo
    /// The largest frame accepted, in KiB (the seed's `max_frame_size`); 0 keeps 512.
    public var maxFrameSizeKB: Int
    /// Ringlet: the audio encodings the device can send (`IV_CM_AENC_TYPE_G711U`, `…_G711A`, `…_OPUS`), in
    /// order of preference. Calls offer only these and answer with the first the peer offered; the peer's choice
    /// comes in `onGetAvEncInfo`'s `negotiated` argument. Default G.711 µ-law only (what
    /// `createDefaultAvDataInfo` declares, and what every WebRTC peer takes).
    public var sendAudioTypes: [Int]
    /// Ringlet: the video encodings the device can send (`IV_CM_VENC_TYPE_H264`). Default H.264.
    public var sendVideoTypes: [Int]

    /// Makes the information.
    public init(congestion: CongestionCtrlInfo = CongestionCtrlInfo(), maxFrameSizeKB: Int = 0,
                sendAudioTypes: [Int] = [IV_CM_AENC_TYPE_G711U], sendVideoTypes: [Int] = [IV_CM_VENC_TYPE_H264]) {
        self.congestion = congestion
        self.maxFrameSizeKB = maxFrameSizeKB
        self.sendAudioTypes = sendAudioTypes
        self.sendVideoTypes = sendVideoTypes
    }

    /// The declared encodings as the native API's, nil when one is not a seed value WebRTC peers carry.
    var sendCodecs: (audio: [AudioEncoding], video: [VideoEncoding])? {
        let audio = sendAudioTypes.compactMap(AudioEncoding.init(rawValue:))
        let video = sendVideoTypes.compactMap(VideoEncoding.init(rawValue:))
        guard audio.count == sendAudioTypes.count, video.count == sendVideoTypes.count,
              (try? DeviceConfiguration.validateCodecs(audio: audio, video: video)) != nil else { return nil }
        return (audio, video)
    }

    /// The seed's default.
    public static func createDefaultAvtInitInfo() -> AvtInitInfo { AvtInitInfo() }
}

/// What the device will send in a stream (the seed's `AvDataInfo`, returned by `onGetAvEncInfo`).
public struct AvDataInfo: Sendable, Hashable {
    /// `IV_CM_AENC_TYPE_*`.
    public var audioType: Int
    /// AAC subtype (AAC only).
    public var audioOption: Int
    /// Channels: 0 mono, 1 stereo.
    public var audioMode: Int
    /// 0: 8 bit, 1: 16 bit.
    public var audioBitWidth: Int
    /// Hz.
    public var audioSampleRate: Int
    /// Samples per frame.
    public var audioSampleNum: Int
    /// `IV_CM_VENC_TYPE_*`.
    public var videoType: Int
    public var videoWidth: Int
    public var videoHeight: Int
    public var videoFrameRate: Int

    /// Makes the information.
    public init(audioType: Int = IV_CM_AENC_TYPE_G711U, audioOption: Int = 0, audioMode: Int = 0, audioBitWidth: Int = 1,
                audioSampleRate: Int = 8000, audioSampleNum: Int = 160, videoType: Int = IV_CM_VENC_TYPE_H264,
                videoWidth: Int = 640, videoHeight: Int = 480, videoFrameRate: Int = 15) {
        self.audioType = audioType
        self.audioOption = audioOption
        self.audioMode = audioMode
        self.audioBitWidth = audioBitWidth
        self.audioSampleRate = audioSampleRate
        self.audioSampleNum = audioSampleNum
        self.videoType = videoType
        self.videoWidth = videoWidth
        self.videoHeight = videoHeight
        self.videoFrameRate = videoFrameRate
    }

    /// G.711 µ-law 8 kHz mono, H.264 640×480 at 15 fps.
    public static func createDefaultAvDataInfo(_ videoResType: Int) -> AvDataInfo { AvDataInfo() }

    /// The information of a stream that negotiated `format` (what `onGetAvEncInfo` receives): its audio
    /// encoding, rate and 20 ms frame size, its video encoding (H.264 when video was declined: the stream type
    /// `IV_AVT_VIDEO_AUDIO` says there is none), 640×480 at 15 fps (the device's own figures).
    init(negotiated format: StreamFormat) {
        self.init()
        if let audio = format.audio {
            audioType = audio.rawValue
            audioSampleRate = format.audioSampleRate
            audioSampleNum = format.audioSamplesPerFrame
        }
        if let video = format.video { videoType = video.rawValue }
    }

    /// The native format; nil when an encoding is not one of the seed's values.
    var sendFormat: SendFormat? {
        guard let audio = AudioEncoding(rawValue: audioType), let video = VideoEncoding(rawValue: videoType) else {
            return nil
        }
        return SendFormat(audio: audio, video: video, width: videoWidth, height: videoHeight,
                          framesPerSecond: videoFrameRate, sampleRate: audioSampleRate)
    }
}

/// The send side of a stream (the seed's `IvP2pSendInfo`).
public struct IvP2pSendInfo: Sendable, Hashable {
    /// Instantaneous send rate, bytes per second.
    public let instNetRate: Int
    /// Average acknowledged rate over the last second, bytes per second.
    public let aveSentRate: Int
    /// Bytes the peer acknowledged.
    public let sumSentAcked: Int
    /// 0 no path, 1 direct, 2 relayed.
    public let linkMode: Int
}

/// What the device wants to send and receive in a VoIP call (the seed's `VoipVideoInfo`). Ringlet negotiates
/// H.264 and the configured audio codecs with the peer; the fields are kept for source compatibility.
public struct VoipVideoInfo: Sendable, Hashable {
    public var sendVEnc: Int
    public var recvVEnc: Int
    public var recvPixel: Int
    public var recvAEnc: Int
    public var recvFps: Int
    public var recvRotate: Int

    public init(sendVEnc: Int = IV_CM_VENC_TYPE_H264, recvVEnc: Int = IV_CM_VENC_TYPE_H264, recvPixel: Int = 0,
                recvAEnc: Int = IV_CM_AENC_TYPE_G711U, recvFps: Int = 15, recvRotate: Int = 1) {
        self.sendVEnc = sendVEnc
        self.recvVEnc = recvVEnc
        self.recvPixel = recvPixel
        self.recvAEnc = recvAEnc
        self.recvFps = recvFps
        self.recvRotate = recvRotate
    }
}

/// The device's activation (the seed's `VoipActivateInfo`): in Ringlet a registered device is active, with no
/// expiry (`expireTime` 0).
public struct VoipActivateInfo: Sendable, Hashable {
    public let modelId: String
    public let deviceId: String
    public let expireTime: Int64
}

import NIOCore
import NIOSSL
import RingletCall
import RingletCore
import RingletEngine
import RingletSDP
import RingletSignaling

/// Everything a ``RingletDevice`` needs; a plain struct with documented defaults, validated once by the
/// device's initializer.
public struct DeviceConfiguration: Sendable {
    /// The cloud service (`ringlet serve`): `http://host:port` or `https://host:port` (signaling then uses
    /// `ws://` / `wss://` on the same address).
    public var server: String
    /// The device's SN: at most 128 bytes of `[A-Za-z0-9_-]`.
    public var sn: String
    /// The folder of the credentials file (created when missing). It must survive power loss.
    public var dataPath: String
    /// The device's model; when set, the credentials must be for it (else `identityMismatch`).
    public var modelId: String?
    /// The app the device belongs to; when set, the credentials and the server must agree (else
    /// `identityMismatch`).
    public var appId: String?
    /// The channel calls ring on (the seed's mini program type). Default release.
    public var channel: CallChannel = .release
    /// The addresses to gather host candidates on; nil: loopback when the server is on loopback, else every
    /// interface that is up (``LocalInterfaces``).
    public var hostAddresses: [IPAddress]?
    /// Which ICE candidates calls may use. Default all (relay: only through TURN).
    public var iceTransportPolicy: PeerConnection.ICETransportPolicy = .all
    /// The send queue's watermarks in bytes (the seed's congestion marks): crossing them raises
    /// `P2P_WATERMARK_*`; above `high` sends are refused (-303). Default 64 / 128 / 256 KiB.
    public var watermarks: (low: Int, warn: Int, high: Int) = (64 << 10, 128 << 10, 256 << 10)
    /// The largest frame accepted for sending (the seed's `max_frame_size`). Default 512 KiB.
    public var maximumFrameSize = 512 << 10
    /// The audio encodings the device can send, in order of preference: its offers list only these, and its
    /// answers pick the first of these the peer offered (RFC 3264 §6.1); the peer's choice arrives with
    /// ``DeviceEvent/streamStarted(_:_:)``. G.711 µ-law (`g711u`), A-law (`g711a`) or Opus. Default µ-law only —
    /// a device never offers what it cannot send, and every WebRTC peer takes µ-law (RFC 7874 §3).
    public var audioCodecs: [AudioEncoding] = [.g711u]
    /// The video encodings the device can send, in order of preference: H.264 (packetization mode 1; what
    /// browsers take) and H.265 (for peers that take it). Default H.264.
    public var videoCodecs: [VideoEncoding] = [.h264]
    /// Early video (off by default): a video call the device places starts its stream while it rings, so the
    /// person sees who is at the door before answering. The stream then starts (`onGetAvEncInfo` →
    /// `onStartRealPlay`) as soon as a ringing page takes the video, before `CALL_ANSWER`; video is sent, audio
    /// is held back until the answer, and nothing from the person arrives before it. With it off, the seed's
    /// order stays: the stream starts after the answer. The device's owner must tell visitors that the camera
    /// is shown before anyone answers (docs/device-sdk.md "Early video").
    public var earlyVideo = false
    /// How long after an answer the media may take to connect before the call is given up. Default 15 s.
    public var mediaConnectTimeout: Duration = .seconds(15)
    /// How long without ICE consent before the media path counts as lost (RFC 7675). Default 3 s, so that a
    /// lost network shows as `onStopRealPlay` within 5 s.
    public var consentLossTimeout: Duration = .seconds(3)
    /// How long the server may take to answer a request (call, query). Default 10 s.
    public var requestTimeout: Duration = .seconds(10)
    /// Reconnection after a lost signaling connection.
    public var backoff = ReconnectBackoff()
    /// WebSocket ping interval (a dead server is noticed within two). Default 10 s.
    public var pingInterval: Duration = .seconds(10)
    /// TLS for `https://` servers (nil: the system's trust roots).
    public var tlsConfiguration: TLSConfiguration?
    /// The event loops to run on; nil: the device makes (and later shuts down) a group of one thread.
    public var eventLoopGroup: (any EventLoopGroup)?

    /// A configuration with the defaults above.
    public init(server: String, sn: String, dataPath: String) {
        self.server = server
        self.sn = sn
        self.dataPath = dataPath
    }

    /// Checks every field.
    /// - Throws: `snTooLong`, `snCharacters`, `modelInvalid`, `invalidArgument`.
    public func validate() throws(DeviceError) {
        try DeviceIdentityRules.validateSN(sn)
        if let modelId { try DeviceIdentityRules.validateModel(modelId) }
        do {
            _ = try HTTPJSONClient.BaseURL(parsing: server)
        } catch {
            throw DeviceError(.invalidArgument, "server: \(error.message)", cause: .client(error))
        }
        guard !dataPath.isEmpty, dataPath.utf8.count <= 4096 else {
            throw DeviceError(.invalidArgument, "dataPath must be a folder path")
        }
        if let appId, appId.isEmpty || appId.utf8.count > 128 {
            throw DeviceError(.invalidArgument, "appId must be 1 to 128 bytes")
        }
        guard watermarks.low >= 0, watermarks.low <= watermarks.warn, watermarks.warn <= watermarks.high,
              watermarks.high > 0 else {
            throw DeviceError(.invalidArgument, "watermarks must be 0 ≤ low ≤ warn ≤ high, high > 0")
        }
        guard maximumFrameSize >= 1024, maximumFrameSize <= 16 << 20 else {
            throw DeviceError(.invalidArgument, "maximumFrameSize must be 1 KiB … 16 MiB")
        }
        try Self.validateCodecs(audio: audioCodecs, video: videoCodecs)
        guard mediaConnectTimeout > .zero, consentLossTimeout >= .seconds(1), requestTimeout > .zero,
              pingInterval >= .seconds(1) else {
            throw DeviceError(.invalidArgument, "timeouts must be positive (consent and ping at least 1 s)")
        }
    }
}

extension DeviceConfiguration {
    /// Checks declared encodings: at least one of each kind, each one WebRTC peers carry, none twice.
    /// - Throws: `invalidArgument` saying which.
    public static func validateCodecs(audio: [AudioEncoding], video: [VideoEncoding]) throws(DeviceError) {
        guard !audio.isEmpty, audio.allSatisfy({ $0.codec != nil }), Set(audio).count == audio.count else {
            throw DeviceError(.invalidArgument,
                              "audio encodings \(audio): give G711U, G711A and/or OPUS, each once (WebRTC peers take no other)")
        }
        guard !video.isEmpty, video.allSatisfy({ $0.codec != nil }), Set(video).count == video.count else {
            throw DeviceError(.invalidArgument, "video encodings \(video): give H264 and/or H265, each once")
        }
    }
}

extension VideoEncoding {
    /// The engine codec that carries this encoding, if Ringlet sends it.
    var codec: RingletCodec? {
        switch self {
        case .h264: .h264
        case .h265: .h265
        case .mjpeg: nil
        }
    }

    init?(_ codec: RingletCodec) {
        switch codec {
        case .h264: self = .h264
        case .h265: self = .h265
        default: return nil
        }
    }
}

extension AudioEncoding {
    /// The engine codec that carries this encoding, if WebRTC peers speak it.
    var codec: RingletCodec? {
        switch self {
        case .g711u: .pcmu
        case .g711a: .pcma
        case .opus: .opus
        default: nil
        }
    }

    init?(_ codec: RingletCodec) {
        switch codec {
        case .pcmu: self = .g711u
        case .pcma: self = .g711a
        case .opus: self = .opus
        case .h264, .h265: return nil
        }
    }
}

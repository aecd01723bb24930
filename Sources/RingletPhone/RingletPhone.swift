import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import RingletCall
import RingletCore
import RingletDTLS
import RingletEngine
import RingletNIO
import RingletSampleMedia
import RingletSDP
import RingletSignaling

/// A headless callee: a user session on `ringlet serve` that speaks the same signaling as the web app
/// (docs/protocol.md) and the same WebRTC as a browser, on Ringlet's engine. It rings, answers, rejects or is
/// busy by policy, calls devices, sends the sample clip and tone as its camera and microphone, counts (and
/// optionally records) what it receives. `ringlet phone` and the device SDK's end-to-end tests use it.
///
/// Thread-safe; events are delivered in order to ``events``.
public final class RingletPhone: Sendable {
    /// What the phone does when a device calls.
    public enum AnswerPolicy: Sendable, Hashable {
        /// Answer after a delay.
        case answer(after: Duration)
        /// Reject after a delay.
        case reject(after: Duration)
        /// Say busy after a delay.
        case busy(after: Duration)
        /// Let it ring (until the device cancels or the ring times out).
        case ignore
    }

    /// Where to connect and how to behave.
    public struct Configuration: Sendable {
        /// The server, `http://host:port` or `https://…` (signaling then uses `wss://`).
        public var server: String
        /// The user's session token (`rlu_…`).
        public var token: String
        /// What to do when a device calls. Default: answer after 200 ms.
        public var answerPolicy: AnswerPolicy = .answer(after: .milliseconds(200))
        /// Whether to send the sample clip and tone once connected. Default true.
        public var sendsMedia = true
        /// Audio codecs in order of preference: what the phone's offers list, and which of a device's offered
        /// codecs its answers pick (the first of these that was offered). Default PCMU, PCMA, Opus.
        public var audioCodecs: [RingletCodec] = [.pcmu, .pcma, .opus]
        /// Video codecs in order of preference; empty: the phone takes no video (its answer declines the
        /// device's video, as a browser without H.264 does). Default H.264.
        public var videoCodecs: [RingletCodec] = [.h264]
        /// Local addresses for host candidates; nil: every interface that is up.
        public var hostAddresses: [IPAddress]?
        /// Which candidates to use.
        public var iceTransportPolicy: PeerConnection.ICETransportPolicy = .all
        /// Folder to write what it receives to (`<callId>.h264`, `<callId>.audio`), nil for none.
        public var recordFolder: String?
        /// Event loops; nil: a group of one thread of its own.
        public var eventLoopGroup: (any EventLoopGroup)?
        /// Reconnection of the signaling session.
        public var backoff = ReconnectBackoff()
        /// TLS for a `https://` server, its `wss://` signaling and `turns:` relays (nil: the system's trust store;
        /// `ClientTLS.configuration(trusting:)` makes one trusting a private CA).
        public var tlsConfiguration: TLSConfiguration?

        /// A configuration with the defaults above.
        public init(server: String, token: String) {
            self.server = server
            self.token = token
        }
    }

    /// Something that happened, in order.
    public enum Event: Sendable {
        /// Authenticated.
        case online(Welcome)
        /// The signaling connection is down.
        case offline
        /// A device is calling.
        case ringing(Ring)
        /// The ring stopped (answered elsewhere, cancelled, timed out).
        case ringStopped(RingStop)
        /// A call outcome or progress from the server.
        case callEvent(CallEventMessage)
        /// The media is connected (DTLS up); whether through a relay.
        case mediaConnected(callId: String, relayed: Bool)
        /// The first frame of a kind arrived.
        case firstFrame(callId: String, video: Bool)
        /// A custom command from the device.
        case command(CustomCommand)
        /// A notice from a device.
        case notice(Notice)
        /// The call is over, with why (`hang_up`, `local`, `media_lost`, `reject`, …).
        case callEnded(callId: String, reason: String)
        /// The server refused something.
        case error(ErrorMessage)
    }

    /// The counters of the current (or last) call.
    public struct Statistics: Sendable, Hashable {
        public var callId: String?
        public var relayed: Bool?
        public var videoSent = 0
        public var audioSent = 0
        public var videoReceived = 0
        public var audioReceived = 0
        public var videoKeyframesReceived = 0
        /// The audio codec the call negotiated (`opus`, `pcmu`, `pcma`), once connected.
        public var audioCodec: String?
        /// Whether the call carries video, once connected.
        public var video: Bool?
        /// The audio codec names (rtpmap, lowercased) in the device's description, in its order.
        public var remoteAudioCodecs: [String] = []
        /// Milliseconds from the answer (or the device's accept) to each milestone.
        public var connectedMs: Int64?
        public var firstVideoMs: Int64?
        public var firstAudioMs: Int64?
        /// Milliseconds from the peer's offer to its end-of-candidates, both as this phone received them (how long
        /// the calling device took to gather: a TURN server that stalls gathering shows here, RFC 8838 §4.3).
        public var peerEndOfCandidatesMs: Int64?
    }

    /// The configuration.
    public let configuration: Configuration
    /// The events (one consumer).
    public let events: AsyncStream<Event>
    let loop: any EventLoop
    let driver: DatagramDriver<MediaPeer>
    private let loops: ClientEventLoops
    private var group: any EventLoopGroup { loops.group }
    private let box: PhoneBox
    private let signaling: NIOLockedValueBox<SignalingClient?>
    private let runState = NIOLockedValueBox<(running: Bool, ended: [CheckedContinuation<Void, Never>])>((false, []))
    private let continuation: AsyncStream<Event>.Continuation
    private let base: HTTPJSONClient.BaseURL
    private let logger: Logger

    /// Makes a phone (its DTLS certificate is made here, once).
    /// - Throws: `CallClientError.invalidURL` for a bad server URL; a `DTLSError` if no certificate can be made.
    public init(configuration: Configuration, logger: Logger = Logger(label: "ringlet.phone")) throws {
        self.configuration = configuration
        self.logger = logger
        base = try HTTPJSONClient.BaseURL(parsing: configuration.server)
        var rng = SystemRandomNumberGenerator()
        let certificate = try DTLSCertificate(unixTime: Int64(Date().timeIntervalSince1970), using: &rng)
        let clip = configuration.sendsMedia ? try SampleClip.bundled() : nil
        loops = ClientEventLoops(configuration.eventLoopGroup)
        loop = loops.group.next()
        driver = DatagramDriver<MediaPeer>(eventLoop: loop)
        (events, continuation) = AsyncStream<Event>.makeStream()
        let signaling = NIOLockedValueBox<SignalingClient?>(nil)
        self.signaling = signaling
        let continuation = self.continuation
        let ntp = DatagramDriver<MediaPeer>.ntpOffset()
        box = PhoneBox(PhoneRuntime(
            configuration: configuration, driver: driver, certificate: certificate, clip: clip, ntpOffset: ntp,
            logger: logger, emit: { continuation.yield($0) },
            send: { message in signaling.withLockedValue { $0 }?.send(message) ?? false }))
    }

    /// Keeps the signaling session up until ``stop()`` or cancellation.
    public func run() async {
        runState.withLockedValue { $0.running = true }
        defer {
            let waiters = runState.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
                s.running = false
                defer { s.ended = [] }
                return s.ended
            }
            for w in waiters { w.resume() }
        }
        var c = SignalingClient.Configuration(url: base.webSocketURL("/v1/signal/user"), eventLoopGroup: group)
        c.backoff = configuration.backoff
        c.tlsConfiguration = configuration.tlsConfiguration
        let token = configuration.token
        let box = self.box
        let loop = self.loop
        let client = SignalingClient(
            configuration: c, logger: logger,
            authenticate: { auth in
                try await auth.send(.authUser(AuthUser(token: token)))
                return try await auth.expectWelcome()
            },
            onState: { state in
                switch state {
                case .online(let w):
                    let ice = ICEServerSet(w.iceServers)
                    loop.execute { box.runtime.online(w, ice: ice) }
                case .offline:
                    loop.execute { box.runtime.offline() }
                case .connecting:
                    break
                }
            },
            onMessage: { message in
                let ice: ICEServerSet? = switch message {
                case .ring(let r): ICEServerSet(r.iceServers)
                case .callResult(let r): r.iceServers.map { ICEServerSet($0) }
                default: nil
                }
                loop.execute { box.runtime.handle(message, ice: ice) }
            })
        signaling.withLockedValue { $0 = client }
        await withTaskCancellationHandler {
            await client.run()
        } onCancel: {
            Task { await client.stop() }
        }
    }

    /// Hangs up, closes the session and the sockets; ``run()`` returns.
    public func stop() async {
        _ = try? await loop.submit { [box] in box.runtime.hangUp() }.get()
        try? await Task.sleep(for: .milliseconds(100))
        await signaling.withLockedValue { $0 }?.stop()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let running = runState.withLockedValue { s -> Bool in
                if s.running { s.ended.append(c) }
                return s.running
            }
            if !running { c.resume() }
        }
        try? await driver.shutdown().get()
        await loops.shutdown()
        continuation.finish()
    }

    /// Calls a device; returns the server's `call_result` (code 0: the device was notified).
    public func callDevice(sn: String, kind: CallKind = .video) async -> CallResult {
        await withCheckedContinuation { c in
            loop.execute { [box] in box.runtime.callDevice(sn: sn, kind: kind) { c.resume(returning: $0) } }
        }
    }

    /// Answers the ringing call `callId`.
    public func answer(callId: String) async {
        try? await loop.submit { [box] in box.runtime.answer(callId: callId) }.get()
    }

    /// Rejects (or says busy for) the ringing call `callId`.
    public func decline(callId: String, busy: Bool = false) async {
        try? await loop.submit { [box] in box.runtime.decline(callId: callId, busy: busy) }.get()
    }

    /// Hangs up (or cancels) the current call.
    public func hangUp() async {
        try? await loop.submit { [box] in box.runtime.hangUp() }.get()
    }

    /// Sends a custom command to the device of the current call (its `USR_DATA`).
    public func sendCommand(_ text: String) async {
        try? await loop.submit { [box] in box.runtime.sendCommand(text) }.get()
    }

    /// Tells the device of the current call the camera and microphone state (its `CALL_AV_*`).
    public func sendAVState(camera: Bool, microphone: Bool) async {
        try? await loop.submit { [box] in box.runtime.sendAVState(camera: camera, microphone: microphone) }.get()
    }

    /// Asks the device of the current call for a keyframe (a PLI; the device sees `REQ_IFRAME`).
    public func requestKeyframe() async {
        try? await loop.submit { [box] in box.runtime.requestKeyframe() }.get()
    }

    /// The counters of the current or last call.
    public func statistics() async -> Statistics {
        (try? await loop.submit { [box] in box.runtime.stats }.get()) ?? Statistics()
    }
}

/// The runtime, handed between threads but only touched on its loop.
final class PhoneBox: @unchecked Sendable {
    // @unchecked Sendable: `runtime` is a `let`, used only inside tasks on the phone's loop.
    let runtime: PhoneRuntime
    init(_ runtime: PhoneRuntime) { self.runtime = runtime }
}

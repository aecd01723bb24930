import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RingletCall
import RingletCore
import RingletDTLS
import RingletEngine
import RingletNIO
import RingletSignaling

/// A Ringlet device: its identity and credentials, its signaling session to `ringlet serve`, and one call at a
/// time over WebRTC (DESIGN.md "Device SDK", docs/device-sdk.md). The native API: async/await, typed errors,
/// events as an `AsyncSequence`. The seed-compatible facade (`VideoNativeInterface`) is built on it.
///
/// Lifecycle: make it, ``register(ticket:)`` once (the credentials file then holds the device key and DTLS
/// certificate), ``run()`` it (it connects, reconnects with backoff, and returns after ``stop()`` or when its
/// task is cancelled), place or answer calls, send frames once ``DeviceEvent/streamStarted(_:_:)`` arrives.
///
/// Thread-safe. Its state lives in one runtime on one event loop (``DeviceRuntime``): methods hand work to the
/// loop and never wait for it on the caller's thread; what needs an immediate answer (``isBusy``,
/// ``currentStream``, ``sendStatus()``, the checks of a frame send) reads what the loop last published. Frames
/// go into a bounded queue the loop drains. Events are delivered in order, off the media loop: to ``events``, or
/// to the handler given at creation (called on one serial queue). Read them: ``events`` keeps what is not read
/// (received frames too).
public final class RingletDevice: Sendable {
    /// The validated configuration.
    public let configuration: DeviceConfiguration
    /// The events, when no handler was given at creation (one consumer).
    public let events: AsyncStream<DeviceEvent>

    let loop: any EventLoop
    let driver: DatagramDriver<MediaPeer>
    let logger: Logger
    private let loops: ClientEventLoops
    let eventLoopGroup: any EventLoopGroup
    let box: RuntimeBox
    /// What the loop published, and the frames handed to it.
    let gate: SendGate
    private let continuation: AsyncStream<DeviceEvent>.Continuation
    let credentialsFile: CredentialsFile
    let base: HTTPJSONClient.BaseURL

    /// Makes a device from `configuration`, loading its credentials file when there is one.
    /// - Parameters:
    ///   - logger: the SDK's logger (it logs at info and below; secrets and peer addresses are not logged).
    ///   - eventHandler: when given, every event goes to it (on one serial queue) instead of ``events``.
    /// - Throws: what ``DeviceConfiguration/validate()`` throws; `identityMismatch` when the credentials file is
    ///   for another SN, model or app; `credentialsCorrupt` when it does not parse; `storageFailed`.
    public init(configuration: DeviceConfiguration, logger: Logger = Logger(label: "ringlet.device"),
                eventHandler: (@Sendable (DeviceEvent) -> Void)? = nil) throws(DeviceError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        do {
            base = try HTTPJSONClient.BaseURL(parsing: configuration.server)
        } catch {
            throw DeviceError(.invalidArgument, error.message, cause: .client(error))
        }
        credentialsFile = CredentialsFile(folder: configuration.dataPath)
        var credentials = try credentialsFile.read()
        var certificate: DTLSCertificate?
        if var c = credentials {
            try Self.checkIdentity(c, configuration)
            var cert = try c.certificate()
            _ = try c.key()
            let now = Int64(Date().timeIntervalSince1970)
            if let notAfter = cert.notAfter, notAfter < now + 7 * 86_400 {
                cert = try Self.makeCertificate()
                c.dtlsCertificate = cert.pem.value
                c.generation += 1
                try credentialsFile.write(c)
                credentials = c
            }
            certificate = cert
        }
        let (stream, continuation) = AsyncStream<DeviceEvent>.makeStream()
        self.continuation = continuation
        if eventHandler != nil {
            continuation.finish()
            events = AsyncStream { $0.finish() }
        } else {
            events = stream
        }
        loops = ClientEventLoops(configuration.eventLoopGroup)
        eventLoopGroup = loops.group
        loop = eventLoopGroup.next()
        driver = DatagramDriver<MediaPeer>(eventLoop: loop)
        let emit: @Sendable (DeviceEvent) -> Void
        if let eventHandler {
            let queue = DispatchQueue(label: "ringlet.device.events")
            emit = { event in queue.async { eventHandler(event) } }
        } else {
            emit = { [continuation] in continuation.yield($0) }
        }
        gate = SendGate(highMark: configuration.watermarks.high, maximumFrameSize: configuration.maximumFrameSize)
        let ntp = DatagramDriver<MediaPeer>.ntpOffset()
        box = RuntimeBox(DeviceRuntime(
            loop: loop, configuration: configuration, driver: driver, logger: logger, credentials: credentials,
            certificate: certificate, ntpOffset: ntp, gate: gate, emitEvent: emit))
    }

    /// Deletes the credentials file in `dataPath` (to re-bind a device to another SN, model or app).
    public static func resetCredentials(dataPath: String) {
        CredentialsFile(folder: dataPath).remove()
    }

    // MARK: Running

    /// Keeps the signaling session up — connects (after registration, if the device is not registered yet),
    /// reconnects with backoff — until ``stop()`` or cancellation.
    public func run() async {
        guard await onLoop({ $0.beginRun() }) else { return }
        let registered = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            self.loop.execute { [box = self.box] in box.runtime.waitForCredentials(c) }
        }
        guard registered, let credentials = self.credentials else {
            await onLoop { $0.endRun() }
            return
        }
        let key: DeviceKey
        do {
            key = try credentials.key()
        } catch {
            logger.error("the device key does not load", metadata: ["error": "\(error)"])
            await onLoop { $0.endRun() }
            return
        }
        var c = SignalingClient.Configuration(url: base.webSocketURL("/v1/signal/device"), eventLoopGroup: eventLoopGroup)
        c.tlsConfiguration = configuration.tlsConfiguration
        c.backoff = configuration.backoff
        c.pingInterval = configuration.pingInterval
        let sn = configuration.sn
        let expectedApp = configuration.appId
        let box = self.box
        let loop = self.loop
        let client = SignalingClient(
            configuration: c, logger: logger,
            authenticate: { auth in
                guard case .challenge(let challenge) = try await auth.next(),
                      let nonce = Base64URL.decode(challenge.nonce) else {
                    throw CallClientError(.badResponse, "no challenge from the server")
                }
                let signature = try key.signChallenge(nonce: nonce)
                try await auth.send(.authDevice(AuthDevice(sn: sn, signature: Base64URL.encode(signature))))
                let welcome = try await auth.expectWelcome()
                if let expectedApp, welcome.appId != expectedApp {
                    throw CallClientError(.authenticationFailed, "the server puts the device in another app")
                }
                return welcome
            },
            onState: { state in
                switch state {
                case .online(let welcome):
                    let ice = ICEServerSet(welcome.iceServers)
                    loop.execute { box.runtime.signalingOnline(welcome, iceServers: ice) }
                case .offline(_, let retryIn):
                    loop.execute { box.runtime.signalingOffline(retrying: retryIn != nil) }
                case .connecting:
                    break
                }
            },
            onMessage: { message in
                let ice: ICEServerSet? = switch message {
                case .callResult(let r): r.iceServers.map { ICEServerSet($0) }
                case .joinNotify(let j): ICEServerSet(j.iceServers)
                default: nil
                }
                loop.execute { box.runtime.handle(message, iceServers: ice) }
            })
        let stoppedMeanwhile = await onLoop { runtime -> Bool in
            runtime.signaling = client
            return runtime.stopped
        }
        if !stoppedMeanwhile {
            await withTaskCancellationHandler {
                await client.run()
            } onCancel: {
                Task { await client.stop() }
            }
        }
        await onLoop { runtime in
            runtime.signaling = nil
            runtime.endRun()
        }
    }

    /// Whether the signaling session is authenticated.
    public var isOnline: Bool { gate.snapshot.online }

    /// Ends any call (hang-up), closes the signaling session and the media sockets; ``run()`` returns. Events
    /// end. Idempotent.
    public func stop() async {
        let (first, signaling) = await onLoop { $0.stop() }
        guard first else { return }
        try? await Task.sleep(for: .milliseconds(100))  // the hang-up and the media close leave first
        await signaling?.stop()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            loop.execute { [box] in box.runtime.waitForRunEnd(c) }
        }
        try? await driver.shutdown().get()
        await loops.shutdown()
        continuation.finish()
    }

    // MARK: Calls

    /// Calls a user (the seed's `doWxCloudVoipCall`): returns the call id once the server rang the user's open
    /// sessions — not when they answer (``DeviceEvent/command(_:_:args:)`` `CALL_ANSWER` then).
    /// - Throws: `offline`, `busy`, `refused` with the server's seed code (-7, -9, -12, -15, -17, -19, -20,
    ///   -303, -308, -1001), `timeout`, `invalidArgument` (empty or over-long openId).
    /// - Parameter channel: the channel to ring on; nil: the configuration's.
    public func call(openId: String, kind: CallKind = .video, callerCamera: Bool = true,
                     calleeCamera: Bool = true, channel: CallChannel? = nil) async throws(DeviceError) -> String {
        guard !openId.isEmpty, openId.utf8.count <= 80 else {
            throw DeviceError(.invalidArgument, "the openId must be 1 to 80 bytes")
        }
        let result: Result<String, DeviceError> = await withCheckedContinuation { c in
            loop.execute { [box] in
                box.runtime.placeCall(openId: openId, kind: kind, callerCamera: callerCamera,
                                      calleeCamera: calleeCamera, channel: channel) { c.resume(returning: $0) }
            }
        }
        return try result.get()
    }

    /// Ends the current call: cancels it while it rings, refuses a user's call that waits, hangs up otherwise.
    /// - Throws: `noCall`.
    public func hangUp() async throws(DeviceError) {
        try await onLoop { runtime throws(DeviceError) in try runtime.hangUp() }
    }

    /// Answers a user's call (``DeviceEvent/joinRequested(callId:openId:kind:)``): accept, busy or refuse.
    /// - Throws: `unknownCall` (not the waiting call), `offline`.
    public func join(callId: String, answer: JoinAnswer) async throws(DeviceError) {
        try await onLoop { runtime throws(DeviceError) in try runtime.join(callId: callId, answer: answer) }
    }

    /// Whether a call is placing, ringing or in progress (the seed's `isWxCloudVoipBusy`).
    public var isBusy: Bool { gate.snapshot.busy }

    /// The current stream, from ``DeviceEvent/streamStarted(_:_:)`` until it stops (or the app finished it).
    public var currentStream: StreamContext? { gate.stream }

    /// What the current stream negotiated.
    public var currentFormat: StreamFormat? { gate.stream == nil ? nil : gate.snapshot.format }

    // MARK: Media

    /// Changes the send queue's watermarks and the largest frame accepted (nil keeps the current value); they
    /// apply from the next call.
    public func setMediaLimits(watermarks: (low: Int, warn: Int, high: Int)?, maximumFrameSize: Int?) {
        let marks = watermarks.map { [$0.low, $0.warn, $0.high] }
        loop.execute { [box, gate] in
            let runtime = box.runtime
            if let m = marks { runtime.watermarks = (m[0], m[1], m[2]) }
            if let maximumFrameSize { runtime.maximumFrameSize = maximumFrameSize }
            let (high, largest) = (runtime.watermarks.high, runtime.maximumFrameSize)
            gate.publish {
                $0.highMark = high
                $0.maximumFrameSize = largest
            }
        }
    }

    /// Declares what the device sends in the current stream (the seed's `onGetAvEncInfo` answer). Not needed
    /// with the native API: a stream sends what ``DeviceEvent/streamStarted(_:_:)`` says was negotiated. A
    /// format other than that one makes frames of it refused (`formatMismatch`) and fires
    /// ``AVTNotification/formatMismatch`` once.
    public func setSendFormat(_ format: SendFormat) {
        guard let (epoch, mismatch) = gate.declare(format), mismatch else { return }
        loop.execute { [box] in box.runtime.declaredMismatch(format, epoch: epoch) }
    }

    /// Declares the encodings the device can send, for the calls placed or answered from now on (the
    /// configuration's ``DeviceConfiguration/audioCodecs`` and ``DeviceConfiguration/videoCodecs``).
    /// - Throws: `invalidArgument` for encodings WebRTC peers do not carry (see
    ///   ``DeviceConfiguration/validateCodecs(audio:video:)``).
    public func setCodecs(audio: [AudioEncoding], video: [VideoEncoding]) throws(DeviceError) {
        try DeviceConfiguration.validateCodecs(audio: audio, video: video)
        loop.execute { [box] in
            box.runtime.audioCodecs = audio
            box.runtime.videoCodecs = video
        }
    }

    /// Sends one video frame (an H.264 access unit in Annex B, PTS in milliseconds) of the current stream: it is
    /// checked and queued at once; the device's loop sends it.
    /// - Throws: `noStream` (-305), `frameTooLarge` (-304), `needKeyframe` (-306, the first frame must be an
    ///   IDR), `formatMismatch` (-308), `unsupportedProfile` (-313: an H.264 profile other than Constrained
    ///   Baseline, e.g. High — logged once per stream with what to change), `sendBufferFull` (-303),
    ///   `invalidFrame`.
    public func sendVideo(_ frame: [UInt8], ptsMilliseconds: Int64, isKeyframe: Bool) throws(DeviceError) {
        try send(.video, frame, ptsMilliseconds: ptsMilliseconds, isKeyframe: isKeyframe)
    }

    /// Sends one audio frame (G.711 samples or an Opus packet, as negotiated) of the current stream.
    /// - Throws: as ``sendVideo(_:ptsMilliseconds:isKeyframe:)``.
    public func sendAudio(_ frame: [UInt8], ptsMilliseconds: Int64) throws(DeviceError) {
        try send(.audio, frame, ptsMilliseconds: ptsMilliseconds, isKeyframe: false)
    }

    private func send(_ kind: StreamKind, _ frame: [UInt8], ptsMilliseconds: Int64, isKeyframe: Bool) throws(DeviceError) {
        do {
            if try gate.admit(kind, data: frame, ptsMilliseconds: ptsMilliseconds, isKeyframe: isKeyframe) {
                loop.execute { [box] in box.runtime.drainSendQueue() }
            }
        } catch {
            if error.code == .unsupportedProfile, gate.firstProfileRefusal() { logger.error("\(error.message)") }
            throw error
        }
    }

    /// Ends the device's send stream (the seed's `sendFinishStream`); the call goes on.
    /// - Throws: `noStream`.
    public func finishStream() throws(DeviceError) {
        let epoch = try gate.finish()
        loop.execute { [box] in
            let runtime = box.runtime
            guard runtime.streamEpoch == epoch else { return }
            try? runtime.machine.finishStream()
            runtime.publish()
        }
    }

    /// The send side of the current stream, nil without one (the seed's `getSendStreamStatus`), as the device's
    /// loop last published it (every 200 ms).
    public func sendStatus() -> SendStatus? {
        gate.stream == nil ? nil : gate.snapshot.sendStatus
    }

    /// The `command` name of a reply to the peer's custom data (`USR_DATA`): the web app shows it as the device's
    /// acknowledgement of its custom button ("Open door").
    public static let userDataReplyName = "usr_data_reply"

    /// Sends custom data to the peer of the current call (it arrives as a `command`); a reply to the peer's
    /// `USR_DATA` is sent with `name` ``userDataReplyName``.
    /// - Throws: `noCall` when no call is answered; `offline`.
    public func sendUserData(_ text: String, name: String = "usr_data") throws(DeviceError) {
        let snapshot = gate.snapshot
        guard let id = snapshot.activeCallId else { throw DeviceError(.noCall, "no call is answered") }
        guard snapshot.online else { throw DeviceError(.offline, "not connected to the server") }
        loop.execute { [box] in _ = box.runtime.sendSignal(.command(CustomCommand(callId: id, name: name, data: text))) }
    }

    // MARK: Notices and users

    /// Sends a notice to every user who authorized the device (the seed's `sendMsgNotice`); returns once the
    /// server stored it.
    /// - Throws: `offline`, `timeout`, `invalidArgument` (text over 1 KiB).
    public func sendNotice(kind: Int, text: String) async throws(DeviceError) {
        guard text.utf8.count <= 1024 else { throw DeviceError(.invalidArgument, "the notice text is over 1 KiB") }
        _ = try await requestOnLoop { id in .notice(NoticeRequest(requestId: id, kind: kind, text: text)) }
    }

    /// The users who authorized the device (the seed's `getVoipUserListV2`).
    /// - Throws: `offline`, `timeout`.
    public func authorizedUsers() async throws(DeviceError) -> [AuthorizedUser] {
        let answer = try await requestOnLoop { id in .authorizedUsers(RequestReference(requestId: id)) }
        guard case .authorizedUsers(let list) = answer else {
            throw DeviceError(.serverError, "unexpected answer \(answer.type)")
        }
        return list.users
    }

    // MARK: Loop hops

    private func requestOnLoop(_ make: @escaping @Sendable (String) -> ClientMessage) async throws(DeviceError)
        -> ServerMessage
    {
        let result: Result<ServerMessage, DeviceError> = await withCheckedContinuation { c in
            loop.execute { [box] in
                let runtime = box.runtime
                let id = runtime.requestId()
                runtime.request(make(id), id: id) { c.resume(returning: $0) }
            }
        }
        return try result.get()
    }

    func onLoop<R: Sendable>(_ body: @escaping @Sendable (DeviceRuntime) throws(DeviceError) -> R)
        async throws(DeviceError) -> R
    {
        let result: Result<R, DeviceError> = await withCheckedContinuation { c in
            loop.execute { [box] in
                do throws(DeviceError) {
                    c.resume(returning: .success(try body(box.runtime)))
                } catch {
                    c.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    func onLoop<R: Sendable>(_ body: @escaping @Sendable (DeviceRuntime) -> R) async -> R {
        await withCheckedContinuation { c in
            loop.execute { [box] in c.resume(returning: body(box.runtime)) }
        }
    }
}

/// The runtime, handed between threads but only touched on its loop.
final class RuntimeBox: @unchecked Sendable {
    // @unchecked Sendable: `runtime` is read on any thread (a `let`) but used only inside tasks on its loop.
    let runtime: DeviceRuntime
    init(_ runtime: DeviceRuntime) { self.runtime = runtime }
}

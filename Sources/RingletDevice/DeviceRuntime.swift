import Logging
import NIOCore
import RingletCall
import RingletCore
import RingletDTLS
import RingletEngine
import RingletNIO
import RingletSignaling

/// The device's state and its reactions, confined to one event loop (the media driver's): the credentials, the
/// signaling session and its state, the call machine, the current call's media session, pending requests, the
/// run and stop bookkeeping. It is the only mutable state of a device: ``RingletDevice`` reaches it with
/// `loop.execute`, signaling messages and engine events arrive on the loop, and what other threads need at once
/// is published to the ``SendGate`` after each change.
///
/// Media sessions are touched only from tasks of their own (`loop.execute`), never from inside an engine event
/// (the driver is then inside the machine).
final class DeviceRuntime {
    let loop: any EventLoop
    let configuration: DeviceConfiguration
    let driver: DatagramDriver<MediaPeer>
    let logger: Logger
    let emitEvent: @Sendable (DeviceEvent) -> Void
    let gate: SendGate
    let ntpOffset: Duration

    var credentials: DeviceCredentials?
    var certificate: DTLSCertificate?
    var machine: DeviceCallMachine
    var online = false
    var connectFailureReported = false
    var stopped = false

    /// The signaling session while ``RingletDevice/run()`` runs, and who waits on the run.
    var signaling: SignalingClient?
    var running = false
    var registrationWaiters: [CheckedContinuation<Bool, Never>] = []
    var runEnded: [CheckedContinuation<Void, Never>] = []

    /// The current call's media.
    var media: CallMediaSlot?
    /// The ICE servers of the call being set up (resolved off the loop), and the welcome's.
    var resolvedICE: (callId: String, set: ICEServerSet)?
    var welcomeICE: ICEServerSet?
    /// The encodings offered (or answered with), in order of preference.
    var audioCodecs: [AudioEncoding]
    var videoCodecs: [VideoEncoding]
    /// The stream's epoch (``SendGate``) and whether its declared format was found not to be the negotiated one.
    var streamEpoch: UInt64 = 0
    var mismatchReported = false
    var watermarks: (low: Int, warn: Int, high: Int)
    var maximumFrameSize: Int
    var videoFramesSent = 0
    var audioFramesSent = 0
    var framesDropped = 0
    var statusTimer: Scheduled<Void>?

    struct Pending {
        let complete: (Result<ServerMessage, DeviceError>) -> Void
        let timer: Scheduled<Void>
    }
    var pending: [String: Pending] = [:]
    var placeCompletions: [String: (Result<String, DeviceError>) -> Void] = [:]
    var nextRequest = 0
    var machineTimer: Scheduled<Void>?
    var machineTimerDeadline: Instant?

    init(loop: any EventLoop, configuration: DeviceConfiguration, driver: DatagramDriver<MediaPeer>, logger: Logger,
         credentials: DeviceCredentials?, certificate: DTLSCertificate?, ntpOffset: Duration, gate: SendGate,
         emitEvent: @escaping @Sendable (DeviceEvent) -> Void) {
        self.loop = loop
        self.configuration = configuration
        self.driver = driver
        self.logger = logger
        self.credentials = credentials
        self.certificate = certificate
        self.ntpOffset = ntpOffset
        self.gate = gate
        self.emitEvent = emitEvent
        self.machine = DeviceCallMachine(mediaConnectTimeout: configuration.mediaConnectTimeout,
                                         earlyVideo: configuration.earlyVideo)
        self.audioCodecs = configuration.audioCodecs
        self.videoCodecs = configuration.videoCodecs
        self.watermarks = configuration.watermarks
        self.maximumFrameSize = configuration.maximumFrameSize
        gate.publish { $0.credentials = credentials }
    }

    /// Sends a signaling message; false when offline.
    func sendSignal(_ message: ClientMessage) -> Bool {
        signaling?.send(message) ?? false
    }

    /// Publishes what the call machine and the signaling say now (after every step).
    func publish() {
        let ctx = machine.streamContext
        let call = machine.call
        let active = call.flatMap { $0.phase == .active ? $0.id : nil }
        let busy = machine.isBusy
        let online = self.online
        let early = machine.isEarlyStreaming
        gate.publish { s in
            s.online = online
            s.busy = busy
            s.earlyStreaming = early
            s.activeCallId = active
            if s.stream?.callId != ctx?.callId || (s.stream == nil) != (ctx == nil) {
                s.stream = ctx
                s.format = ctx == nil ? nil : call?.format
                if ctx != nil { s.streamEpoch &+= 1 }
                s.sendStatus = nil
                s.aboveHighMark = false
            } else if let ctx {
                s.stream = ctx
            }
        }
        streamEpoch = gate.snapshot.streamEpoch
    }

    var now: Instant { DatagramDriver<MediaPeer>.now() }

    /// The server's host (decides loopback host candidates for a local server).
    var serverHost: String { (try? HTTPJSONClient.BaseURL(parsing: configuration.server).host) ?? "" }

    func requestId() -> String {
        nextRequest += 1
        return "d\(nextRequest)"
    }

    // MARK: Signaling state

    func signalingOnline(_ w: Welcome, iceServers: ICEServerSet) {
        welcomeICE = iceServers
        online = true
        connectFailureReported = false
        publish()
        emitEvent(.online(serverTime: w.serverTime))
        emitEvent(.notification(.peerReady, nil))
    }

    func signalingOffline(retrying: Bool) {
        let wasOnline = online
        online = false
        publish()
        failAllPending(DeviceError(.offline, "the signaling connection was lost"))
        if wasOnline {
            machine.signalingLost()
            drainMachine()
            emitEvent(.offline(retrying ? .reconnecting : .disconnected))
        } else if retrying, !connectFailureReported {
            connectFailureReported = true
            emitEvent(.notification(.peerConnectFail, nil))
        }
    }

    // MARK: Server messages

    func handle(_ message: ServerMessage, iceServers resolved: ICEServerSet?) {
        switch message {
        case .callResult(let r):
            if let resolved, let id = r.callId { stashICEServers(resolved, for: id) }
            machine.callResult(r)
        case .joinNotify(let j):
            if let resolved { stashICEServers(resolved, for: j.callId) }
            machine.joinNotify(j)
        case .callEvent(let e):
            machine.callEvent(e, now: now)
        case .command(let c):
            machine.command(c)
        case .avState(let s):
            machine.avState(s)
        case .sdp(let s):
            routeToMedia(message, callId: s.callId)
        case .candidate(let c):
            routeToMedia(message, callId: c.callId)
        case .authorization(let a):
            emitEvent(.authorizationChanged(openId: a.openId, authorized: a.status == .authorized))
        case .authorizedUsers(let u):
            if let id = u.requestId { complete(id, .success(message)) }
        case .ack(let a):
            if let id = a.requestId { complete(id, .success(message)) }
        case .error(let e):
            handleError(e)
        case .welcome, .challenge, .ring, .ringStop, .notice, .ping, .pong:
            break
        }
        drainMachine()
    }

    private func handleError(_ e: ErrorMessage) {
        let error = DeviceError(e.seedCode == .busy ? .busy : (e.seedCode != nil ? .refused : .serverError),
                                seedCode: e.seedCode, e.message, cause: .server(e))
        guard let id = e.requestId else {
            logger.debug("signaling error", metadata: ["code": "\(e.code.rawValue)"])
            return
        }
        if placeCompletions[id] != nil {
            machine.placeFailed(requestId: id, error)
        } else {
            complete(id, .failure(error))
        }
    }

    // MARK: Requests with answers

    /// Sends `message` (which carries `requestId`) and completes with the server's answer or a timeout.
    func request(_ message: ClientMessage, id: String, complete: @escaping (Result<ServerMessage, DeviceError>) -> Void) {
        guard online, sendSignal(message) else {
            complete(.failure(DeviceError(.offline, "not connected to the server")))
            return
        }
        let timeout = configuration.requestTimeout
        let timer = loop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self else { return }
            self.complete(id, .failure(DeviceError(.timeout, "no answer from the server within \(timeout)")))
        }
        pending[id] = Pending(complete: complete, timer: timer)
    }

    func complete(_ id: String, _ result: Result<ServerMessage, DeviceError>) {
        guard let p = pending.removeValue(forKey: id) else { return }
        p.timer.cancel()
        p.complete(result)
    }

    private func failAllPending(_ error: DeviceError) {
        for id in Array(pending.keys) { complete(id, .failure(error)) }
    }

    // MARK: Calls

    func placeCall(openId: String, kind: CallKind, callerCamera: Bool, calleeCamera: Bool, channel: CallChannel?,
                   completion: @escaping (Result<String, DeviceError>) -> Void) {
        guard !stopped else { return completion(.failure(DeviceError(.stopped, "the device is stopped"))) }
        guard online else { return completion(.failure(DeviceError(.offline, "not connected to the server"))) }
        let id = requestId()
        let request = CallRequest(requestId: id, openId: openId, kind: kind, channel: channel ?? configuration.channel,
                                  callerCamera: callerCamera, calleeCamera: calleeCamera,
                                  earlyMedia: configuration.earlyVideo && kind == .video ? true : nil)
        do {
            try machine.place(request)
        } catch {
            return completion(.failure(error))
        }
        placeCompletions[id] = completion
        let timeout = configuration.requestTimeout
        let timer = loop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self else { return }
            self.machine.placeFailed(requestId: id, DeviceError(.timeout, "no call_result within \(timeout)"))
            self.drainMachine()
        }
        pending[id] = Pending(complete: { _ in }, timer: timer)
        drainMachine()
    }

    func hangUp() throws(DeviceError) {
        try machine.hangUp()
        drainMachine()
    }

    func join(callId: String, answer: JoinAnswer) throws(DeviceError) {
        guard online else { throw DeviceError(.offline, "not connected to the server") }
        try machine.join(callId: callId, answer: answer, now: now)
        drainMachine()
    }

    // MARK: The machine's outputs

    func drainMachine() {
        while let output = machine.pollOutput() {
            switch output {
            case .send(let m):
                if !sendSignal(m) { logger.debug("signaling message dropped (offline)", metadata: ["type": "\(m.type)"]) }
            case .startMedia(let callId, let offer):
                startMedia(callId: callId, offer: offer)
            case .stopMedia(let callId):
                stopMedia(callId: callId)
            case .requestKeyframe(let callId):
                loop.assumeIsolated().execute { [weak self] in
                    guard let self else { return }
                    guard let slot = media, slot.callId == callId, !slot.isClosed, let session = slot.session else { return }
                    try? session.run { pc, now in pc.requestKeyframe(now: now) }
                }
            case .event(let e):
                // What the application reads at once (the stream, busy) is published before it hears of it.
                publish()
                if case .streamStarted = e { streamStarted() }
                emitEvent(e)
            case .placed(let requestId, let result):
                if let p = pending.removeValue(forKey: requestId) { p.timer.cancel() }
                placeCompletions.removeValue(forKey: requestId)?(result)
            }
        }
        armMachineTimer()
    }

    /// The machine's state reached the threads that call the device (at the end of every step).
    private func armMachineTimer() {
        publish()
        let deadline = machine.nextDeadline()
        guard deadline != machineTimerDeadline else { return }
        machineTimer?.cancel()
        machineTimer = nil
        machineTimerDeadline = deadline
        guard let deadline else { return }
        machineTimer = loop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(UInt64(max(0, deadline.nanoseconds)))) {
            [weak self] in
            guard let self else { return }
            self.machineTimerDeadline = nil
            self.machine.handleTimeout(now: self.now)
            self.drainMachine()
        }
    }

    // MARK: Running and stopping

    /// The run starts: false when it is already running or the device is stopped.
    func beginRun() -> Bool {
        guard !running, !stopped else { return false }
        running = true
        return true
    }

    /// The run ended: who waited for it may go on.
    func endRun() {
        running = false
        let waiters = runEnded
        runEnded = []
        for w in waiters { w.resume() }
    }

    /// Waits (by continuation) until the device has credentials: true, or it stopped: false.
    func waitForCredentials(_ c: CheckedContinuation<Bool, Never>) {
        if stopped { return c.resume(returning: false) }
        if credentials != nil { return c.resume(returning: true) }
        registrationWaiters.append(c)
    }

    /// Registration wrote the credentials: keep them, publish them, wake the run.
    func registered(_ c: DeviceCredentials, certificate: DTLSCertificate) {
        credentials = c
        self.certificate = certificate
        gate.publish { $0.credentials = c }
        let waiters = registrationWaiters
        registrationWaiters = []
        for w in waiters { w.resume(returning: true) }
    }

    /// Stops: hangs up, fails what waits; returns the signaling session to close, nil when already stopped.
    func stop() -> (first: Bool, signaling: SignalingClient?) {
        guard !stopped else { return (false, nil) }
        stopped = true
        if machine.isBusy { try? machine.hangUp() }
        drainMachine()
        failAllPending(DeviceError(.stopped, "the device is stopped"))
        machineTimer?.cancel()
        let waiters = registrationWaiters
        registrationWaiters = []
        for w in waiters { w.resume(returning: false) }
        return (true, signaling)
    }

    /// Waits (by continuation) until ``RingletDevice/run()`` has returned.
    func waitForRunEnd(_ c: CheckedContinuation<Void, Never>) {
        if running { runEnded.append(c) } else { c.resume() }
    }
}

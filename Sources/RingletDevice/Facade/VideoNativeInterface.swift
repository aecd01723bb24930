import Dispatch
import Logging
import NIOConcurrencyHelpers
import RingletCall
import RingletSignaling

/// The seed-compatible facade (DESIGN.md "Device SDK"): the methods of the IoT video SDK's WeChat call module
/// under their names, returning the seed's integer codes, with the seed's callback protocols — so device code
/// written for the original SDK moves over. Built on ``RingletDevice``; docs/device-sdk.md has the method table,
/// the callback order and every code.
///
/// The one singleton of the project. Thread-safe. Methods the seed documents as blocking (registration, calls,
/// join, hang-up, the user list, the exits) block their caller: call them from your own threads — on a Swift
/// concurrency thread (inside a task) they do not wait and return the `wouldBlock` code (-312, v1 9, v2 -369;
/// use ``RingletDevice``'s async API there). The others (sends, status, busy) answer at once from what the
/// device's loop published. Callbacks come on one serial queue, in order, and may call back into the facade.
public final class VideoNativeInterface: @unchecked Sendable {
    // @unchecked Sendable: every stored `var` is read and written under `lock`; the callback objects are only
    // called on `callbacks` (a serial queue). What is stored here is the facade's own bookkeeping (which modules
    // are initialized, the callbacks); the device's state is the device runtime's.

    private static let shared = VideoNativeInterface()

    /// The facade.
    public static func getInstance() -> VideoNativeInterface { shared }

    struct VoipModule {
        let version: Int
        let dataPath: String
        let modelId: String
        let appId: String
        let channel: CallChannel
        let callback: (any IvVoipCallback)?
        var family: SeedResultCodes.Family { version == 2 ? .voip2 : .voip1 }
    }

    let lock = NIOLock()
    let callbacks = DispatchQueue(label: "ringlet.facade.callbacks")
    var sysInfo: SysInitInfo?
    var deviceCallback: (any IvDeviceCallback)?
    var dataModel = false
    var avtInfo: AvtInitInfo?
    var avtCallback: (any IvAvtCallback)?
    var voip: VoipModule?
    var device: RingletDevice?
    var runTask: Task<Void, Never>?
    var generation = 0
    var logLevel: Logger.Level = .info

    private init() {}

    func locked<R>(_ body: () throws -> R) rethrows -> R { try lock.withLock(body) }

    // MARK: Log

    /// Sets the SDK's log level: 0 disable, 1 error, 2 warn, 3 info, 4 debug. Returns 0, or -102 out of range.
    public func initLog(_ level: Int) -> Int {
        let map: [Logger.Level] = [.critical, .error, .warning, .info, .debug]
        guard map.indices.contains(level) else { return -102 }
        locked { logLevel = map[level] }
        return IV_ERR_NONE
    }

    var logger: Logger {
        var l = Logger(label: "ringlet.device")
        l.logLevel = locked { logLevel }
        return l
    }

    // MARK: System

    /// Starts the system module. With `info.dataPath` a registered device goes online now (`onOnline`).
    /// - Returns: 0; -101 without a callback; -102 for an SN or server that is not usable; -312 when already
    ///   initialized.
    public func initIvSystem(_ info: SysInitInfo, _ callback: (any IvDeviceCallback)?) -> Int {
        guard let callback else { return -101 }
        guard (try? DeviceIdentityRules.validateSN(info.sn)) != nil, !info.server.isEmpty else { return -102 }
        var configuration = DeviceConfiguration(server: info.server, sn: info.sn, dataPath: info.dataPath ?? "/")
        if let dataPath = info.dataPath { configuration.dataPath = dataPath }
        guard (try? configuration.validate()) != nil else { return -102 }
        let result: Int = locked {
            guard sysInfo == nil else { return IV_ERR_AVT_STATE_ERROR }
            sysInfo = info
            deviceCallback = callback
            generation += 1
            return IV_ERR_NONE
        }
        guard result == IV_ERR_NONE else { return result }
        if let dataPath = info.dataPath {
            let code = startDevice(dataPath: dataPath, modelId: nil, appId: nil, family: .media)
            if code != IV_ERR_NONE {
                locked {
                    sysInfo = nil
                    deviceCallback = nil
                }
                return code == IV_ERR_AVT_FAILED ? -102 : code
            }
        }
        return IV_ERR_NONE
    }

    /// Starts the data model module (after `initIvSystem`). Returns 0, -310 out of order, -312 twice.
    public func initIvDm() -> Int {
        locked {
            guard sysInfo != nil else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
            guard !dataModel else { return IV_ERR_AVT_STATE_ERROR }
            dataModel = true
            return IV_ERR_NONE
        }
    }

    /// Starts the AV module (after `initIvDm`). `P2P_PEER_READY` follows once the device is online.
    /// - Returns: 0; -301 without a callback; -302 for marks that are negative or not low ≤ warn ≤ high; -310
    ///   out of order; -312 twice.
    public func initIvAvt(_ info: AvtInitInfo, _ callback: (any IvAvtCallback)?) -> Int {
        guard let callback else { return -301 }
        let c = info.congestion
        let marksGiven = c.lowMark != 0 || c.warnMark != 0 || c.highMark != 0
        guard c.lowMark >= 0, c.warnMark >= 0, c.highMark >= 0, info.maxFrameSizeKB >= 0, info.maxFrameSizeKB <= 16384,
              !marksGiven || (c.lowMark <= c.warnMark && c.warnMark <= c.highMark && c.highMark > 0),
              info.sendCodecs != nil else { return -302 }
        let (result, device): (Int, RingletDevice?) = locked {
            guard sysInfo != nil, dataModel else { return (IV_ERR_AVT_INPUT_PARAM_INVAILD, nil) }
            guard avtInfo == nil else { return (IV_ERR_AVT_STATE_ERROR, nil) }
            avtInfo = info
            avtCallback = callback
            return (IV_ERR_NONE, self.device)
        }
        guard result == IV_ERR_NONE else { return result }
        if let device { applyLimits(info, to: device) }
        if device?.isOnline == true {
            let g = locked { generation }
            callbacks.async { [self] in notify(.peerReady, nil, generation: g) }
        }
        return IV_ERR_NONE
    }

    /// Stops the AV module. Returns 0, -310 when it is not initialized, -312 while VoIP is still initialized.
    public func exitIvAvt() -> Int {
        locked {
            guard avtInfo != nil else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
            guard voip == nil else { return IV_ERR_AVT_STATE_ERROR }
            avtInfo = nil
            avtCallback = nil
            return IV_ERR_NONE
        }
    }

    /// Stops the data model module. Returns 0, -310 when it is not initialized, -312 while AV is initialized.
    public func exitIvDm() -> Int {
        locked {
            guard dataModel else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
            guard avtInfo == nil else { return IV_ERR_AVT_STATE_ERROR }
            dataModel = false
            return IV_ERR_NONE
        }
    }

    /// Stops the system module: the device goes offline and its sockets close (blocks until they are).
    /// Returns 0, -310 when it is not initialized, -312 while the data model is initialized (or inside a task).
    public func exitIvSys() -> Int {
        guard !ThreadBlocking.isInsideTask else { return refuseInsideTask("exitIvSys", .media) }
        let (result, device, task): (Int, RingletDevice?, Task<Void, Never>?) = locked {
            guard sysInfo != nil else { return (IV_ERR_AVT_INPUT_PARAM_INVAILD, nil, nil) }
            guard !dataModel else { return (IV_ERR_AVT_STATE_ERROR, nil, nil) }
            defer {
                sysInfo = nil
                deviceCallback = nil
                self.device = nil
                runTask = nil
                generation += 1
            }
            return (IV_ERR_NONE, self.device, runTask)
        }
        guard result == IV_ERR_NONE else { return result }
        if let device {
            _ = ThreadBlocking.wait {
                await device.stop()
                await task?.value
            }
        }
        return IV_ERR_NONE
    }

    // MARK: Device and events

    /// Makes and starts the device for `dataPath` (once). Returns 0 or the family's code.
    func startDevice(dataPath: String, modelId: String?, appId: String?, family: SeedResultCodes.Family) -> Int {
        let (info, avt, existing, g): (SysInitInfo?, AvtInitInfo?, RingletDevice?, Int) = locked {
            (sysInfo, avtInfo, device, generation)
        }
        guard let info else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        if let existing {
            guard existing.configuration.dataPath == dataPath else {
                return SeedResultCodes.code(for: DeviceError(.invalidArgument, "another data path"), in: family)
            }
            return IV_ERR_NONE
        }
        var configuration = DeviceConfiguration(server: info.server, sn: info.sn, dataPath: dataPath)
        configuration.eventLoopGroup = info.eventLoopGroup
        configuration.iceTransportPolicy = info.relayOnly ? .relay : .all
        do {
            configuration.tlsConfiguration = try ClientTLS.configuration(trusting: info.trustedCAFile)
        } catch {
            return SeedResultCodes.code(for: DeviceError(.invalidArgument, error.message), in: family)
        }
        configuration.earlyVideo = info.earlyVideo
        configuration.modelId = modelId
        configuration.appId = appId
        let made: RingletDevice
        do {
            // The facade is a singleton that lives as long as the process: a strong capture holds nothing up.
            made = try RingletDevice(configuration: configuration, logger: logger) { [self] event in
                deliver(event, generation: g)
            }
        } catch {
            return SeedResultCodes.code(for: error, in: family)
        }
        if let avt { applyLimits(avt, to: made) }
        let task = Task.detached { await made.run() }
        locked {
            device = made
            runTask = task
        }
        return IV_ERR_NONE
    }

    func applyLimits(_ info: AvtInitInfo, to device: RingletDevice) {
        let c = info.congestion
        let marks = (c.lowMark != 0 || c.warnMark != 0 || c.highMark != 0) ? (c.lowMark, c.warnMark, c.highMark) : nil
        device.setMediaLimits(watermarks: marks,
                              maximumFrameSize: info.maxFrameSizeKB > 0 ? info.maxFrameSizeKB * 1024 : nil)
        if let codecs = info.sendCodecs { try? device.setCodecs(audio: codecs.audio, video: codecs.video) }
    }

    /// Runs on the device's event queue: hands the event to the callback queue (where facade-made events go too).
    private func deliver(_ event: DeviceEvent, generation g: Int) {
        callbacks.async { [self] in dispatch(event, generation: g) }
    }

    /// Turns one event into the seed's callbacks. On `callbacks`.
    private func dispatch(_ event: DeviceEvent, generation g: Int) {
        let (sys, avt, voipCallback, current) = locked {
            (deviceCallback, avtCallback, voip?.callback, generation)
        }
        guard g == current else { return }
        switch event {
        case .online(let time):
            sys?.onOnline(time)
        case .offline(let status):
            sys?.onOffline(status.rawValue)
        case .notification(let n, let ctx):
            notify(n, ctx, generation: g)
        case .command(let command, let ctx, let args):
            let reply = avt?.onRecvCommand(command.rawValue, Int(ctx?.visitor ?? 0), Int(ctx?.channel ?? 0),
                                           ctx?.resType.rawValue ?? 0, args)
            // USR_DATA is the seed's in/out buffer: what the app returns goes back to the peer (an empty reply:
            // nothing), which shows it as the device's acknowledgement (docs/device-sdk.md).
            if command == .userData, let reply, !reply.isEmpty, let device = locked({ self.device }) {
                try? device.sendUserData(reply, name: RingletDevice.userDataReplyName)
            }
        case .streamStarted(let ctx, let negotiated):
            let offered = AvDataInfo(negotiated: negotiated)
            let info = avt?.onGetAvEncInfo(Int(ctx.visitor), Int(ctx.channel), ctx.resType.rawValue, offered) ?? offered
            let format = info.sendFormat ?? SendFormat(audio: .pcm, video: .mjpeg)
            locked { self.device }?.setSendFormat(format)
            avt?.onStartRealPlay(Int(ctx.visitor), Int(ctx.channel), ctx.resType.rawValue)
        case .streamStopped(let ctx):
            avt?.onStopRealPlay(Int(ctx.visitor), Int(ctx.channel), ctx.resType.rawValue)
        case .receiveStarted(let ctx, let info):
            if info.kind == .audio {
                _ = avt?.onStartRecvAudioStream(Int(ctx.visitor), Int(ctx.channel), info.audio?.rawValue ?? 0, 0, 0, 1,
                                                info.sampleRate, info.samplesPerFrame)
            } else {
                _ = avt?.onStartRecvVideoStream(Int(ctx.visitor), Int(ctx.channel), info.video?.rawValue ?? 0, 0, 0, 0)
            }
        case .receiveStopped(let ctx):
            let type = ctx.kind == .video ? IV_AVT_STREAM_TYPE_AV : IV_AVT_STREAM_TYPE_AUDIO
            _ = avt?.onStopRecvStream(Int(ctx.visitor), Int(ctx.channel), type)
        case .frame(let ctx, let f):
            _ = avt?.onRecvStream(Int(ctx.visitor), f.kind.rawValue, f.data, f.data.count, f.ptsMilliseconds, f.sequence)
        case .peerAddress(let ctx, let address):
            avt?.onGetPeerOuterNet(Int(ctx.visitor), Int(ctx.channel), address)
        case .joinRequested(let callId, _, _):
            if let voipCallback {
                _ = voipCallback.onJoinNotify(callId)
            } else if let device = locked({ self.device }) {
                // VoIP v1 has no way to answer a user's call: refuse it.
                Task.detached { try? await device.join(callId: callId, answer: .refuse) }
            }
        case .callCancelled(let callId):
            _ = voipCallback?.onCancelNotify(callId)
        case .authorizationChanged(let openId, let authorized):
            _ = voipCallback?.onUpdateAuthorizeStatus(openId, authorized ? 1 : 0)
        case .callEnded:
            break
        }
    }

    /// `onNotify` for `n` when the AV module is initialized. On `callbacks`.
    private func notify(_ n: AVTNotification, _ ctx: StreamContext?, generation g: Int) {
        let (avt, current) = locked { (avtCallback, generation) }
        guard g == current else { return }
        avt?.onNotify(n.rawValue, Int(ctx?.visitor ?? 0), Int(ctx?.channel ?? 0), ctx?.resType.rawValue ?? 0)
    }

    // MARK: Blocking

    /// Runs `work` to completion, blocking the calling thread; returns its error, nil on success. Inside a task
    /// it does not wait: `wouldBlock`.
    func attempt(_ work: @escaping @Sendable () async throws(DeviceError) -> Void) -> DeviceError? {
        let result = ThreadBlocking.wait { () async -> DeviceError? in
            do throws(DeviceError) {
                try await work()
                return nil
            } catch {
                return error
            }
        }
        guard let result else { return wouldBlock() }
        return result
    }

    /// The error of a blocking method called inside a task (logged once per call).
    func wouldBlock() -> DeviceError {
        let e = DeviceError(.wouldBlock, """
            a blocking facade method was called on a Swift concurrency thread: call it from a thread of your own \
            (or use RingletDevice's async API); it did nothing
            """)
        logger.error("\(e)")
        return e
    }

    /// The code of a blocking method refused inside a task.
    func refuseInsideTask(_ method: String, _ family: SeedResultCodes.Family) -> Int {
        SeedResultCodes.code(for: wouldBlock(), in: family)
    }
}

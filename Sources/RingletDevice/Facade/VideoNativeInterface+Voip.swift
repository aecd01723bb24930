import RingletSignaling

extension VideoNativeInterface {
    // MARK: VoIP v1

    /// Starts VoIP (after `initIvAvt`): loads the credentials in `dataPath` (a registered device goes online).
    /// `deviceId` is the SN; `miniProgramVersion` the channel (0 release, 1 debug, 2 trial).
    /// - Returns: 0; 9800001 / 9800002 for a bad SN (or one other than `initIvSystem`'s: 3); 9800003 for a bad
    ///   model id; 3 for another bad argument; 19 when the credentials are for another SN, model or app (wipe
    ///   `dataPath` and init again); 2 for a corrupt credentials file; -310 out of order; 6 when already
    ///   initialized.
    public func initWxCloudVoip(_ dataPath: String, _ modelId: String, _ deviceId: String, _ wxaAppId: String,
                                _ miniProgramVersion: Int) -> Int {
        initVoip(version: 1, dataPath: dataPath, modelId: modelId, deviceId: deviceId, appId: wxaAppId,
                 miniProgramVersion: miniProgramVersion, callback: nil)
    }

    func initVoip(version: Int, dataPath: String, modelId: String, deviceId: String?, appId: String,
                  miniProgramVersion: Int, callback: (any IvVoipCallback)?) -> Int {
        let family: SeedResultCodes.Family = version == 2 ? .voip2 : .voip1
        let invalid = SeedResultCodes.wx(WXERROR_INVALID_ARGUMENT, family)
        let (sys, avt, already): (SysInitInfo?, Bool, Bool) = locked { (sysInfo, avtInfo != nil, voip != nil) }
        guard let sys, avt else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard !already else { return SeedResultCodes.wx(WXERROR_ALREADY_EXISTS, family) }
        let sn = deviceId ?? sys.sn
        do {
            try DeviceIdentityRules.validateSN(sn)
            try DeviceIdentityRules.validateModel(modelId)
        } catch {
            return SeedResultCodes.code(for: error, in: family)
        }
        guard sn == sys.sn else { return invalid }
        let channels: [CallChannel] = [.release, .debug, .trial]
        guard !dataPath.isEmpty, !appId.isEmpty, appId.utf8.count <= 128,
              channels.indices.contains(miniProgramVersion) else { return invalid }
        let channel = channels[miniProgramVersion]
        let code = startDevice(dataPath: dataPath, modelId: modelId, appId: appId, family: family)
        guard code == IV_ERR_NONE else { return code }
        let device = locked { self.device }
        if let c = device?.credentials, c.modelId != modelId || c.appId != appId || c.sn != sn {
            return SeedResultCodes.wx(WXERROR_INVALID_DEVICEID, family)
        }
        return locked {
            guard voip == nil else { return SeedResultCodes.wx(WXERROR_ALREADY_EXISTS, family) }
            voip = VoipModule(version: version, dataPath: dataPath, modelId: modelId, appId: appId, channel: channel,
                              callback: callback)
            return IV_ERR_NONE
        }
    }

    /// Whether the device is registered: 1 yes, 0 no; -310 before `initWxCloudVoip`.
    public func isAvtVoipRegistered() -> Int {
        let device: RingletDevice? = locked { voip != nil ? self.device : nil }
        guard let device else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        return device.isRegistered ? 1 : 0
    }

    /// Registers the device with an SN ticket (blocking; returns 0 at once when already registered). The device
    /// goes online afterwards.
    /// - Returns: 0; -10008 for an empty, unknown, expired, used or other-SN ticket; 14 when the server cannot be
    ///   reached; 17 when the credentials file cannot be written; 19 when the server has the device under another
    ///   model or app; -310 before `initWxCloudVoip`.
    public func registerAvtVoip(_ snTicket: String) -> Int {
        let state: (RingletDevice, SeedResultCodes.Family)? = locked {
            guard let voip, let device else { return nil }
            return (device, voip.family)
        }
        guard let (device, family) = state else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        let error = attempt { () async throws(DeviceError) in try await device.register(ticket: snTicket) }
        guard let error else { return IV_ERR_NONE }
        if error.code == .offline { return SeedResultCodes.wx(WXERROR_UNAVAILABLE, family) }
        return SeedResultCodes.code(for: error, in: family)
    }

    /// Calls a user (blocking until the server rang the user's sessions, not until the answer).
    /// `callType` 0 audio, 1 video. `modelId`, `wxaAppId` and `deviceId` must be `initWxCloudVoip`'s.
    /// - Returns: 0; -20 for an empty or over-long openId; -17, -19 or -2 for another model, app or SN; 3 for
    ///   another `callType`; -310 before `initWxCloudVoip` or registration; -1001 offline; -303 busy; the
    ///   server's code otherwise (-7, -9, -12, -15, -19, -20, -308).
    public func doWxCloudVoipCall(_ modelId: String, _ wxaAppId: String, _ openId: String, _ deviceId: String,
                                  _ callType: Int, _ recvPixel: Int, _ callerCameraOn: Bool,
                                  _ calleeCameraOn: Bool) -> Int {
        let v: VoipModule? = locked { voip }
        guard let v else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard modelId == v.modelId else { return VOIP_ERR_MODEL_MISMATCH }
        guard wxaAppId == v.appId else { return VOIP_ERR_OPENID_OTHER_APP }
        guard deviceId == locked({ sysInfo?.sn }) else { return VOIP_ERR_DEVICE_ID }
        return placeCall(openId: openId, callType: callType, callerCameraOn: callerCameraOn,
                         calleeCameraOn: calleeCameraOn)
    }

    func placeCall(openId: String, callType: Int, callerCameraOn: Bool, calleeCameraOn: Bool) -> Int {
        let state: (RingletDevice, VoipModule)? = locked {
            guard let voip, let device else { return nil }
            return (device, voip)
        }
        guard let (device, v) = state else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard !openId.isEmpty, openId.utf8.count <= 80 else { return VOIP_ERR_OPENID_INVALID }
        guard callType == IV_CM_STREAM_TYPE_AUDIO || callType == IV_CM_STREAM_TYPE_VIDEO else {
            return SeedResultCodes.wx(WXERROR_INVALID_ARGUMENT, v.family)
        }
        guard device.isRegistered else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        let kind: CallKind = callType == IV_CM_STREAM_TYPE_VIDEO ? .video : .audio
        let channel = v.channel
        let error = attempt { () async throws(DeviceError) in
            _ = try await device.call(openId: openId, kind: kind, callerCamera: callerCameraOn,
                                      calleeCamera: calleeCameraOn, channel: channel)
        }
        guard let error else { return IV_ERR_NONE }
        return SeedResultCodes.code(for: error, in: v.family)
    }

    /// Hangs up (or cancels) the current call. The arguments are the seed's and are not used.
    /// - Returns: 0; -312 without a call; -310 before `initWxCloudVoip`.
    public func doWxCloudVoipHangUp(_ productId: String = "", _ deviceName: String = "", _ openId: String = "",
                                    _ deviceId: String = "") -> Int {
        hangUp()
    }

    func hangUp() -> Int {
        let device: RingletDevice? = locked { voip != nil ? self.device : nil }
        guard let device else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        let error = attempt { () async throws(DeviceError) in try await device.hangUp() }
        guard let error else { return IV_ERR_NONE }
        return SeedResultCodes.code(for: error, in: .media)
    }

    /// 1 while a call is placing, ringing or in progress, else 0; -310 before `initWxCloudVoip`.
    public func isWxCloudVoipBusy() -> Int {
        let device: RingletDevice? = locked { voip != nil ? self.device : nil }
        guard let device else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        return device.isBusy ? 1 : 0
    }

    /// Stops VoIP (a call in progress is hung up). Returns 0, or -310 when it is not initialized.
    public func exitWxCloudVoip() -> Int {
        guard !ThreadBlocking.isInsideTask else { return refuseInsideTask("exitWxCloudVoip", .voip1) }
        let device: RingletDevice?? = locked {
            guard voip != nil else { return nil }
            voip = nil
            return .some(self.device)
        }
        guard let device else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        if let device, device.isBusy {
            _ = attempt { () async throws(DeviceError) in try await device.hangUp() }
        }
        return IV_ERR_NONE
    }

    /// Sends a notice (e.g. 6, "doorbell pressed") to the users who authorized the device. Asynchronous: 0 means
    /// queued. -310 before `initIvSystem` or registration, -1001 offline.
    public func sendMsgNotice(_ msgId: Int) -> Int {
        sendMsgNotice(msgId, text: Self.noticeText(msgId))
    }

    /// `sendMsgNotice` with a text of the device's (at most 1 KiB, else -310).
    public func sendMsgNotice(_ msgId: Int, text: String) -> Int {
        let device: RingletDevice? = locked { sysInfo != nil ? self.device : nil }
        guard let device, device.isRegistered, text.utf8.count <= 1024 else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard device.isOnline else { return IV_ERR_DEVICE_OFFLINE }
        Task.detached { try? await device.sendNotice(kind: msgId, text: text) }
        return IV_ERR_NONE
    }

    static func noticeText(_ id: Int) -> String {
        switch id {
        case 6: "Doorbell pressed"
        default: "Notice \(id)"
        }
    }

    // MARK: VoIP v2

    /// VoIP v2 start: as `initWxCloudVoip` with the SN of `initIvSystem` and a callback for users' calls and
    /// authorization changes; codes in v2 form (-363 bad argument, -379 identity mismatch, -362 corrupt file,
    /// -366 already initialized).
    public func initWxCloudVoipV2(_ dataPath: String, _ modelId: String, _ wxaAppId: String, _ miniProgramVersion: Int,
                                  _ callback: (any IvVoipCallback)?) -> Int {
        guard callback != nil else { return SeedResultCodes.wx(WXERROR_INVALID_ARGUMENT, .voip2) }
        return initVoip(version: 2, dataPath: dataPath, modelId: modelId, deviceId: nil, appId: wxaAppId,
                        miniProgramVersion: miniProgramVersion, callback: callback)
    }

    /// Ringlet has no licences: a registered device is active. Returns 0 when registered, -350 when not, -363
    /// for a type outside 0…4, -310 before `initWxCloudVoipV2`.
    public func activateVoipLicenseV2(_ type: Int) -> Int {
        let device: RingletDevice? = locked { voip != nil ? self.device : nil }
        guard let device else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard (0...4).contains(type) else { return SeedResultCodes.wx(WXERROR_INVALID_ARGUMENT, .voip2) }
        return device.isRegistered ? IV_ERR_NONE : VOIP_ERR_NOT_ACTIVATED
    }

    /// The activation of a registered device (no expiry: 0), or nil.
    public func getVoipActiveDeviceInfoV2() -> VoipActivateInfo? {
        let device: RingletDevice? = locked { voip != nil ? self.device : nil }
        guard let c = device?.credentials else { return nil }
        return VoipActivateInfo(modelId: c.modelId, deviceId: c.sn, expireTime: 0)
    }

    /// The users who authorized the device: fills `openIds` with at most `limit` (1…10) of them from `offset`
    /// and returns their total (blocking). -363 for a bad offset or limit, -1001 offline, -310 before
    /// `initWxCloudVoipV2`.
    public func getVoipUserListV2(_ offset: Int, _ limit: Int, _ openIds: inout [String]) -> Int {
        let device: RingletDevice? = locked { voip != nil ? self.device : nil }
        guard let device else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard offset >= 0, (1...10).contains(limit) else { return SeedResultCodes.wx(WXERROR_INVALID_ARGUMENT, .voip2) }
        let waited = ThreadBlocking.wait { () async -> Result<[AuthorizedUser], DeviceError> in
            do throws(DeviceError) {
                return .success(try await device.authorizedUsers())
            } catch {
                return .failure(error)
            }
        }
        guard let result = waited else { return SeedResultCodes.code(for: wouldBlock(), in: .voip2) }
        switch result {
        case .success(let users):
            openIds = Array(users.dropFirst(offset).prefix(limit).map(\.openId))
            return users.count
        case .failure(let error):
            return SeedResultCodes.code(for: error, in: .voip2)
        }
    }

    /// Calls a user (v2). `customMsg` at most 256 bytes (else -363).
    public func doWxCloudVoipCallV2(_ openId: String, _ customMsg: String, _ callType: Int, _ videoInfo: VoipVideoInfo,
                                    _ callerCameraOn: Bool, _ calleeCameraOn: Bool) -> Int {
        guard locked({ voip?.version == 2 }) else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        guard customMsg.utf8.count <= 256 else { return SeedResultCodes.wx(WXERROR_INVALID_ARGUMENT, .voip2) }
        return placeCall(openId: openId, callType: callType, callerCameraOn: callerCameraOn,
                         calleeCameraOn: calleeCameraOn)
    }

    /// Answers a user's call (`onJoinNotify`): `IV_VOIP_CALLED_STATUS_ACCEPT` 0, `…_BUSY` 9, `…_REFUSE` 11.
    /// Returns 0; -1 for a room that is not waiting; -363 for another reply; -1001 offline; -310 before
    /// `initWxCloudVoipV2`.
    public func doWxCloudVoipJoinV2(_ roomId: String, _ videoInfo: VoipVideoInfo, _ reply: Int) -> Int {
        let device: RingletDevice? = locked { voip?.version == 2 ? self.device : nil }
        guard let device else { return IV_ERR_AVT_INPUT_PARAM_INVAILD }
        let answer: JoinAnswer
        switch reply {
        case IV_VOIP_CALLED_STATUS_ACCEPT: answer = .accept
        case IV_VOIP_CALLED_STATUS_BUSY: answer = .busy
        case IV_VOIP_CALLED_STATUS_REFUSE: answer = .refuse
        default: return SeedResultCodes.wx(WXERROR_INVALID_ARGUMENT, .voip2)
        }
        guard !roomId.isEmpty, roomId.utf8.count <= 80 else { return VOIP_ERR_ROOM_ID }
        let error = attempt { () async throws(DeviceError) in try await device.join(callId: roomId, answer: answer) }
        guard let error else { return IV_ERR_NONE }
        return SeedResultCodes.code(for: error, in: .voip2)
    }

    /// Hangs up (v2).
    public func doWxCloudVoipHangUpV2() -> Int { hangUp() }

    /// Busy (v2).
    public func isWxCloudVoipBusyV2() -> Int { isWxCloudVoipBusy() }

    /// Stops VoIP (v2).
    public func exitWxCloudVoipV2() -> Int { exitWxCloudVoip() }
}

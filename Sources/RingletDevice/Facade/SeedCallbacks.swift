/// The system module's callbacks (the seed's `IvDeviceCallback`). Called on one serial queue of the SDK, in
/// order; return quickly.
public protocol IvDeviceCallback: AnyObject {
    /// Online; the server's time in ms since 1970.
    func onOnline(_ netDateTime: Int64)
    /// Offline: `IV_SYS_OFFLINE_STATUS_RECONNECT` (reconnecting) or `…_DISCONNECT`.
    func onOffline(_ status: Int)
    /// Module status bits (cloud storage, AI): Ringlet has neither and never calls it.
    func onModuleStatus(_ moduleStatus: Int)
}

extension IvDeviceCallback {
    public func onModuleStatus(_ moduleStatus: Int) {}
}

/// The AV module's callbacks (the seed's `IvAvtCallback`). Called on one serial queue of the SDK, in the order
/// of docs/device-sdk.md; return quickly and do not block.
public protocol IvAvtCallback: AnyObject {
    /// What the device will send in this stream (before `onStartRealPlay`). Seed code implements this form;
    /// Ringlet calls the form with `negotiated`, whose default implementation calls this one.
    func onGetAvEncInfo(_ visitor: Int, _ channel: Int, _ videoResType: Int) -> AvDataInfo
    /// What the device will send in this stream, given what the call `negotiated` with the peer (the seed's C
    /// callback receives its `av_data_info` filled in the same way): return it as it is when the device can send
    /// every encoding it declared in `AvtInitInfo.sendAudioTypes`. Anything else makes those frames refused
    /// (-308) and fires `onNotify(IV_AVT_EVENT_FORMAT_MISMATCH)` once. `videoResType` `IV_AVT_VIDEO_AUDIO` in a
    /// video call: the peer declined video — send none.
    func onGetAvEncInfo(_ visitor: Int, _ channel: Int, _ videoResType: Int, _ negotiated: AvDataInfo) -> AvDataInfo
    /// Start sending: frames with exactly this visitor, channel and stream type.
    func onStartRealPlay(_ visitor: Int, _ channel: Int, _ videoResType: Int)
    /// Stop sending.
    func onStopRealPlay(_ visitor: Int, _ channel: Int, _ videoResType: Int)
    /// The first audio frame from the peer arrived: its format.
    func onStartRecvAudioStream(_ visitor: Int, _ channel: Int, _ type: Int, _ option: Int, _ mode: Int, _ width: Int,
                                _ sampleRate: Int, _ sampleNum: Int) -> Int
    /// The first video frame from the peer arrived: its format (size and rate 0: not signalled).
    func onStartRecvVideoStream(_ visitor: Int, _ channel: Int, _ type: Int, _ height: Int, _ width: Int,
                                _ frameRate: Int) -> Int
    /// The peer's streams ended.
    func onStopRecvStream(_ visitor: Int, _ channel: Int, _ streamType: Int) -> Int
    /// One frame from the peer (`IV_AVT_STREAM_TYPE_AUDIO` or `_VIDEO`), PTS in ms, sequence per stream.
    func onRecvStream(_ visitor: Int, _ streamType: Int, _ data: [UInt8], _ len: Int, _ pts: Int64, _ seq: Int64) -> Int
    /// An `IV_AVT_EVENT_*` notification.
    func onNotify(_ event: Int, _ visitor: Int, _ channel: Int, _ videoResType: Int)
    /// An `IV_AVT_COMMAND_*` command; `args` is `USR_DATA`'s text. For `USR_DATA` the returned text (the seed's
    /// demo returns `{"code":0,"msg":"success"}`) goes back to the peer as its acknowledgement; "" sends nothing.
    /// Other commands' replies are not sent anywhere.
    func onRecvCommand(_ command: Int, _ visitor: Int, _ channel: Int, _ videoResType: Int, _ args: String?) -> String
    /// File download: Ringlet has none and never calls it.
    func onDownloadFile(_ status: Int, _ visitor: Int, _ channel: Int) -> Int
    /// The peer's public IP address on the selected path.
    func onGetPeerOuterNet(_ visitor: Int, _ channel: Int, _ netInfo: String?)
}

extension IvAvtCallback {
    public func onGetAvEncInfo(_ visitor: Int, _ channel: Int, _ videoResType: Int) -> AvDataInfo {
        AvDataInfo.createDefaultAvDataInfo(videoResType)
    }
    public func onGetAvEncInfo(_ visitor: Int, _ channel: Int, _ videoResType: Int, _ negotiated: AvDataInfo) -> AvDataInfo {
        onGetAvEncInfo(visitor, channel, videoResType)
    }
    public func onDownloadFile(_ status: Int, _ visitor: Int, _ channel: Int) -> Int { IV_ERR_NOT_SUPPORT }
    public func onGetPeerOuterNet(_ visitor: Int, _ channel: Int, _ netInfo: String?) {}
}

/// The VoIP callbacks of the newer API (the seed's `IvVoipCallback`).
public protocol IvVoipCallback: AnyObject {
    /// A user authorized (1) or revoked (0) the device.
    func onUpdateAuthorizeStatus(_ openId: String, _ status: Int) -> Int
    /// A user calls the device: answer with `doWxCloudVoipJoinV2(roomId, …)`.
    func onJoinNotify(_ roomId: String) -> Int
    /// The user cancelled before the device answered.
    func onCancelNotify(_ roomId: String) -> Int
}

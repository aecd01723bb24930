import CRingletDeviceAPI
import NIOConcurrencyHelpers
import RingletDevice

/// The C application's callbacks as the facade's callback protocols: each seed callback calls the C function
/// pointer the application gave, on the facade's callback thread, with arguments that live until it returns.
final class CCallbacks: IvDeviceCallback, IvAvtCallback, IvVoipCallback, @unchecked Sendable {
    // @unchecked Sendable: the function pointers are set under `lock` by the iv_*_init calls and read under it;
    // the callbacks themselves run on the facade's one callback queue.
    private let lock = NIOLock()
    private var sys = iv_sys_init_parm_s()
    private var avt = iv_avt_init_parm_s()
    private var voip = voip_callback_func_s()

    static let shared = CCallbacks()

    func setSystem(_ p: iv_sys_init_parm_s) { lock.withLock { sys = p } }
    func setAVT(_ p: iv_avt_init_parm_s) { lock.withLock { avt = p } }
    func setVoip(_ v: voip_callback_func_s) { lock.withLock { voip = v } }

    private var s: iv_sys_init_parm_s { lock.withLock { sys } }
    private var a: iv_avt_init_parm_s { lock.withLock { avt } }
    private var v: voip_callback_func_s { lock.withLock { voip } }

    // MARK: IvDeviceCallback

    func onOnline(_ netDateTime: Int64) { s.online_cb?(UInt64(max(0, netDateTime))) }
    func onOffline(_ status: Int) { s.offline_cb?(iv_sys_offline_status_type_e(UInt32(status))) }
    func onModuleStatus(_ moduleStatus: Int) { s.module_status_cb?(Int32(moduleStatus)) }

    // MARK: IvAvtCallback

    func onGetAvEncInfo(_ visitor: Int, _ channel: Int, _ videoResType: Int, _ negotiated: AvDataInfo) -> AvDataInfo {
        var info = Self.cInfo(negotiated)
        _ = a.iv_avt_get_av_enc_info_cb?(UInt32(visitor), UInt32(channel), Self.res(videoResType), &info)
        return AvDataInfo(
            audioType: Int(info.eAudioType.rawValue), audioOption: Int(info.u32AudioCodecOption),
            audioMode: Int(info.eAudioMode), audioBitWidth: Int(info.eAudioBitWidth),
            audioSampleRate: Int(info.eAudioSampleRate), audioSampleNum: Int(info.u32SampleNumPerFrame),
            videoType: Int(info.eVideoType.rawValue), videoWidth: Int(info.u32VideoWidth),
            videoHeight: Int(info.u32VideoHeight), videoFrameRate: Int(info.u32Framerate))
    }

    func onStartRealPlay(_ visitor: Int, _ channel: Int, _ videoResType: Int) {
        a.iv_avt_start_real_play_cb?(UInt32(visitor), UInt32(channel), Self.res(videoResType), nil)
    }

    func onStopRealPlay(_ visitor: Int, _ channel: Int, _ videoResType: Int) {
        a.iv_avt_stop_real_play_cb?(UInt32(visitor), UInt32(channel), Self.res(videoResType))
    }

    func onStartRecvAudioStream(_ visitor: Int, _ channel: Int, _ type: Int, _ option: Int, _ mode: Int, _ width: Int,
                                _ sampleRate: Int, _ sampleNum: Int) -> Int {
        var info = iv_cm_av_data_info_s()
        info.eAudioType = iv_cm_aenc_type_e(UInt32(type))
        info.u32AudioCodecOption = UInt32(option)
        info.eAudioMode = UInt32(mode)
        info.eAudioBitWidth = UInt32(width)
        info.eAudioSampleRate = UInt32(sampleRate)
        info.u32SampleNumPerFrame = UInt32(sampleNum)
        return Int(a.iv_avt_start_recv_stream_cb?(UInt32(visitor), UInt32(channel), IV_AVT_STREAM_TYPE_AUDIO, &info) ?? 0)
    }

    func onStartRecvVideoStream(_ visitor: Int, _ channel: Int, _ type: Int, _ height: Int, _ width: Int,
                                _ frameRate: Int) -> Int {
        var info = iv_cm_av_data_info_s()
        info.eVideoType = iv_cm_venc_type_e(UInt32(type))
        info.u32VideoHeight = UInt32(height)
        info.u32VideoWidth = UInt32(width)
        info.u32Framerate = UInt32(frameRate)
        return Int(a.iv_avt_start_recv_stream_cb?(UInt32(visitor), UInt32(channel), IV_AVT_STREAM_TYPE_VIDEO, &info) ?? 0)
    }

    func onStopRecvStream(_ visitor: Int, _ channel: Int, _ streamType: Int) -> Int {
        Int(a.iv_avt_stop_recv_stream_cb?(UInt32(visitor), UInt32(channel), iv_avt_stream_type_e(UInt32(streamType))) ?? 0)
    }

    func onRecvStream(_ visitor: Int, _ streamType: Int, _ data: [UInt8], _ len: Int, _ pts: Int64, _ seq: Int64) -> Int {
        guard let callback = a.iv_avt_recv_stream_cb else { return 0 }
        var bytes = data
        return bytes.withUnsafeMutableBufferPointer { buffer -> Int in
            if streamType == IV_AVT_STREAM_TYPE_VIDEO.rawValue {
                var stream = iv_cm_venc_stream_s()
                stream.u32PackNum = 1
                stream.astPack.0 = iv_cm_venc_pack_s(
                    pu8Addr: buffer.baseAddress, u32Len: UInt32(buffer.count), u64PTS: UInt64(max(0, pts)),
                    eFrameType: Self.isIDR(buffer) ? IV_CM_FRAME_TYPE_I : IV_CM_FRAME_TYPE_P, u32Seq: UInt32(truncatingIfNeeded: seq))
                return Int(callback(UInt32(visitor), 0, IV_AVT_STREAM_TYPE_VIDEO, &stream))
            }
            var stream = iv_cm_aenc_stream_s()
            stream.u32PackNum = 1
            stream.astPack.0 = iv_cm_aenc_pack_s(pu8Addr: buffer.baseAddress, u32Len: UInt32(buffer.count),
                                                 u64PTS: UInt64(max(0, pts)), u32Seq: UInt32(truncatingIfNeeded: seq))
            return Int(callback(UInt32(visitor), 0, IV_AVT_STREAM_TYPE_AUDIO, &stream))
        }
    }

    func onNotify(_ event: Int, _ visitor: Int, _ channel: Int, _ videoResType: Int) {
        a.iv_avt_notify_cb?(iv_avt_event_e(UInt32(event)), UInt32(visitor), UInt32(channel), Self.res(videoResType))
    }

    func onRecvCommand(_ command: Int, _ visitor: Int, _ channel: Int, _ videoResType: Int, _ args: String?) -> String {
        guard let callback = a.iv_avt_recv_command_cb else { return "" }
        let type = iv_avt_command_type_e(UInt32(command))
        if let args {
            _ = args.withCString { text in
                callback(type, UInt32(visitor), UInt32(channel), Self.res(videoResType), UnsafeMutableRawPointer(mutating: text))
            }
        } else {
            _ = callback(type, UInt32(visitor), UInt32(channel), Self.res(videoResType), nil)
        }
        return ""
    }

    func onGetPeerOuterNet(_ visitor: Int, _ channel: Int, _ netInfo: String?) {
        guard let callback = a.iv_avt_get_peer_outer_net_cb else { return }
        (netInfo ?? "").withCString { callback(UInt32(visitor), UInt32(channel), $0) }
    }

    // MARK: IvVoipCallback

    func onUpdateAuthorizeStatus(_ openId: String, _ status: Int) -> Int {
        guard let callback = v.update_authorize_status_cb else { return 0 }
        return Int(openId.withCString { callback($0, Int32(status)) })
    }

    func onJoinNotify(_ roomId: String) -> Int {
        guard let callback = v.join_notify_cb else { return 0 }
        return Int(roomId.withCString { callback($0) })
    }

    func onCancelNotify(_ roomId: String) -> Int {
        guard let callback = v.cancel_notify_cb else { return 0 }
        return Int(roomId.withCString { callback($0) })
    }

    // MARK: Conversions

    static func res(_ value: Int) -> iv_avt_video_res_type_e { iv_avt_video_res_type_e(UInt32(max(0, value))) }

    static func cInfo(_ i: AvDataInfo) -> iv_cm_av_data_info_s {
        var info = iv_cm_av_data_info_s()
        info.eAudioType = iv_cm_aenc_type_e(UInt32(max(0, i.audioType)))
        info.u32AudioCodecOption = UInt32(max(0, i.audioOption))
        info.eAudioMode = UInt32(max(0, i.audioMode))
        info.eAudioBitWidth = UInt32(max(0, i.audioBitWidth))
        info.eAudioSampleRate = UInt32(max(0, i.audioSampleRate))
        info.u32SampleNumPerFrame = UInt32(max(0, i.audioSampleNum))
        info.eVideoType = iv_cm_venc_type_e(UInt32(max(0, i.videoType)))
        info.u32VideoWidth = UInt32(max(0, i.videoWidth))
        info.u32VideoHeight = UInt32(max(0, i.videoHeight))
        info.u32Framerate = UInt32(max(0, i.videoFrameRate))
        return info
    }

    /// Whether an H.264 access unit holds an IDR slice (NAL type 5).
    static func isIDR(_ b: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i + 3 < b.count {
            if b[i] == 0, b[i + 1] == 0, b[i + 2] == 1, b[i + 3] & 0x1F == 5 { return true }
            i += 1
        }
        return false
    }
}

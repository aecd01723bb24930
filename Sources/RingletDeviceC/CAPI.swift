import CRingletDeviceAPI
import RingletDevice

// The C API (include/ringlet_device.h) over the seed-compatible facade, which gives the seed's codes and callback
// order. Every function copies what it is given before it returns; none keeps a pointer of the caller's.

private var facade: VideoNativeInterface { VideoNativeInterface.getInstance() }

/// A C string as a Swift string; nil for NULL.
private func text(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

// MARK: iv_sys, iv_dm

@_cdecl("iv_sys_init")
public func iv_sys_init(_ parm: UnsafePointer<iv_sys_init_parm_s>?) -> Int32 {
    guard let p = parm?.pointee else { return Int32(IV_ERR_SYS_INIT_PRM_NULL.rawValue) }
    guard p.online_cb != nil, p.offline_cb != nil else { return Int32(IV_ERR_SYS_INIT_CB_NULL.rawValue) }
    guard let server = text(p.server) else { return Int32(IV_ERR_SYS_INIT_PRM_RANGE.rawValue) }
    CCallbacks.shared.setSystem(p)
    let info = SysInitInfo(productId: text(p.product_id) ?? "", deviceName: text(p.device_name) ?? "",
                           deviceKey: text(p.device_key) ?? "", region: text(p.region) ?? "", server: server,
                           dataPath: text(p.data_path))
    return Int32(facade.initIvSystem(info, CCallbacks.shared))
}

@_cdecl("iv_sys_exit")
public func iv_sys_exit() -> Int32 { Int32(facade.exitIvSys()) }

@_cdecl("iv_sys_set_log_level")
public func iv_sys_set_log_level(_ level: Int32) -> Int32 { Int32(facade.initLog(Int(level))) }

@_cdecl("iv_dm_init")
public func iv_dm_init() -> Int32 { Int32(facade.initIvDm()) }

@_cdecl("iv_dm_exit")
public func iv_dm_exit() -> Int32 { Int32(facade.exitIvDm()) }

// MARK: iv_avt

@_cdecl("iv_avt_init")
public func iv_avt_init(_ parm: UnsafePointer<iv_avt_init_parm_s>?) -> Int32 {
    guard let p = parm?.pointee else { return Int32(IV_ERR_AVT_INIT_PRM_NULL.rawValue) }
    guard p.iv_avt_get_av_enc_info_cb != nil, p.iv_avt_start_real_play_cb != nil, p.iv_avt_stop_real_play_cb != nil
    else { return Int32(IV_ERR_AVT_INIT_CB_NULL.rawValue) }
    guard p.send_audio_type_count <= 16, p.send_video_type_count <= 16,
          p.send_audio_type_count == 0 || p.send_audio_types != nil,
          p.send_video_type_count == 0 || p.send_video_types != nil
    else { return Int32(IV_ERR_AVT_INIT_PRM_RANGE.rawValue) }
    let audio = (0..<Int(p.send_audio_type_count)).map { Int(p.send_audio_types![$0].rawValue) }
    let video = (0..<Int(p.send_video_type_count)).map { Int(p.send_video_types![$0].rawValue) }
    let c = p.congestion
    guard c.low_mark <= Int32.max, c.warn_mark <= Int32.max, c.high_mark <= Int32.max else {
        return Int32(IV_ERR_AVT_INIT_PRM_RANGE.rawValue)
    }
    let info = AvtInitInfo(
        congestion: CongestionCtrlInfo(lowMark: Int(c.low_mark), warnMark: Int(c.warn_mark), highMark: Int(c.high_mark)),
        maxFrameSizeKB: Int((UInt64(p.max_frame_size) + 1023) / 1024),
        sendAudioTypes: audio.isEmpty ? [IV_CM_AENC_TYPE_G711U] : audio,
        sendVideoTypes: video.isEmpty ? [IV_CM_VENC_TYPE_H264] : video)
    CCallbacks.shared.setAVT(p)
    return Int32(facade.initIvAvt(info, CCallbacks.shared))
}

@_cdecl("iv_avt_exit")
public func iv_avt_exit() -> Int32 { Int32(facade.exitIvAvt()) }

@_cdecl("iv_avt_send_stream")
public func iv_avt_send_stream(_ visitor: UInt32, _ channel: UInt32, _ res: iv_avt_video_res_type_e,
                               _ streamType: iv_avt_stream_type_e, _ pstream: UnsafeRawPointer?) -> Int32 {
    guard let pstream else { return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue) }
    let (v, c, r) = (Int(visitor), Int(channel), Int(res.rawValue))
    switch streamType {
    case IV_AVT_STREAM_TYPE_VIDEO:
        let stream = pstream.assumingMemoryBound(to: iv_cm_venc_stream_s.self).pointee
        let packs = withUnsafeBytes(of: stream.astPack) { Array($0.bindMemory(to: iv_cm_venc_pack_s.self)) }
        guard stream.u32PackNum >= 1, stream.u32PackNum <= UInt32(IV_CM_MAX_PACK_NUM) else {
            return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue)
        }
        var frame: [UInt8] = []
        for pack in packs.prefix(Int(stream.u32PackNum)) {
            guard let addr = pack.pu8Addr else { return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue) }
            frame.append(contentsOf: UnsafeBufferPointer(start: addr, count: Int(pack.u32Len)))
        }
        let first = packs[0]
        return Int32(facade.sendAvtVideoData(frame, Int64(clamping: first.u64PTS), Int64(first.u32Seq),
                                             first.eFrameType == IV_CM_FRAME_TYPE_I, v, c, r))
    case IV_AVT_STREAM_TYPE_AUDIO:
        let stream = pstream.assumingMemoryBound(to: iv_cm_aenc_stream_s.self).pointee
        let packs = withUnsafeBytes(of: stream.astPack) { Array($0.bindMemory(to: iv_cm_aenc_pack_s.self)) }
        guard stream.u32PackNum >= 1, stream.u32PackNum <= UInt32(IV_CM_MAX_PACK_NUM) else {
            return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue)
        }
        for pack in packs.prefix(Int(stream.u32PackNum)) {
            guard let addr = pack.pu8Addr else { return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue) }
            let frame = Array(UnsafeBufferPointer(start: addr, count: Int(pack.u32Len)))
            let code = facade.sendAvtAudioData(frame, Int64(clamping: pack.u64PTS), Int64(pack.u32Seq), v, c, r)
            if code != IV_ERR_NONE { return Int32(code) }
        }
        return 0
    default:
        return Int32(IV_ERR_AVT_INPUT_PARAM_INVAILD.rawValue)
    }
}

@_cdecl("iv_avt_get_send_stream_status")
public func iv_avt_get_send_stream_status(_ visitor: UInt32, _ channel: UInt32, _ res: iv_avt_video_res_type_e,
                                          _ stats: UnsafeMutablePointer<iv_p2p_send_stats_s>?) -> Int32 {
    guard let stats else { return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue) }
    let buf = facade.getSendStreamBuf(Int(visitor), Int(channel), Int(res.rawValue))
    guard buf >= 0 else { return Int32(buf) }
    guard let s = facade.getSendStreamStatus(Int(visitor), Int(channel), Int(res.rawValue)) else {
        return Int32(IV_ERR_AVT_CHN_NOT_EXIT.rawValue)
    }
    stats.pointee = iv_p2p_send_stats_s(inst_net_rate: UInt32(clamping: s.instNetRate),
                                        ave_sent_rate: UInt32(clamping: s.aveSentRate),
                                        sum_sent_acked: UInt64(max(0, s.sumSentAcked)), link_mode: UInt32(s.linkMode))
    return 0
}

@_cdecl("iv_avt_get_send_stream_buf")
public func iv_avt_get_send_stream_buf(_ visitor: UInt32, _ channel: UInt32, _ res: iv_avt_video_res_type_e) -> Int32 {
    Int32(clamping: facade.getSendStreamBuf(Int(visitor), Int(channel), Int(res.rawValue)))
}

@_cdecl("iv_avt_send_finish_stream")
public func iv_avt_send_finish_stream(_ visitor: UInt32, _ channel: UInt32, _ res: iv_avt_video_res_type_e) -> Int32 {
    Int32(facade.sendFinishStream(Int(visitor), Int(channel), Int(res.rawValue)))
}

@_cdecl("iv_msg_send_notice")
public func iv_msg_send_notice(_ msgId: Int32, _ utcTimeSec: UInt64) -> Int32 {
    Int32(facade.sendMsgNotice(Int(msgId)))
}

// MARK: iv_avt_voip v1

@_cdecl("iv_avt_voip_init")
public func iv_avt_voip_init(_ type: voip_wxa_type_e, _ dataPath: UnsafePointer<CChar>?, _ modelId: UnsafePointer<CChar>?,
                             _ deviceId: UnsafePointer<CChar>?, _ appId: UnsafePointer<CChar>?) -> Int32 {
    Int32(facade.initWxCloudVoip(text(dataPath) ?? "", text(modelId) ?? "", text(deviceId) ?? "", text(appId) ?? "",
                                 Int(type.rawValue)))
}

@_cdecl("iv_avt_voip_is_registered")
public func iv_avt_voip_is_registered(_ isReg: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let isReg else { return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue) }
    let r = facade.isAvtVoipRegistered()
    guard r >= 0 else { return Int32(r) }
    isReg.pointee = Int32(r)
    return 0
}

@_cdecl("iv_avt_voip_register")
public func iv_avt_voip_register(_ ticket: UnsafePointer<CChar>?) -> Int32 {
    Int32(facade.registerAvtVoip(text(ticket) ?? ""))
}

@_cdecl("iv_avt_voip_call")
public func iv_avt_voip_call(_ type: iv_cm_stream_type_e, _ openId: UnsafePointer<CChar>?, _ deviceId: UnsafePointer<CChar>?,
                             _ modelId: UnsafePointer<CChar>?, _ appId: UnsafePointer<CChar>?,
                             _ customMessage: UnsafePointer<CChar>?, _ info: voip_video_info_s,
                             _ callerCamera: Int32, _ calleeCamera: Int32) -> Int32 {
    Int32(facade.doWxCloudVoipCall(text(modelId) ?? "", text(appId) ?? "", text(openId) ?? "", text(deviceId) ?? "",
                                   Int(type.rawValue), Int(info.recv_pixel), callerCamera != 0, calleeCamera != 0))
}

@_cdecl("iv_avt_voip_hang_up")
public func iv_avt_voip_hang_up() -> Int32 { Int32(facade.doWxCloudVoipHangUp()) }

@_cdecl("iv_avt_voip_is_busy")
public func iv_avt_voip_is_busy() -> Int32 { Int32(facade.isWxCloudVoipBusy()) }

@_cdecl("iv_avt_voip_exit")
public func iv_avt_voip_exit() -> Int32 { Int32(facade.exitWxCloudVoip()) }

// MARK: iv_avt_voip v2

@_cdecl("iv_avt_voip_init_v2")
public func iv_avt_voip_init_v2(_ type: voip_wxa_type_e, _ dataPath: UnsafePointer<CChar>?, _ modelId: UnsafePointer<CChar>?,
                                _ appId: UnsafePointer<CChar>?, _ callbacks: voip_callback_func_s) -> Int32 {
    CCallbacks.shared.setVoip(callbacks)
    return Int32(facade.initWxCloudVoipV2(text(dataPath) ?? "", text(modelId) ?? "", text(appId) ?? "",
                                          Int(type.rawValue), CCallbacks.shared))
}

@_cdecl("iv_avt_voip_activate_license_v2")
public func iv_avt_voip_activate_license_v2(_ type: Int32) -> Int32 {
    Int32(facade.activateVoipLicenseV2(Int(type)))
}

@_cdecl("iv_avt_voip_get_active_device_info_v2")
public func iv_avt_voip_get_active_device_info_v2(_ info: UnsafeMutablePointer<voip_activate_info_s>?) -> Int32 {
    guard let info else { return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue) }
    guard let active = facade.getVoipActiveDeviceInfoV2() else { return Int32(VOIP_ERR_NOT_ACTIVATED) }
    var out = voip_activate_info_s()
    copy(active.modelId, into: &out.model_id)
    copy(active.deviceId, into: &out.device_id)
    out.expire_time = active.expireTime
    info.pointee = out
    return 0
}

@_cdecl("iv_avt_voip_get_user_list_v2")
public func iv_avt_voip_get_user_list_v2(_ offset: Int32, _ limit: Int32, _ list: UnsafeMutableRawPointer?) -> Int32 {
    // `char openid_list[][VOIP_MAX_ID_LEN]`: rows of 80 bytes.
    guard let list else { return Int32(IV_ERR_AVT_INPUT_PARAM_NULL.rawValue) }
    var ids: [String] = []
    let total = facade.getVoipUserListV2(Int(offset), Int(limit), &ids)
    guard total >= 0 else { return Int32(total) }
    let row = Int(VOIP_MAX_ID_LEN)
    for (i, id) in ids.prefix(Int(max(0, limit))).enumerated() {
        let bytes = Array(id.utf8.prefix(row - 1)) + [0]
        (list + i * row).copyMemory(from: bytes, byteCount: bytes.count)
    }
    return Int32(clamping: total)
}

@_cdecl("iv_avt_voip_call_v2")
public func iv_avt_voip_call_v2(_ type: iv_cm_stream_type_e, _ openId: UnsafePointer<CChar>?,
                                _ customMessage: UnsafePointer<CChar>?, _ info: voip_video_info_s,
                                _ callerCamera: Int32, _ calleeCamera: Int32) -> Int32 {
    Int32(facade.doWxCloudVoipCallV2(text(openId) ?? "", text(customMessage) ?? "", Int(type.rawValue), VoipVideoInfo(),
                                     callerCamera != 0, calleeCamera != 0))
}

@_cdecl("iv_avt_voip_join_v2")
public func iv_avt_voip_join_v2(_ roomId: UnsafePointer<CChar>?, _ info: voip_video_info_s,
                                _ status: iv_voip_called_status_e) -> Int32 {
    Int32(facade.doWxCloudVoipJoinV2(text(roomId) ?? "", VoipVideoInfo(), Int(status.rawValue)))
}

@_cdecl("iv_avt_voip_hang_up_v2")
public func iv_avt_voip_hang_up_v2() -> Int32 { Int32(facade.doWxCloudVoipHangUpV2()) }

@_cdecl("iv_avt_voip_is_busy_v2")
public func iv_avt_voip_is_busy_v2() -> Int32 { Int32(facade.isWxCloudVoipBusyV2()) }

@_cdecl("iv_avt_voip_exit_v2")
public func iv_avt_voip_exit_v2() -> Int32 { Int32(facade.exitWxCloudVoipV2()) }

/// Copies `s` into a fixed C char array as a NUL-terminated string, cut to fit.
private func copy<T>(_ s: String, into field: inout T) {
    withUnsafeMutableBytes(of: &field) { raw in
        let bytes = Array(s.utf8.prefix(raw.count - 1))
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
}

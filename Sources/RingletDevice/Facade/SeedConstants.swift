// The seed's constants (tencent-sdk-notes §2, §3) under their C names, so that device code written for the
// original SDK keeps compiling. Values are the seed's; the native API's types carry the same values.

// MARK: iv_err_code_e

/// Success.
public let IV_ERR_NONE = 0
/// Not supported.
public let IV_ERR_NOT_SUPPORT = -105
/// AV: busy — a call is in progress, or the send buffer is above the high mark.
public let IV_ERR_AVT_REQ_CHN_BUSY = -303
/// AV: the frame is larger than the maximum frame size.
public let IV_ERR_AVT_SEND_STREAM_TOO_BIG = -304
/// AV: the visitor, channel or stream type is not the started stream's.
public let IV_ERR_AVT_CHN_NOT_EXIT = -305
/// AV: the first video frame must be an IDR.
public let IV_ERR_AVT_NEED_IDR_FRAME = -306
/// AV: other failure (format other than the declared one, bad frame).
public let IV_ERR_AVT_FAILED = -308
/// AV: the video data cannot be carried (an H.264 profile other than Constrained Baseline).
public let IV_ERR_AVT_VIDEO_DATA_ERROR = -313
/// AV: a required argument is missing (empty).
public let IV_ERR_AVT_INPUT_PARAM_NULL = -309
/// AV / VoIP: not initialized, or an argument is invalid.
public let IV_ERR_AVT_INPUT_PARAM_INVAILD = -310
/// AV: the call is not in a state that allows this.
public let IV_ERR_AVT_STATE_ERROR = -312
/// The device is offline.
public let IV_ERR_DEVICE_OFFLINE = -1001

// MARK: iv_avt_event_e

public let IV_AVT_EVENT_P2P_PEER_READY = AVTNotification.peerReady.rawValue
public let IV_AVT_EVENT_P2P_PEER_CONNECT_FAIL = AVTNotification.peerConnectFail.rawValue
public let IV_AVT_EVENT_P2P_PEER_ERROR = AVTNotification.peerError.rawValue
public let IV_AVT_EVENT_P2P_WATERMARK_LOW = AVTNotification.watermarkLow.rawValue
public let IV_AVT_EVENT_P2P_WATERMARK_WARN = AVTNotification.watermarkWarn.rawValue
public let IV_AVT_EVENT_P2P_WATERMARK_HIGH = AVTNotification.watermarkHigh.rawValue
/// Ringlet's addition: the format `onGetAvEncInfo` returned is not the one the call negotiated (fires once).
public let IV_AVT_EVENT_FORMAT_MISMATCH = AVTNotification.formatMismatch.rawValue

// MARK: iv_avt_command_type_e

public let IV_AVT_COMMAND_USR_DATA = AVTCommand.userData.rawValue
public let IV_AVT_COMMAND_REQ_IFRAME = AVTCommand.requestIFrame.rawValue
public let IV_AVT_COMMAND_CALL_ANSWER = AVTCommand.callAnswer.rawValue
public let IV_AVT_COMMAND_CALL_HANG_UP = AVTCommand.callHangUp.rawValue
public let IV_AVT_COMMAND_CALL_REJECT = AVTCommand.callReject.rawValue
public let IV_AVT_COMMAND_CALL_CANCEL = AVTCommand.callCancel.rawValue
public let IV_AVT_COMMAND_CALL_BUSY = AVTCommand.callBusy.rawValue
public let IV_AVT_COMMAND_CALL_TIMEOUT = AVTCommand.callTimeout.rawValue
public let IV_AVT_COMMAND_CALL_AV_CLOSE = AVTCommand.callAVClose.rawValue
public let IV_AVT_COMMAND_CALL_AV_AUDIO_ONLY = AVTCommand.callAVAudioOnly.rawValue
public let IV_AVT_COMMAND_CALL_AV_VIDEO_ONLY = AVTCommand.callAVVideoOnly.rawValue
public let IV_AVT_COMMAND_CALL_AV_AUDIO_VIDEO = AVTCommand.callAVAudioVideo.rawValue

// MARK: iv_avt_stream_type_e, iv_avt_video_res_type_e

public let IV_AVT_STREAM_TYPE_AUDIO = 0
public let IV_AVT_STREAM_TYPE_VIDEO = 1
public let IV_AVT_STREAM_TYPE_AV = 2
public let IV_AVT_VIDEO_RES_FL = VideoResType.fluent.rawValue
public let IV_AVT_VIDEO_RES_SD = VideoResType.standard.rawValue
public let IV_AVT_VIDEO_RES_HD = VideoResType.high.rawValue
public let IV_AVT_VIDEO_RES_PB = VideoResType.playback.rawValue
public let IV_AVT_VIDEO_AUDIO = VideoResType.audioOnly.rawValue

// MARK: iv_cm_aenc_type_e, iv_cm_venc_type_e

public let IV_CM_AENC_TYPE_PCM = AudioEncoding.pcm.rawValue
public let IV_CM_AENC_TYPE_G711A = AudioEncoding.g711a.rawValue
public let IV_CM_AENC_TYPE_G711U = AudioEncoding.g711u.rawValue
public let IV_CM_AENC_TYPE_AAC = AudioEncoding.aac.rawValue
/// Ringlet's addition: Opus (RFC 7587).
public let IV_CM_AENC_TYPE_OPUS = AudioEncoding.opus.rawValue
public let IV_CM_VENC_TYPE_H264 = VideoEncoding.h264.rawValue
public let IV_CM_VENC_TYPE_H265 = VideoEncoding.h265.rawValue
public let IV_CM_VENC_TYPE_MJPG = VideoEncoding.mjpeg.rawValue

// MARK: iv_sys_offline_status_type_e

public let IV_SYS_OFFLINE_STATUS_RECONNECT = OfflineStatus.reconnecting.rawValue
public let IV_SYS_OFFLINE_STATUS_DISCONNECT = OfflineStatus.disconnected.rawValue

// MARK: voip_wxa_type_e, iv_voip_called_status_e, iv_cm_stream_type_e (CallType)

public let VOIP_WXA_TYPE_RELEASE = 0
public let VOIP_WXA_TYPE_DEBUG = 1
public let VOIP_WXA_TYPE_DEMO = 2
public let IV_VOIP_CALLED_STATUS_ACCEPT = 0
public let IV_VOIP_CALLED_STATUS_BUSY = 9
public let IV_VOIP_CALLED_STATUS_REFUSE = 11
public let IV_CM_STREAM_TYPE_AUDIO = 0
public let IV_CM_STREAM_TYPE_VIDEO = 1

// MARK: wx_error_t (VoIP v1 returns these; v2 returns -360 - value)

public let WXERROR_OK = 0
public let WXERROR_UNKNOWN = 2
public let WXERROR_INVALID_ARGUMENT = 3
public let WXERROR_TIMEOUT = 4
public let WXERROR_ALREADY_EXISTS = 6
public let WXERROR_FAILED_PRECONDITION = 9
public let WXERROR_UNAVAILABLE = 14
public let WXERROR_IO = 17
public let WXERROR_RESPONSE = 18
public let WXERROR_INVALID_DEVICEID = 19

// MARK: VoIP return codes of the call and register methods (tencent-sdk-notes §3.1)

public let VOIP_ERR_ROOM_ID = -1
public let VOIP_ERR_DEVICE_ID = -2
public let VOIP_ERR_OPENID = -7
public let VOIP_ERR_NOT_AUTHORIZED = -9
public let VOIP_ERR_RELEASE_NOT_APPROVED = -12
public let VOIP_ERR_QUOTA = -15
public let VOIP_ERR_MODEL_MISMATCH = -17
public let VOIP_ERR_OPENID_OTHER_APP = -19
public let VOIP_ERR_OPENID_INVALID = -20
public let VOIP_ERR_NOT_ACTIVATED = -350
public let VOIP_ERR_SN_TICKET = -10008
public let VOIP_ERR_SN_TOO_LONG = 9_800_001
public let VOIP_ERR_SN_CHARACTERS = 9_800_002
public let VOIP_ERR_MODEL_ID = 9_800_003

/*
 * ringlet_device.h — the C API of Ringlet's device SDK (libringlet_device, static and shared).
 *
 * It follows the C layer of the IoT video SDK's WeChat call module (the seed): the modules iv_sys, iv_dm, iv_avt
 * and iv_avt_voip, their function names, argument order, return codes and callback structs, as far as the
 * public notes know them (../shared/reference/tencent-sdk-notes.md §1–§2; docs/device-c-api.md lists each place
 * where this header differs and why). C99, no Swift type anywhere: a C program links it like any C library.
 *
 * Order: iv_sys_init → iv_dm_init → iv_avt_init → iv_avt_voip_init[_v2] → (iv_avt_voip_register) → calls …
 *        → iv_avt_voip_exit[_v2] → iv_avt_exit → iv_dm_exit → iv_sys_exit.
 *
 * Threads. Every function may be called from any thread of the application, concurrently. The functions the
 * seed documents as blocking (iv_avt_voip_register, iv_avt_voip_call[_v2], iv_avt_voip_join_v2,
 * iv_avt_voip_hang_up[_v2], iv_avt_voip_get_user_list_v2, the exits) return when their result is known; the
 * others (sends, status, busy) return at once. Callbacks come on one thread of the SDK, one at a time, in the
 * order of docs/device-sdk.md; they may call any function of the API, but must return quickly: a blocking
 * function called there holds every later callback up until it returns (call those from your own threads).
 *
 * Memory. Strings and buffers passed in are read during the call and not kept (the SDK copies what it needs);
 * pass NULL only where a parameter says so. Strings and buffers passed to a callback belong to the SDK and are
 * valid only until the callback returns: copy what you keep. Structs passed to iv_*_init are read during the call
 * (their callback pointers are kept). Nothing the API returns needs freeing.
 *
 * Clock. The library defines gettimeofday() for the whole process (libssl, libcrypto and the program's own calls
 * bind to it): it returns what glibc's does, except on the SDK's thread inside its DTLS calls, where it returns the
 * SDK's own monotonic clock so that DTLS retransmissions ignore wall-clock steps (docs/dtls.md, "Time"). Nothing
 * to do for the application; it is said here because it is the one symbol exported besides iv_*.
 *
 * Return codes are the seed's (iv_err_code_e below; VoIP calls also return the WeChat codes -1 … -20, -10008,
 * 9800001 … 9800003, and wx_error_t values, positive for v1 and -360 - value for v2).
 */
#ifndef RINGLET_DEVICE_H
#define RINGLET_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- iv_err.h -------------------------------------------------------------------------------------- */

typedef enum {
    IV_ERR_NONE = 0,
    IV_ERR_SYS_INIT_PRM_NULL = -100,          /* a required struct pointer is NULL */
    IV_ERR_SYS_INIT_CB_NULL = -101,           /* a required callback is NULL */
    IV_ERR_SYS_INIT_PRM_RANGE = -102,         /* SN, server or log level unusable */
    IV_ERR_NOT_SUPPORT = -105,
    IV_ERR_AVT_INIT_PRM_NULL = -300,
    IV_ERR_AVT_INIT_CB_NULL = -301,
    IV_ERR_AVT_INIT_PRM_RANGE = -302,         /* marks, frame size or declared encodings out of range */
    IV_ERR_AVT_REQ_CHN_BUSY = -303,           /* a call in progress; or the send queue above the high mark */
    IV_ERR_AVT_SEND_STREAM_TOO_BIG = -304,    /* a frame over max_frame_size */
    IV_ERR_AVT_CHN_NOT_EXIT = -305,           /* not the started stream's visitor, channel or type */
    IV_ERR_AVT_NEED_IDR_FRAME = -306,         /* the first video frame must be an IDR */
    IV_ERR_AVT_FAILED = -308,                 /* not the declared and negotiated format; other failure */
    IV_ERR_AVT_INPUT_PARAM_NULL = -309,       /* an empty frame */
    IV_ERR_AVT_INPUT_PARAM_INVAILD = -310,    /* not initialized, out of order, or a bad argument */
    IV_ERR_AVT_STATE_ERROR = -312,            /* twice; no call to hang up */
    IV_ERR_AVT_VIDEO_DATA_ERROR = -313,       /* an H.264 profile other than Constrained Baseline (High, Main) */
    IV_ERR_DEVICE_OFFLINE = -1001
} iv_err_code_e;

/* ---- iv_sys.h -------------------------------------------------------------------------------------- */

typedef enum {
    IV_SYS_OFFLINE_STATUS_RECONNECT = 0,      /* the SDK is reconnecting */
    IV_SYS_OFFLINE_STATUS_DISCONNECT = 1      /* offline, not trying */
} iv_sys_offline_status_type_e;

typedef struct {
    /* The device: its SN is "product_id_device_name" (device_name alone when product_id is "" or NULL). */
    const char *product_id;
    const char *device_name;
    const char *device_key;                   /* the seed's MQTT secret: not used (the device signs with its key) */
    const char *region;                       /* not used */
    /* Ringlet: the cloud service ("http://host:port" or "https://host:port"), required. */
    const char *server;
    /* Ringlet: the data folder (NULL: named by iv_avt_voip_init). When given, a registered device goes online
     * now (online_cb). */
    const char *data_path;
    /* Online: the server's time in ms since 1970. */
    void (*online_cb)(uint64_t net_time_ms);
    /* Offline: IV_SYS_OFFLINE_STATUS_*. */
    void (*offline_cb)(iv_sys_offline_status_type_e status);
    /* Module status bits (cloud storage, AI): never called (Ringlet has neither); may be NULL. */
    void (*module_status_cb)(int module_status);
} iv_sys_init_parm_s;

/* Starts the system module. Returns 0; -100 parm NULL; -101 online_cb or offline_cb NULL; -102 SN or server
 * unusable; -312 twice. */
int iv_sys_init(const iv_sys_init_parm_s *parm);
/* Stops it: offline, sockets closed (blocks until they are). 0; -310 not initialized; -312 iv_dm still up. */
int iv_sys_exit(void);
/* The SDK's log level: 0 disable, 1 error, 2 warn, 3 info, 4 debug (to standard error). 0; -102 out of range. */
int iv_sys_set_log_level(int level);

/* ---- iv_dm.h ----------------------------------------------------------------------------------------- */

/* The data model module (no things model in Ringlet: kept for the order). 0; -310 before iv_sys_init; -312. */
int iv_dm_init(void);
int iv_dm_exit(void);

/* ---- iv_av.h, iv_cm.h ----------------------------------------------------------------------------------- */

typedef enum {
    IV_AVT_EVENT_P2P_PEER_READY = 0,          /* online: calls may be placed */
    IV_AVT_EVENT_P2P_PEER_CONNECT_FAIL = 1,   /* the server cannot be reached */
    IV_AVT_EVENT_P2P_PEER_ERROR = 2,          /* an answered call's media never connected */
    IV_AVT_EVENT_P2P_WATERMARK_LOW = 4,       /* the send queue fell below the low mark: resume */
    IV_AVT_EVENT_P2P_WATERMARK_WARN = 5,      /* above the warn mark: lower the bitrate */
    IV_AVT_EVENT_P2P_WATERMARK_HIGH = 6,      /* above the high mark: sends return -303 until LOW */
    IV_AVT_EVENT_FORMAT_MISMATCH = 100        /* Ringlet: the declared format is not the negotiated one (once) */
} iv_avt_event_e;

typedef enum {
    IV_AVT_COMMAND_USR_DATA = 0,              /* args: the peer's text (const char *) */
    IV_AVT_COMMAND_REQ_IFRAME = 3,            /* encode an IDR next */
    IV_AVT_COMMAND_CALL_ANSWER = 14,
    IV_AVT_COMMAND_CALL_HANG_UP = 15,
    IV_AVT_COMMAND_CALL_REJECT = 16,
    IV_AVT_COMMAND_CALL_CANCEL = 17,
    IV_AVT_COMMAND_CALL_BUSY = 18,
    IV_AVT_COMMAND_CALL_TIMEOUT = 19,
    IV_AVT_COMMAND_CALL_AV_CLOSE = 20,
    IV_AVT_COMMAND_CALL_AV_AUDIO_ONLY = 21,
    IV_AVT_COMMAND_CALL_AV_VIDEO_ONLY = 22,
    IV_AVT_COMMAND_CALL_AV_AUDIO_VIDEO = 23
} iv_avt_command_type_e;

typedef enum {
    IV_AVT_STREAM_TYPE_AUDIO = 0,
    IV_AVT_STREAM_TYPE_VIDEO = 1,
    IV_AVT_STREAM_TYPE_AV = 2
} iv_avt_stream_type_e;

typedef enum {
    IV_AVT_VIDEO_RES_FL = 0,                  /* a video call's stream */
    IV_AVT_VIDEO_RES_SD = 1,
    IV_AVT_VIDEO_RES_HD = 2,
    IV_AVT_VIDEO_RES_PB = 3,
    IV_AVT_VIDEO_AUDIO = 4                    /* an audio stream: an audio call, or video declined by the peer */
} iv_avt_video_res_type_e;

typedef enum {
    IV_CM_AENC_TYPE_PCM = 0, IV_CM_AENC_TYPE_G711A = 1, IV_CM_AENC_TYPE_G711U = 2, IV_CM_AENC_TYPE_G726 = 3,
    IV_CM_AENC_TYPE_AAC = 4, IV_CM_AENC_TYPE_AMR = 5, IV_CM_AENC_TYPE_ADPCMA = 6,
    IV_CM_AENC_TYPE_OPUS = 7                  /* Ringlet: Opus (RFC 7587) */
} iv_cm_aenc_type_e;

typedef enum { IV_CM_VENC_TYPE_H264 = 0, IV_CM_VENC_TYPE_H265 = 1, IV_CM_VENC_TYPE_MJPG = 2 } iv_cm_venc_type_e;
typedef enum { IV_CM_FRAME_TYPE_I = 0, IV_CM_FRAME_TYPE_P = 1 } iv_cm_frame_type_e;
typedef enum { IV_CM_STREAM_TYPE_AUDIO = 0, IV_CM_STREAM_TYPE_VIDEO = 1 } iv_cm_stream_type_e;

/* What a stream carries (iv_cm_av_data_info_s). */
typedef struct {
    iv_cm_aenc_type_e eAudioType;
    uint32_t u32AudioCodecOption;             /* AAC subtype (AAC only) */
    uint32_t eAudioMode;                      /* 0 mono, 1 stereo */
    uint32_t eAudioBitWidth;                  /* 0 8-bit, 1 16-bit */
    uint32_t eAudioSampleRate;                /* Hz */
    uint32_t u32SampleNumPerFrame;
    iv_cm_venc_type_e eVideoType;
    uint32_t u32VideoWidth;
    uint32_t u32VideoHeight;
    uint32_t u32Framerate;
    uint32_t u32Reserve[4];
} iv_cm_av_data_info_s;

/* One encoded audio frame, and one piece (NAL units) of a video frame, as iv_avt_send_stream takes and
 * iv_avt_recv_stream_cb gives them. PTS in milliseconds on one clock for audio and video. */
typedef struct {
    uint8_t *pu8Addr;
    uint32_t u32Len;
    uint64_t u64PTS;
    uint32_t u32Seq;
} iv_cm_aenc_pack_s;

typedef struct {
    uint8_t *pu8Addr;
    uint32_t u32Len;
    uint64_t u64PTS;
    iv_cm_frame_type_e eFrameType;
    uint32_t u32Seq;
} iv_cm_venc_pack_s;

#define IV_CM_MAX_PACK_NUM 8

/* An audio stream: u32PackNum frames, each sent on its own. */
typedef struct {
    uint32_t u32PackNum;
    iv_cm_aenc_pack_s astPack[IV_CM_MAX_PACK_NUM];
} iv_cm_aenc_stream_s;

/* A video stream: one frame (an access unit, Annex B) made of u32PackNum pieces in order; PTS and frame type are
 * the first pack's. */
typedef struct {
    uint32_t u32PackNum;
    iv_cm_venc_pack_s astPack[IV_CM_MAX_PACK_NUM];
} iv_cm_venc_stream_s;

/* Congestion marks in bytes (congestion_ctrl_s); all 0 keeps 64 / 128 / 256 KiB. */
typedef struct {
    uint32_t low_mark;
    uint32_t warn_mark;
    uint32_t high_mark;
} congestion_ctrl_s;

typedef struct {
    uint32_t inst_net_rate;                   /* B/s sent over the last second */
    uint32_t ave_sent_rate;                   /* B/s the peer acknowledged over the last second */
    uint64_t sum_sent_acked;                  /* bytes acknowledged */
    uint32_t link_mode;                       /* 0 none, 1 direct, 2 relayed */
} iv_p2p_send_stats_s;

typedef struct {
    uint32_t max_frame_size;                  /* bytes; 0 keeps 512 KiB */
    congestion_ctrl_s congestion;
    /* Ringlet: what the device can send, in order of preference (offers list only these; the peer's choice
     * comes in iv_avt_get_av_enc_info_cb). NULL or 0: G.711 µ-law / H.264. */
    const iv_cm_aenc_type_e *send_audio_types;
    uint32_t send_audio_type_count;
    const iv_cm_venc_type_e *send_video_types;
    uint32_t send_video_type_count;

    /* What the device will send in this stream. av_data_info holds the negotiated format on entry: keep it
     * when the device can send every encoding it declared, or write what it sends. Return 0. Required. */
    int (*iv_avt_get_av_enc_info_cb)(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e video_res_type,
                                     iv_cm_av_data_info_s *av_data_info);
    /* Start sending with exactly this visitor, channel and type. args: NULL. Required. */
    void (*iv_avt_start_real_play_cb)(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e video_res_type,
                                      void *args);
    /* Stop sending. Required. */
    void (*iv_avt_stop_real_play_cb)(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e video_res_type);
    /* The peer's first frame of a kind arrived: its format. */
    int (*iv_avt_start_recv_stream_cb)(uint32_t visitor, uint32_t channel, iv_avt_stream_type_e stream_type,
                                       const iv_cm_av_data_info_s *av_data_info);
    /* The peer's streams ended. */
    int (*iv_avt_stop_recv_stream_cb)(uint32_t visitor, uint32_t channel, iv_avt_stream_type_e stream_type);
    /* One frame from the peer: p_stream is an iv_cm_aenc_stream_s or iv_cm_venc_stream_s with one pack. */
    int (*iv_avt_recv_stream_cb)(uint32_t visitor, uint32_t channel, iv_avt_stream_type_e stream_type,
                                 void *p_stream);
    /* An IV_AVT_EVENT_*. */
    void (*iv_avt_notify_cb)(iv_avt_event_e event, uint32_t visitor, uint32_t channel,
                             iv_avt_video_res_type_e video_res_type);
    /* An IV_AVT_COMMAND_*; args: USR_DATA's text (const char *), else NULL. The return value is not sent. */
    int (*iv_avt_recv_command_cb)(iv_avt_command_type_e command, uint32_t visitor, uint32_t channel,
                                  iv_avt_video_res_type_e video_res_type, void *args);
    /* The peer's public IP on the selected path. May be NULL. */
    void (*iv_avt_get_peer_outer_net_cb)(uint32_t visitor, uint32_t channel, const char *net_info);
} iv_avt_init_parm_s;

/* Starts the AV module (after iv_dm_init). 0; -300 parm NULL; -301 a required callback NULL; -302 marks, size
 * or declared encodings out of range; -310 out of order; -312 twice. */
int iv_avt_init(const iv_avt_init_parm_s *parm);
int iv_avt_exit(void);
/* Sends a stream of the started stream (stream_type AUDIO: an iv_cm_aenc_stream_s, VIDEO: an
 * iv_cm_venc_stream_s). Never blocks: the frame is checked and queued. 0; -309 empty or NULL; -305; -304;
 * -306; -313; -308; -303 (see iv_err_code_e); -310 before iv_avt_init. */
int iv_avt_send_stream(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e video_res_type,
                       iv_avt_stream_type_e stream_type, const void *pstream);
/* The send side of the started stream. 0; -305 not it; -309 stats NULL; -310. */
int iv_avt_get_send_stream_status(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e video_res_type,
                                  iv_p2p_send_stats_s *stats);
/* Bytes waiting in the send queue; -305; -310. */
int iv_avt_get_send_stream_buf(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e video_res_type);
/* Ends the device's sending; the call goes on. 0; -305; -310. */
int iv_avt_send_finish_stream(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e video_res_type);
/* A notice to the users who authorized the device (msg_id 6: doorbell pressed); asynchronous, 0 = queued.
 * utc_time_sec is not used (the server stamps it). -310; -1001 offline. */
int iv_msg_send_notice(int msg_id, uint64_t utc_time_sec);

/* ---- iv_voip.h ----------------------------------------------------------------------------------------- */

typedef enum { VOIP_WXA_TYPE_RELEASE = 0, VOIP_WXA_TYPE_DEBUG = 1, VOIP_WXA_TYPE_DEMO = 2 } voip_wxa_type_e;
typedef enum {
    IV_VOIP_CALLED_STATUS_ACCEPT = 0,
    IV_VOIP_CALLED_STATUS_BUSY = 9,
    IV_VOIP_CALLED_STATUS_REFUSE = 11
} iv_voip_called_status_e;

#define VOIP_MAX_ID_LEN 80

/* What the device wants to send and receive (accepted, not applied: the peer sends what WebRTC negotiated). */
typedef struct {
    iv_cm_venc_type_e send_v_enc;
    iv_cm_venc_type_e recv_v_enc;
    int recv_pixel;
    iv_cm_aenc_type_e recv_aenc;
    uint32_t u32Framerate;
    int recv_v_rot;
} voip_video_info_s;

typedef struct {
    char model_id[VOIP_MAX_ID_LEN];
    char device_id[VOIP_MAX_ID_LEN];
    int64_t expire_time;                      /* 0: no expiry (Ringlet has no licences) */
} voip_activate_info_s;

/* VoIP v2 callbacks; each returns 0. room_id / open_id are valid during the callback only. */
typedef struct {
    int (*update_authorize_status_cb)(const char *open_id, int status);   /* 1 authorized, 0 revoked */
    int (*join_notify_cb)(const char *room_id);                           /* a user calls: iv_avt_voip_join_v2 */
    int (*cancel_notify_cb)(const char *room_id);                         /* the user cancelled first */
} voip_callback_func_s;

/* v1. device_id is the SN. Returns 0, 9800001 / 9800002 / 9800003, wx_error_t (3, 19, 2, 6), -310. */
int iv_avt_voip_init(voip_wxa_type_e type, const char *data_path, const char *model_id, const char *device_id,
                     const char *wxa_appid);
/* *is_reg = 1 registered, 0 not. 0; -309 is_reg NULL; -310 before VoIP init. */
int iv_avt_voip_is_registered(int *is_reg);
/* Registers with an SN ticket (blocks). 0; -10008 bad ticket; 14 server unreachable; 17; 19; -310. */
int iv_avt_voip_register(const char *ticket);
/* Calls a user (blocks until the server rang the user, not until the answer). custom_message may be NULL.
 * 0; -20 bad open_id; -17 / -19 / -2 another model / app / SN; -310; -1001; -303; the server's code. */
int iv_avt_voip_call(iv_cm_stream_type_e type, const char *open_id, const char *device_id, const char *model_id,
                     const char *wxa_appid, const char *custom_message, voip_video_info_s v_info,
                     int caller_camera_switch, int callee_camera_switch);
/* Hangs up or cancels (blocks). 0; -312 no call; -310. */
int iv_avt_voip_hang_up(void);
/* 1 busy, 0 not; -310. */
int iv_avt_voip_is_busy(void);
int iv_avt_voip_exit(void);

/* v2 (codes in -360 - wx_error form). */
int iv_avt_voip_init_v2(voip_wxa_type_e type, const char *data_path, const char *model_id, const char *wxa_appid,
                        voip_callback_func_s callbacks);
int iv_avt_voip_activate_license_v2(int type);
/* Fills *info; -350 not registered; -309 info NULL; -310. */
int iv_avt_voip_get_active_device_info_v2(voip_activate_info_s *info);
/* Fills openid_list with at most `limit` (1…10) openIds from `offset` (NUL-terminated, at most 79 bytes each);
 * returns the total (blocks); -363 bad offset or limit; -309 openid_list NULL; -1001; -310. */
int iv_avt_voip_get_user_list_v2(int offset, int limit, char openid_list[][VOIP_MAX_ID_LEN]);
int iv_avt_voip_call_v2(iv_cm_stream_type_e type, const char *open_id, const char *custom_message,
                        voip_video_info_s v_info, int caller_camera_switch, int callee_camera_switch);
/* Answers a user's call (join_notify_cb): ACCEPT, BUSY or REFUSE. 0; -1 not the waiting room; -363; -1001. */
int iv_avt_voip_join_v2(const char *room_id, voip_video_info_s v_info, iv_voip_called_status_e status);
int iv_avt_voip_hang_up_v2(void);
int iv_avt_voip_is_busy_v2(void);
int iv_avt_voip_exit_v2(void);

#ifdef __cplusplus
}
#endif

#endif /* RINGLET_DEVICE_H */

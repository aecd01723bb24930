/*
 * doorbell — a doorbell written in C against Ringlet's device SDK (include/ringlet_device.h).
 *
 * It starts the modules in the seed's order, registers with an SN ticket (once: the credentials stay in DATA_DIR),
 * calls a user, streams H.264 (Annex B, one access unit per picture, at FPS, from an IDR on) and G.711 µ-law (raw,
 * 20 ms frames) with their timestamps, prints every callback, hangs up after SECONDS and stops the modules.
 * VIDEO and AUDIO are each a file (played in a loop), a FIFO, or "-" for standard input, read without blocking
 * the sending loop: an encoder can write into them live (docs/device-c-api.md has pipelines).
 *
 *   doorbell SERVER SN MODEL APP DATA_DIR TICKET OPENID VIDEO.h264|- AUDIO.ulaw|- [SECONDS [FPS]]
 *
 * Exit status: 0 when the call carried media both ways, 1 otherwise, 2 for bad arguments or files.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "ringlet_device.h"

/* What the callbacks (on the SDK's thread) and the main thread share, under `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int peer_ready;
static int streaming;                 /* between start_real_play and stop_real_play */
static int stream_ended;
static uint32_t stream_visitor, stream_channel;
static iv_avt_video_res_type_e stream_res;
static long received_video, received_audio;

static void say(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *format, ...) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    va_list args;
    va_start(args, format);
    printf("[%ld.%03ld] ", (long)now.tv_sec, now.tv_nsec / 1000000);
    vprintf(format, args);
    printf("\n");
    fflush(stdout);
    va_end(args);
}

/* ---- iv_sys callbacks ---- */

static void on_online(uint64_t net_time_ms) { say("cb online_cb time=%llu", (unsigned long long)net_time_ms); }
static void on_offline(iv_sys_offline_status_type_e status) { say("cb offline_cb status=%d", (int)status); }

/* ---- iv_avt callbacks ---- */

static int on_get_av_enc_info(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e res,
                              iv_cm_av_data_info_s *info) {
    /* The files are H.264 and G.711 µ-law, the only encodings declared: keep what was negotiated. */
    say("cb iv_avt_get_av_enc_info_cb visitor=%u channel=%u res=%d audio=%d rate=%u video=%d", visitor, channel,
        (int)res, (int)info->eAudioType, info->eAudioSampleRate, (int)info->eVideoType);
    return 0;
}

static void on_start_real_play(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e res, void *args) {
    (void)args;
    say("cb iv_avt_start_real_play_cb visitor=%u channel=%u res=%d", visitor, channel, (int)res);
    pthread_mutex_lock(&lock);
    streaming = 1;
    stream_visitor = visitor;
    stream_channel = channel;
    stream_res = res;
    pthread_mutex_unlock(&lock);
}

static void on_stop_real_play(uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e res) {
    say("cb iv_avt_stop_real_play_cb visitor=%u channel=%u res=%d", visitor, channel, (int)res);
    pthread_mutex_lock(&lock);
    streaming = 0;
    stream_ended = 1;
    pthread_mutex_unlock(&lock);
}

static int on_start_recv_stream(uint32_t visitor, uint32_t channel, iv_avt_stream_type_e type,
                                const iv_cm_av_data_info_s *info) {
    if (type == IV_AVT_STREAM_TYPE_AUDIO) {
        say("cb iv_avt_start_recv_stream_cb visitor=%u channel=%u type=audio codec=%d rate=%u", visitor, channel,
            (int)info->eAudioType, info->eAudioSampleRate);
    } else {
        say("cb iv_avt_start_recv_stream_cb visitor=%u channel=%u type=video codec=%d", visitor, channel,
            (int)info->eVideoType);
    }
    return 0;
}

static int on_stop_recv_stream(uint32_t visitor, uint32_t channel, iv_avt_stream_type_e type) {
    say("cb iv_avt_stop_recv_stream_cb visitor=%u channel=%u type=%d", visitor, channel, (int)type);
    return 0;
}

static int on_recv_stream(uint32_t visitor, uint32_t channel, iv_avt_stream_type_e type, void *p_stream) {
    long n;
    pthread_mutex_lock(&lock);
    if (type == IV_AVT_STREAM_TYPE_VIDEO) {
        n = ++received_video;
    } else {
        n = ++received_audio;
    }
    pthread_mutex_unlock(&lock);
    if (n == 1 || n % 100 == 0) {
        /* Every frame is a callback; the first and every 100th are printed. */
        if (type == IV_AVT_STREAM_TYPE_VIDEO) {
            const iv_cm_venc_stream_s *s = p_stream;
            say("cb iv_avt_recv_stream_cb visitor=%u channel=%u video #%ld bytes=%u pts=%llu key=%d", visitor, channel,
                n, s->astPack[0].u32Len, (unsigned long long)s->astPack[0].u64PTS,
                s->astPack[0].eFrameType == IV_CM_FRAME_TYPE_I);
        } else {
            const iv_cm_aenc_stream_s *s = p_stream;
            say("cb iv_avt_recv_stream_cb visitor=%u channel=%u audio #%ld bytes=%u pts=%llu", visitor, channel, n,
                s->astPack[0].u32Len, (unsigned long long)s->astPack[0].u64PTS);
        }
    }
    return 0;
}

static const char *event_name(iv_avt_event_e e) {
    switch (e) {
    case IV_AVT_EVENT_P2P_PEER_READY: return "P2P_PEER_READY";
    case IV_AVT_EVENT_P2P_PEER_CONNECT_FAIL: return "P2P_PEER_CONNECT_FAIL";
    case IV_AVT_EVENT_P2P_PEER_ERROR: return "P2P_PEER_ERROR";
    case IV_AVT_EVENT_P2P_WATERMARK_LOW: return "P2P_WATERMARK_LOW";
    case IV_AVT_EVENT_P2P_WATERMARK_WARN: return "P2P_WATERMARK_WARN";
    case IV_AVT_EVENT_P2P_WATERMARK_HIGH: return "P2P_WATERMARK_HIGH";
    case IV_AVT_EVENT_FORMAT_MISMATCH: return "FORMAT_MISMATCH";
    }
    return "?";
}

static void on_notify(iv_avt_event_e event, uint32_t visitor, uint32_t channel, iv_avt_video_res_type_e res) {
    say("cb iv_avt_notify_cb event=%s visitor=%u channel=%u res=%d", event_name(event), visitor, channel, (int)res);
    if (event == IV_AVT_EVENT_P2P_PEER_READY) {
        pthread_mutex_lock(&lock);
        peer_ready = 1;
        pthread_mutex_unlock(&lock);
    }
}

static const char *command_name(iv_avt_command_type_e c) {
    switch (c) {
    case IV_AVT_COMMAND_USR_DATA: return "USR_DATA";
    case IV_AVT_COMMAND_REQ_IFRAME: return "REQ_IFRAME";
    case IV_AVT_COMMAND_CALL_ANSWER: return "CALL_ANSWER";
    case IV_AVT_COMMAND_CALL_HANG_UP: return "CALL_HANG_UP";
    case IV_AVT_COMMAND_CALL_REJECT: return "CALL_REJECT";
    case IV_AVT_COMMAND_CALL_CANCEL: return "CALL_CANCEL";
    case IV_AVT_COMMAND_CALL_BUSY: return "CALL_BUSY";
    case IV_AVT_COMMAND_CALL_TIMEOUT: return "CALL_TIMEOUT";
    case IV_AVT_COMMAND_CALL_AV_CLOSE: return "CALL_AV_CLOSE";
    case IV_AVT_COMMAND_CALL_AV_AUDIO_ONLY: return "CALL_AV_AUDIO_ONLY";
    case IV_AVT_COMMAND_CALL_AV_VIDEO_ONLY: return "CALL_AV_VIDEO_ONLY";
    case IV_AVT_COMMAND_CALL_AV_AUDIO_VIDEO: return "CALL_AV_AUDIO_VIDEO";
    }
    return "?";
}

static int on_recv_command(iv_avt_command_type_e command, uint32_t visitor, uint32_t channel,
                           iv_avt_video_res_type_e res, void *args) {
    say("cb iv_avt_recv_command_cb command=%s visitor=%u channel=%u res=%d args=%s", command_name(command), visitor,
        channel, (int)res, args ? (const char *)args : "");
    if (command == IV_AVT_COMMAND_CALL_REJECT || command == IV_AVT_COMMAND_CALL_BUSY ||
        command == IV_AVT_COMMAND_CALL_TIMEOUT) {
        pthread_mutex_lock(&lock);
        stream_ended = 1;
        pthread_mutex_unlock(&lock);
    }
    return 0;
}

static void on_peer_outer_net(uint32_t visitor, uint32_t channel, const char *net_info) {
    say("cb iv_avt_get_peer_outer_net_cb visitor=%u channel=%u net=%s", visitor, channel, net_info);
}

/* ---- VoIP v2 callbacks ---- */

static int on_authorize(const char *open_id, int status) {
    say("cb update_authorize_status_cb open_id=%s status=%d", open_id, status);
    return 0;
}

static int on_join(const char *room_id) {
    say("cb join_notify_cb room=%s (this doorbell only calls)", room_id);
    return 0;
}

static int on_cancel(const char *room_id) {
    say("cb cancel_notify_cb room=%s", room_id);
    return 0;
}

/* ---- media input: a file (looped), a FIFO or standard input ("-") ---- */

/* Bytes read from one input and not yet handed out. The sending loop never waits for it: the descriptor is
 * non-blocking and each turn reads what is there. At most INPUT_LIMIT bytes wait; beyond, reading pauses, so a
 * pipe fills and the encoder behind it waits (backpressure). */
#define INPUT_LIMIT (4u << 20)

typedef struct {
    const char *path;
    int fd;
    int regular;        /* a regular file: read again from its start at its end */
    int at_end;         /* the end of the file, or the writer of a pipe closed it */
    uint8_t *bytes;
    size_t start, len;  /* the waiting bytes are bytes[start ..< len] */
} input;

/* Opens PATH ("-": standard input). A FIFO's open waits for its writer, as the seed's examples do. */
static int input_open(input *in, const char *path) {
    memset(in, 0, sizeof *in);
    in->path = path;
    in->fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
    if (in->fd < 0) return -1;
    struct stat st;
    if (fstat(in->fd, &st) != 0) return -1;
    in->regular = S_ISREG(st.st_mode);
    int flags = fcntl(in->fd, F_GETFL);
    if (flags < 0 || fcntl(in->fd, F_SETFL, flags | O_NONBLOCK) != 0) return -1;
    in->bytes = malloc(INPUT_LIMIT);
    return in->bytes ? 0 : -1;
}

static void input_close(input *in) {
    if (in->fd > STDIN_FILENO) close(in->fd);
    free(in->bytes);
    in->bytes = NULL;
}

/* Reads what is there without waiting: at most 256 KiB a turn, and never more than the limit waiting. Moves the
 * waiting bytes to the front first when that makes room (offsets into the buffer change only here). */
static void input_fill(input *in) {
    if (in->start > 0 && (in->start == in->len || in->start > INPUT_LIMIT / 2 || in->len == INPUT_LIMIT)) {
        memmove(in->bytes, in->bytes + in->start, in->len - in->start);
        in->len -= in->start;
        in->start = 0;
    }
    size_t budget = 256u << 10;
    while (!in->at_end && in->len < INPUT_LIMIT && budget > 0) {
        size_t room = INPUT_LIMIT - in->len;
        ssize_t n = read(in->fd, in->bytes + in->len, room < budget ? room : budget);
        if (n > 0) {
            in->len += (size_t)n;
            budget -= (size_t)n;
        } else if (n == 0) {
            in->at_end = 1;
        } else if (errno != EINTR) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) in->at_end = 1;
            break;
        }
    }
}

/* Once everything of a file is handed out: its start again (a pipe stays ended). */
static void input_rewind_if_done(input *in) {
    if (in->regular && in->at_end && in->start == in->len && lseek(in->fd, 0, SEEK_SET) == 0) {
        in->start = in->len = 0;
        in->at_end = 0;
    }
}

/* The offset of the next start code (00 00 01) in bytes[from ..< len], or len. */
static size_t next_start_code(const input *in, size_t from) {
    for (size_t i = from; i + 2 < in->len; i++) {
        if (in->bytes[i] == 0 && in->bytes[i + 1] == 0 && in->bytes[i + 2] == 1) return i;
    }
    return in->len;
}

/* The next whole H.264 access unit (Annex B), if it has arrived: the NAL units up to the one that starts the next
 * picture (an AUD, SEI, SPS or PPS, or a slice whose first_mb_in_slice is 0, after this picture's slices — H.264
 * 7.4.1.2.3). Sets *key for a picture with an IDR slice. Returns its length, 0 when it is not whole yet (or the
 * input ended). A unit over the limit is skipped. Reads nothing: input_fill does. */
static size_t next_access_unit(input *in, const uint8_t **unit, int *key) {
    size_t begin = next_start_code(in, in->start), i = begin;
    if (begin > in->start && in->bytes[begin - 1] == 0) begin--;  /* keep a 4-byte start code whole */
    int slices = 0;
    *key = 0;
    for (;;) {
        if (i >= in->len) break;                         /* no more start codes */
        size_t header = i + 3;
        if (header + 1 >= in->len) break;                /* the NAL header has not arrived */
        int type = in->bytes[header] & 0x1F;
        int starts_picture = (type >= 6 && type <= 9) || ((type == 1 || type == 5) && (in->bytes[header + 1] & 0x80));
        if (slices > 0 && starts_picture) {
            /* The unit ends before this NAL's start code (and the zero byte of a 4-byte one). */
            size_t end = i;
            if (end > begin && in->bytes[end - 1] == 0) end--;
            *unit = in->bytes + begin;
            in->start = end;
            return end - begin;
        }
        if (type >= 1 && type <= 5) slices++;
        if (type == 5) *key = 1;
        i = next_start_code(in, header);
    }
    if (in->at_end && slices > 0) {
        /* The input's last picture ends with it. */
        *unit = in->bytes + begin;
        in->start = in->len;
        return in->len - begin;
    }
    if (in->at_end) {
        in->start = in->len;
        input_rewind_if_done(in);
    } else if (in->len - in->start >= INPUT_LIMIT) {
        say("video input: an access unit over %u bytes, skipped", INPUT_LIMIT);
        in->start = in->len;
    }
    return 0;
}

/* The next 20 ms of G.711 (160 bytes), if they have arrived. A file's tail shorter than a frame is dropped. */
static const uint8_t *next_audio_frame(input *in) {
    if (in->len - in->start >= 160) {
        const uint8_t *frame = in->bytes + in->start;
        in->start += 160;
        return frame;
    }
    if (in->at_end) {
        in->start = in->len;
        input_rewind_if_done(in);
    }
    return NULL;
}

/* A live video input (FIFO, pipe) between calls: only the newest group of pictures is kept — from the last whole
 * IDR picture on — so a call starts with the current picture, not a backlog. */
static void input_keep_newest_pictures(input *in) {
    size_t from = in->start, newest_key = (size_t)-1;
    for (;;) {
        size_t at = in->start;
        const uint8_t *unit;
        int key;
        if (next_access_unit(in, &unit, &key) == 0) break;
        if (key) newest_key = at;
    }
    in->start = newest_key != (size_t)-1 ? newest_key : from;
}

/* A live audio input between calls: only its newest 200 ms are kept. */
static void input_keep_newest_audio(input *in) {
    if (in->len - in->start > 1600) in->start = in->len - 1600;
}

/* The whole pictures waiting in a video input (nothing handed out). */
static long input_pictures_waiting(input *in) {
    size_t from = in->start;
    long n = 0;
    const uint8_t *unit;
    int key;
    while (next_access_unit(in, &unit, &key) > 0) n++;
    in->start = from;
    return n;
}

/* The inputs the main thread keeps reading while it waits (live ones only: a file waits where it is). */
static input *live_video, *live_audio;

static void read_live_inputs(void) {
    if (live_video && !live_video->at_end) {
        input_fill(live_video);
        input_keep_newest_pictures(live_video);
    }
    if (live_audio && !live_audio->at_end) {
        input_fill(live_audio);
        input_keep_newest_audio(live_audio);
    }
}

static double seconds_since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) == -1 && errno == EINTR) {
    }
}

/* Waits (up to `seconds`) until *flag is set. */
static int wait_for(int *flag, double seconds) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pthread_mutex_lock(&lock);
        int set = *flag;
        pthread_mutex_unlock(&lock);
        if (set) return 1;
        if (seconds_since(&t0) > seconds) return 0;
        read_live_inputs();
        sleep_ms(20);
    }
}

/* Streams both inputs for `seconds` (or until the stream stops): video from an IDR on, one access unit every
 * 1/fps, audio every 20 ms, PTS in ms on one clock. A frame that has not arrived (a live input behind) is sent
 * when it does. Returns the frames sent. */
static long stream_media(input *video, input *audio, double seconds, double fps, long *refused) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long video_frames = 0, audio_frames = 0, sent = 0, skipped = 0;
    int have_key = 0, video_done = 0, audio_done = 0;
    /* A live input's kept pictures and audio go out at once, then the stream's pace: the peer sees the current
     * picture. */
    long video_backlog = 0, audio_backlog = 0;
    if (!video->regular) {
        input_fill(video);
        video_backlog = input_pictures_waiting(video);
    }
    if (!audio->regular) {
        input_fill(audio);
        audio_backlog = (long)((audio->len - audio->start) / 160);
    }
    *refused = 0;
    for (;;) {
        double elapsed = seconds_since(&t0);
        pthread_mutex_lock(&lock);
        int on = streaming;
        uint32_t visitor = stream_visitor, channel = stream_channel;
        iv_avt_video_res_type_e res = stream_res;
        pthread_mutex_unlock(&lock);
        if (!on || elapsed >= seconds) break;
        input_fill(video);
        input_fill(audio);
        while (!video_done && (double)(video_frames - video_backlog) / fps <= elapsed) {
            const uint8_t *unit;
            int key;
            size_t len = next_access_unit(video, &unit, &key);
            if (len == 0) {
                if (video->at_end && !video->regular) {
                    say("video input ended");
                    video_done = 1;
                }
                break;
            }
            if (!have_key && !key) {
                skipped++;   /* IDR first: what comes before the first IDR cannot be decoded */
                continue;
            }
            have_key = 1;
            iv_cm_venc_stream_s s;
            memset(&s, 0, sizeof s);
            s.u32PackNum = 1;
            s.astPack[0].pu8Addr = (uint8_t *)unit;
            s.astPack[0].u32Len = (uint32_t)len;
            s.astPack[0].u64PTS = (uint64_t)((double)video_frames * 1000.0 / fps);
            s.astPack[0].eFrameType = key ? IV_CM_FRAME_TYPE_I : IV_CM_FRAME_TYPE_P;
            s.astPack[0].u32Seq = (uint32_t)video_frames;
            int code = iv_avt_send_stream(visitor, channel, res, IV_AVT_STREAM_TYPE_VIDEO, &s);
            if (code == 0) sent++; else (*refused)++;
            if (code != 0 && *refused <= 3) say("send video frame %ld: %d", video_frames, code);
            video_frames++;
        }
        while (!audio_done && (double)(audio_frames - audio_backlog) * 0.020 <= elapsed) {
            const uint8_t *frame = next_audio_frame(audio);
            if (!frame) {
                if (audio->at_end && !audio->regular) {
                    say("audio input ended");
                    audio_done = 1;
                }
                break;
            }
            iv_cm_aenc_stream_s s;
            memset(&s, 0, sizeof s);
            s.u32PackNum = 1;
            s.astPack[0].pu8Addr = (uint8_t *)frame;
            s.astPack[0].u32Len = 160;
            s.astPack[0].u64PTS = (uint64_t)audio_frames * 20;
            s.astPack[0].u32Seq = (uint32_t)audio_frames;
            int code = iv_avt_send_stream(visitor, channel, res, IV_AVT_STREAM_TYPE_AUDIO, &s);
            if (code == 0) sent++; else (*refused)++;
            if (code != 0 && *refused <= 3) say("send audio frame %ld: %d", audio_frames, code);
            audio_frames++;
        }
        sleep_ms(5);
    }
    say("sent video=%ld audio=%ld refused=%ld skipped-before-idr=%ld", video_frames, audio_frames, *refused, skipped);
    return sent;
}

int main(int argc, char **argv) {
    if (argc < 10) {
        fprintf(stderr, "usage: %s SERVER SN MODEL APP DATA_DIR TICKET OPENID VIDEO.h264|- AUDIO.ulaw|- [SECONDS [FPS]]\n",
                argv[0]);
        return 2;
    }
    const char *server = argv[1], *sn = argv[2], *model = argv[3], *app = argv[4], *data_dir = argv[5];
    const char *ticket = argv[6], *open_id = argv[7];
    double seconds = argc > 10 ? atof(argv[10]) : 5;
    double fps = argc > 11 ? atof(argv[11]) : 15;
    if (fps <= 0) {
        fprintf(stderr, "FPS must be positive\n");
        return 2;
    }
    /* Opened before anything else: a FIFO's writer waits for this reader, and a pipe is read from the call on. */
    input video, audio;
    if (input_open(&video, argv[8]) != 0) {
        fprintf(stderr, "cannot open %s: %s\n", argv[8], strerror(errno));
        return 2;
    }
    if (input_open(&audio, argv[9]) != 0) {
        fprintf(stderr, "cannot open %s: %s\n", argv[9], strerror(errno));
        input_close(&video);
        return 2;
    }
    live_video = video.regular ? NULL : &video;
    live_audio = audio.regular ? NULL : &audio;

    iv_sys_set_log_level(2);
    iv_sys_init_parm_s sys;
    memset(&sys, 0, sizeof sys);
    sys.device_name = sn;
    sys.server = server;
    sys.online_cb = on_online;
    sys.offline_cb = on_offline;
    say("iv_sys_init %d", iv_sys_init(&sys));
    say("iv_dm_init %d", iv_dm_init());

    static const iv_cm_aenc_type_e audio_types[] = {IV_CM_AENC_TYPE_G711U};
    static const iv_cm_venc_type_e video_types[] = {IV_CM_VENC_TYPE_H264};
    iv_avt_init_parm_s avt;
    memset(&avt, 0, sizeof avt);
    avt.send_audio_types = audio_types;
    avt.send_audio_type_count = 1;
    avt.send_video_types = video_types;
    avt.send_video_type_count = 1;
    avt.iv_avt_get_av_enc_info_cb = on_get_av_enc_info;
    avt.iv_avt_start_real_play_cb = on_start_real_play;
    avt.iv_avt_stop_real_play_cb = on_stop_real_play;
    avt.iv_avt_start_recv_stream_cb = on_start_recv_stream;
    avt.iv_avt_stop_recv_stream_cb = on_stop_recv_stream;
    avt.iv_avt_recv_stream_cb = on_recv_stream;
    avt.iv_avt_notify_cb = on_notify;
    avt.iv_avt_recv_command_cb = on_recv_command;
    avt.iv_avt_get_peer_outer_net_cb = on_peer_outer_net;
    say("iv_avt_init %d", iv_avt_init(&avt));

    voip_callback_func_s voip = {on_authorize, on_join, on_cancel};
    say("iv_avt_voip_init_v2 %d", iv_avt_voip_init_v2(VOIP_WXA_TYPE_RELEASE, data_dir, model, app, voip));
    int registered = 0;
    say("iv_avt_voip_is_registered %d registered=%d", iv_avt_voip_is_registered(&registered), registered);
    if (!registered) say("iv_avt_voip_register %d", iv_avt_voip_register(ticket));

    int ok = 0;
    if (wait_for(&peer_ready, 60)) {
        voip_video_info_s info;
        memset(&info, 0, sizeof info);
        int code = iv_avt_voip_call_v2(IV_CM_STREAM_TYPE_VIDEO, open_id, "", info, 1, 1);
        say("iv_avt_voip_call_v2 %d", code);
        if (code == 0 && wait_for(&streaming, 60)) {
            long refused;
            long sent = stream_media(&video, &audio, seconds, fps, &refused);
            pthread_mutex_lock(&lock);
            uint32_t visitor = stream_visitor, channel = stream_channel;
            iv_avt_video_res_type_e res = stream_res;
            pthread_mutex_unlock(&lock);
            iv_p2p_send_stats_s stats;
            memset(&stats, 0, sizeof stats);
            int status = iv_avt_get_send_stream_status(visitor, channel, res, &stats);
            say("iv_avt_get_send_stream_status %d link=%u rate=%u acked=%llu buf=%d", status, stats.link_mode,
                stats.inst_net_rate, (unsigned long long)stats.sum_sent_acked,
                iv_avt_get_send_stream_buf(visitor, channel, res));
            say("iv_avt_voip_hang_up_v2 %d", iv_avt_voip_hang_up_v2());
            wait_for(&stream_ended, 15);
            pthread_mutex_lock(&lock);
            say("received video=%ld audio=%ld", received_video, received_audio);
            ok = sent > 0 && received_video > 0 && received_audio > 0;
            pthread_mutex_unlock(&lock);
        }
    } else {
        say("not online within 60 s");
    }

    say("iv_avt_voip_exit_v2 %d", iv_avt_voip_exit_v2());
    say("iv_avt_exit %d", iv_avt_exit());
    say("iv_dm_exit %d", iv_dm_exit());
    say("iv_sys_exit %d", iv_sys_exit());
    input_close(&video);
    input_close(&audio);
    say(ok ? "doorbell: the call carried media both ways" : "doorbell: the call failed");
    return ok ? 0 : 1;
}

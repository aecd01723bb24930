import RingletDevice

/// The seed's result codes that `ringlet device` can print, in words: what happened and what to do
/// (docs/device-sdk.md lists them). The tool initializes the media modules (`iv_err_code_e`, negative -1xx/-3xx)
/// and VoIP v2 (`-360 - wx_error`, the WeChat call codes, the server's refusals), so these are the codes of
/// those two families.
package enum SeedCodeText {
    /// `code` with its meaning, e.g. `-10008: the SN ticket is …  — issue a new one with …`; nil for 0.
    package static func describe(_ code: Int) -> String? {
        guard code != IV_ERR_NONE else { return nil }
        guard let (meaning, action) = table[code] else {
            return "\(code): not a code ringlet device knows — see docs/device-sdk.md"
        }
        return action.isEmpty ? "\(code): \(meaning)" : "\(code): \(meaning) — \(action)"
    }

    /// Every code the table explains (for its test).
    package static var knownCodes: [Int] { table.keys.sorted() }

    private static let reRegister = "reset it with ringlet admin device reset --sn SN, delete the credentials "
        + "file in --data-dir and register again with a new ticket"

    private static let table: [Int: (String, String)] = [
        // iv_err_code_e (initIvSystem, initIvDm, initIvAvt, sending).
        -101: ("no device callback was given to initIvSystem", "a bug in the program"),
        -102: ("the SN or the server address is unusable",
               "--sn takes at most 128 letters, digits, _ and -; --server is http(s)://host:port"),
        -105: ("not supported by Ringlet", "see docs/device-sdk.md, \"Not provided\""),
        -301: ("no AV callback was given to initIvAvt", "a bug in the program"),
        -302: ("the congestion marks or frame size given to initIvAvt are out of range", ""),
        -303: ("busy: a call is already ringing or in progress here, or the user is in a call",
               "hang up (hangup) or wait until it ends"),
        -304: ("the frame is larger than the maximum frame size", "lower the encoder's bitrate"),
        -305: ("no stream is started for that visitor and channel", "send only between onStartRealPlay and onStopRealPlay"),
        -306: ("the first video frame must be an IDR (keyframe)", "ask the encoder for an IDR"),
        -308: ("refused: the callee has no open page of the web app and no push subscription on this channel, or "
                + "the media is not in the negotiated format (onGetAvEncInfo says which)",
               "sign in to the web app (or turn on \"Ring this phone\") and keep it open, then call again"),
        -309: ("an empty argument or frame", ""),
        -310: ("not initialized or not registered yet", "register first: pass --ticket with a fresh SN ticket"),
        -312: ("not possible in this state (initialized twice, or there is no call to hang up)", ""),
        -313: ("the video is not Constrained Baseline H.264, which browsers may not decode",
               "encode baseline (ffmpeg: -profile:v baseline; x264: --profile baseline)"),
        -1001: ("offline: the device is not connected to the server",
                "check that ringlet serve runs at --server and that this machine reaches it"),
        // The WeChat call codes (doWxCloudVoipCallV2, doWxCloudVoipJoinV2) and the server's refusals.
        -1: ("no such call is waiting to be answered", "answer (accept) only after onJoinNotify"),
        -2: ("the SN is not the one the device was initialized with", ""),
        -7: ("the openId is not a user of this app",
             "copy the openId from the web app's Account tab (it starts with oid_)"),
        -9: ("this user has not authorized the device",
             "in the web app, Devices → Authorize a device, with the SN and a ticket (ringlet admin ticket issue)"),
        -12: ("the app may not place calls on the release channel yet",
              "approve it: PATCH /v1/apps/{appId} {\"releaseApproved\": true} as the operator"),
        -15: ("the app has used up its call quota",
              "raise it: PATCH /v1/apps/{appId} {\"callQuota\": null} as the operator"),
        -17: ("the device is registered under another model than --model",
              "pass the --model the ticket was issued for"),
        -19: ("the openId or device belongs to another app", "use an openId of the device's app (--app)"),
        -20: ("the openId is malformed (oid_ followed by 24 hex digits)", "copy it again from the web app's Account tab"),
        -350: ("the device is not registered", "register it: pass --ticket with a fresh SN ticket"),
        -10008: ("the SN ticket is unknown, expired (tickets last 5 minutes) or already used",
                 "issue a new one with ringlet admin ticket issue --sn SN; a registered device needs no ticket"),
        // VoIP v2: -360 - wx_error.
        -362: ("the credentials file in --data-dir is damaged", reRegister),
        -363: ("an argument is invalid (callType, customMsg over 256 bytes, join reply, channel)", ""),
        -364: ("the server did not answer in time", "check the server (ringlet serve) and the network, then retry"),
        -366: ("VoIP is initialized already", ""),
        -369: ("not possible now (a precondition failed)", ""),
        -374: ("the server cannot be reached", "check that ringlet serve runs at --server"),
        -377: ("the credentials file could not be written", "make --data-dir writable (and not full)"),
        -378: ("the server answered something unexpected", "check that --server is a Ringlet server"),
        -379: ("the credentials or the server's record are for another SN, model or app",
               "pass the --model and --app the device was registered with, or " + reRegister),
        // The seed's SN and model checks.
        9_800_001: ("the SN is longer than 128 bytes", "use a shorter --sn"),
        9_800_002: ("the SN may only contain letters, digits, _ and -", "fix --sn"),
        9_800_003: ("the model id is invalid ([A-Za-z0-9_-], at most 64)", "fix --model"),
    ]
}

/// The one table from the native API's errors to the seed's integer codes (tencent-sdk-notes §3).
///
/// The seed's methods come in families with their own code spaces: the AV methods return `iv_err_code_e`
/// (negative, -3xx), VoIP v1 returns `wx_error_t` (positive) besides the WeChat call codes, VoIP v2 returns
/// `-360 - wx_error` for the same cases. A server refusal carries its seed code, which is returned as it is.
enum SeedResultCodes {
    /// Which family of methods is asking.
    enum Family {
        /// `initIvSystem`, `initIvDm`, `initIvAvt` and the send / stream methods.
        case media
        /// VoIP v1 (`initWxCloudVoip`, `registerAvtVoip`, `doWxCloudVoipCall`, …).
        case voip1
        /// VoIP v2 (`…V2`).
        case voip2
    }

    /// A `wx_error_t` value in the family's form (v1 as it is, v2 as `-360 - value`).
    static func wx(_ value: Int, _ family: Family) -> Int {
        family == .voip2 ? -360 - value : value
    }

    /// The seed's code for `error` in `family`.
    static func code(for error: DeviceError, in family: Family) -> Int {
        if let seed = error.seedCode, error.code == .refused || error.code == .busy || error.code == .ticketInvalid {
            return Int(seed.rawValue)
        }
        switch error.code {
        case .snTooLong: return VOIP_ERR_SN_TOO_LONG
        case .snCharacters: return VOIP_ERR_SN_CHARACTERS
        case .modelInvalid: return VOIP_ERR_MODEL_ID
        case .ticketInvalid: return VOIP_ERR_SN_TICKET
        case .busy, .sendBufferFull: return IV_ERR_AVT_REQ_CHN_BUSY
        case .noStream: return IV_ERR_AVT_CHN_NOT_EXIT
        case .frameTooLarge: return IV_ERR_AVT_SEND_STREAM_TOO_BIG
        case .needKeyframe: return IV_ERR_AVT_NEED_IDR_FRAME
        case .formatMismatch, .invalidFrame: return IV_ERR_AVT_FAILED
        case .unsupportedProfile: return IV_ERR_AVT_VIDEO_DATA_ERROR
        case .offline: return IV_ERR_DEVICE_OFFLINE
        case .unknownCall: return VOIP_ERR_ROOM_ID
        case .noCall: return IV_ERR_AVT_STATE_ERROR
        case .wouldBlock: return family == .media ? IV_ERR_AVT_STATE_ERROR : wx(WXERROR_FAILED_PRECONDITION, family)
        case .notRegistered, .stopped: return IV_ERR_AVT_INPUT_PARAM_INVAILD
        case .refused: return IV_ERR_AVT_FAILED
        default: break
        }
        switch family {
        case .media:
            switch error.code {
            case .invalidArgument: return IV_ERR_AVT_INPUT_PARAM_INVAILD
            default: return IV_ERR_AVT_FAILED
            }
        case .voip1, .voip2:
            switch error.code {
            case .invalidArgument: return wx(WXERROR_INVALID_ARGUMENT, family)
            case .identityMismatch: return wx(WXERROR_INVALID_DEVICEID, family)
            case .credentialsCorrupt: return wx(WXERROR_UNKNOWN, family)
            case .storageFailed: return wx(WXERROR_IO, family)
            case .timeout: return wx(WXERROR_TIMEOUT, family)
            case .serverError: return wx(WXERROR_RESPONSE, family)
            default: return IV_ERR_AVT_FAILED
            }
        }
    }
}

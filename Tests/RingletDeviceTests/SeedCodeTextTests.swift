import RingletDevice
import RingletDeviceTool
import RingletSignaling
import Testing

@Suite("ringlet device says its codes in words")
struct SeedCodeTextTests {
    /// Every code the facade methods `ringlet device` calls can return (docs/device-sdk.md, "The facade"), and
    /// every code the server refuses a call with.
    static let printable: [Int] = [
        // initIvSystem, initIvDm, initIvAvt, exit…
        -101, -102, -301, -302, -310, -312,
        // initWxCloudVoipV2, registerAvtVoip (v2 forms: -360 - wx_error)
        VOIP_ERR_SN_TOO_LONG, VOIP_ERR_SN_CHARACTERS, VOIP_ERR_MODEL_ID, -362, -363, -364, -366, -369, -374, -377, -378,
        -379, VOIP_ERR_SN_TICKET, VOIP_ERR_NOT_ACTIVATED,
        // doWxCloudVoipCallV2, doWxCloudVoipJoinV2, hangUp, sendMsgNotice
        VOIP_ERR_ROOM_ID, VOIP_ERR_DEVICE_ID, VOIP_ERR_OPENID, VOIP_ERR_NOT_AUTHORIZED, VOIP_ERR_RELEASE_NOT_APPROVED,
        VOIP_ERR_QUOTA, VOIP_ERR_MODEL_MISMATCH, VOIP_ERR_OPENID_OTHER_APP, VOIP_ERR_OPENID_INVALID,
        IV_ERR_AVT_REQ_CHN_BUSY, IV_ERR_AVT_FAILED, IV_ERR_AVT_INPUT_PARAM_NULL, IV_ERR_DEVICE_OFFLINE,
        // sending
        IV_ERR_AVT_SEND_STREAM_TOO_BIG, IV_ERR_AVT_CHN_NOT_EXIT, IV_ERR_AVT_NEED_IDR_FRAME, IV_ERR_NOT_SUPPORT,
        IV_ERR_AVT_VIDEO_DATA_ERROR,
    ]

    @Test("every code ringlet device can print has a meaning and, where there is one, what to do", arguments: printable)
    func described(code: Int) throws {
        let text = try #require(SeedCodeText.describe(code))
        #expect(text.hasPrefix("\(code): "))
        #expect(!text.contains("not a code ringlet device knows"), "\(code)")
        #expect(SeedCodeText.knownCodes.contains(code))
    }

    @Test("every seed code the server refuses with is explained")
    func serverCodes() {
        let server: [SeedCode] = [.openIdError, .notAuthorized, .releaseNotApproved, .quotaExhausted, .modelMismatch,
                                  .openIdOtherApp, .openIdInvalid, .busy, .failed, .notInitialized, .notRegistered,
                                  .ticketInvalid, .snTooLong, .snBadCharacters]
        for code in server { #expect(SeedCodeText.knownCodes.contains(Int(code.rawValue)), "\(code.rawValue)") }
    }

    @Test("an expired or used ticket is said with what to do; success says nothing")
    func ticketText() {
        #expect(SeedCodeText.describe(-10008)
            == "-10008: the SN ticket is unknown, expired (tickets last 5 minutes) or already used — issue a new one with ringlet admin ticket issue --sn SN; a registered device needs no ticket")
        #expect(SeedCodeText.describe(0) == nil)
        #expect(SeedCodeText.describe(123_456)?.contains("not a code ringlet device knows") == true)
    }
}

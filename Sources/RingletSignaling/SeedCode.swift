/// The seed's integer result codes (tencent-sdk-notes §3.1), carried in `call_result.code` and
/// `error.seedCode`, so a seed-compatible device facade can return them unchanged.
///
/// An open set: codes this version does not name survive a round trip.
public struct SeedCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int32
    /// Makes a code from its integer value.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Success (the ring was delivered, the request was done).
    public static let ok = SeedCode(rawValue: 0)
    /// The openId is unknown (-7).
    public static let openIdError = SeedCode(rawValue: -7)
    /// The user has not authorized this device (-9).
    public static let notAuthorized = SeedCode(rawValue: -9)
    /// The app is not approved for calls on the release channel (-12).
    public static let releaseNotApproved = SeedCode(rawValue: -12)
    /// The app's call quota is used up (-15).
    public static let quotaExhausted = SeedCode(rawValue: -15)
    /// The device's model does not belong to the device's app (-17).
    public static let modelMismatch = SeedCode(rawValue: -17)
    /// The openId belongs to another app (-19).
    public static let openIdOtherApp = SeedCode(rawValue: -19)
    /// The openId is not well formed (-20).
    public static let openIdInvalid = SeedCode(rawValue: -20)
    /// The device or the callee is already in a call (`IV_ERR_AVT_REQ_CHN_BUSY`, -303).
    public static let busy = SeedCode(rawValue: -303)
    /// Other failure (`IV_ERR_AVT_FAILED`, -308), e.g. no session of the callee is open.
    public static let failed = SeedCode(rawValue: -308)
    /// Not initialized / bad parameter (`IV_ERR_AVT_INPUT_PARAM_INVAILD`, -310).
    public static let notInitialized = SeedCode(rawValue: -310)
    /// The device is not registered or not online (`DEVICE_OFFLINE`, -1001).
    public static let notRegistered = SeedCode(rawValue: -1001)
    /// An SN ticket that is unknown, expired, used or for another SN (-10008).
    public static let ticketInvalid = SeedCode(rawValue: -10008)
    /// The SN is longer than 128 bytes (9800001).
    public static let snTooLong = SeedCode(rawValue: 9_800_001)
    /// The SN has characters outside `[A-Za-z0-9_-]` or is empty (9800002).
    public static let snBadCharacters = SeedCode(rawValue: 9_800_002)

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int32.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { String(rawValue) }
}

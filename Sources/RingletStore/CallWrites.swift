// What the call router reads and writes in one go (docs/store.md, "The call router's reads and writes").

/// Everything a call is checked against, read in one go: the device with its model and app, the user (the callee
/// by openId in the device's app, or the caller by id), the user's authorization of the device, and the channels
/// the user has push subscriptions on.
public struct CallContext: Sendable, Hashable {
    public var device: DeviceRecord?
    public var model: ModelRecord?
    /// The device's app.
    public var app: AppRecord?
    public var user: UserRecord?
    /// An openId was asked for, is not a user of the device's app, but is one of another app (the seed's -19).
    public var openIDInOtherApp: Bool
    public var authorization: AuthorizationRecord?
    /// The channels of the user's push subscriptions made in the device's app.
    public var pushChannels: Set<AppChannel>

    public init(device: DeviceRecord? = nil, model: ModelRecord? = nil, app: AppRecord? = nil, user: UserRecord? = nil,
                openIDInOtherApp: Bool = false, authorization: AuthorizationRecord? = nil,
                pushChannels: Set<AppChannel> = []) {
        self.device = device
        self.model = model
        self.app = app
        self.user = user
        self.openIDInOtherApp = openIDInOtherApp
        self.authorization = authorization
        self.pushChannels = pushChannels
    }
}

/// A user who authorized a device, as the device sees them.
public struct AuthorizedUserRecord: Sendable, Hashable, Codable {
    public var userID: String
    public var openID: String
    /// When the authorization was last set.
    public var updatedAt: Int64

    public init(userID: String, openID: String, updatedAt: Int64) {
        self.userID = userID
        self.openID = openID
        self.updatedAt = updatedAt
    }
}

/// One write of the call router, applied with others in a batch (``Store/applyCallWrites(_:)``).
public enum CallWrite: Sendable, Hashable {
    /// A new call (its record `ringing`), inserted unless the device or the user is in a call already (`busy`:
    /// at most one call `ringing` or `active` per SN and per user, a rule of the schema). With `takeQuota` it
    /// also takes one call of its app's quota (`quotaExhausted` when none is left: nothing is written).
    /// `node` is the node that routes the call (several nodes on one PostgreSQL; nil on one node).
    case start(CallRecord, takeQuota: Bool, node: String?)
    /// The answer: the call goes from `ringing` to `active` with `answeredAt`, only if it still rings
    /// (`notRinging` otherwise): the first answer wins in the database.
    case answer(callID: String, at: Int64)
    /// The call's final record (outcome, answer and end times), written unless it ended already.
    case finish(CallRecord)
    /// A call that never rang (a user's call to an offline device, outcome `failed`), inserted whole with its
    /// times, so that the history shows the attempt.
    case attempt(CallRecord)
    /// Notices of a device to its users.
    case notices([NoticeRecord])
}

/// What one ``CallWrite`` came to.
public enum CallWriteResult: Sendable, Hashable {
    case done
    /// `start`: the device or the user is in a call.
    case busy
    /// `start`: the app's quota is used up.
    case quotaExhausted
    /// `answer`: the call no longer rings (it ended, or was answered).
    case notRinging
    /// The store failed; nothing of this write is kept.
    case failed(StoreError)
}

import RingletCore

/// What went wrong in a store call.
///
/// ``CodedError`` in the ``StoreErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias StoreError = CodedError<StoreErrors>

/// Names StoreErrors ("Store") and holds their codes.
public enum StoreErrors: CodedErrorDomain {
    /// "Store".
    public static let name = "Store"
}

extension CodedError.Code where Domain == StoreErrors {
    /// A record with this key exists already (duplicate app id, SN, openId, …).
    public static var conflict: Self { Self("conflict") }
    /// The record the call refers to does not exist.
    public static var notFound: Self { Self("notFound") }
    /// An SN ticket that is unknown, expired, already used, or for another SN (the seed's -10008).
    public static var ticketInvalid: Self { Self("ticketInvalid") }
    /// The database failed (I/O, corruption, a migration); the message says how.
    public static var database: Self { Self("database") }
    /// `registerDevice` with a fresh ticket for a device that is registered already: re-keying a device
    /// needs ``Store/resetDevice(sn:)`` first (docs/security.md, "SN tickets").
    public static var alreadyRegistered: Self { Self("alreadyRegistered") }
}

/// The cloud's persistent state. One protocol, several implementations (SQLite through GRDB by default).
///
/// Calls are synchronous and each one is a transaction: a call either happens whole or not at all, and what
/// it wrote survives a crash once it returns. Implementations are safe to call from any thread.
public protocol Store: Sendable {
    // MARK: Apps
    func insertApp(_ app: AppRecord) throws(StoreError)
    func app(id: String) throws(StoreError) -> AppRecord?
    func apps() throws(StoreError) -> [AppRecord]
    /// Replaces the app's mutable fields (name, releaseApproved, callQuota); `notFound` if absent.
    func updateApp(_ app: AppRecord) throws(StoreError)
    /// Takes one call from the app's quota: true when the app is unlimited or had one left (then decremented).
    func consumeCallQuota(appID: String) throws(StoreError) -> Bool
    /// Replaces the app's secret hash (secret rotation: the old secret stops working at once); `notFound` if absent.
    func updateAppSecret(appID: String, secretHash: String) throws(StoreError)
    /// The apps, oldest first, one page at a time.
    func apps(page: PageRequest) throws(StoreError) -> Page<AppRecord>

    // MARK: Models
    func insertModel(_ model: ModelRecord) throws(StoreError)
    func model(id: String) throws(StoreError) -> ModelRecord?
    func models(appID: String) throws(StoreError) -> [ModelRecord]
    func models(appID: String, page: PageRequest) throws(StoreError) -> Page<ModelRecord>

    // MARK: Devices
    func insertDevice(_ device: DeviceRecord) throws(StoreError)
    func device(sn: String) throws(StoreError) -> DeviceRecord?
    func devices(appID: String) throws(StoreError) -> [DeviceRecord]
    func devices(appID: String, page: PageRequest) throws(StoreError) -> Page<DeviceRecord>
    /// Forgets the device's key (it is no longer registered), its authorizations and its tickets, in one
    /// transaction, so that only a fresh ticket can register it again; `notFound` if absent. Returns the device.
    func resetDevice(sn: String) throws(StoreError) -> DeviceRecord
    /// Deletes the device with its authorizations and tickets (call history and notices stay); false if absent.
    func deleteDevice(sn: String) throws(StoreError) -> Bool
    /// Sets the name people see for the device; `notFound` if absent. Returns the device.
    func renameDevice(sn: String, name: String) throws(StoreError) -> DeviceRecord

    // MARK: SN tickets
    func insertTicket(_ ticket: TicketRecord) throws(StoreError)
    func ticket(hash: String) throws(StoreError) -> TicketRecord?
    /// Registers a device with a ticket, atomically: the ticket must exist, be for `sn`, not be expired at
    /// `now` and not be used (`ticketInvalid` otherwise); the device must not be registered already
    /// (`alreadyRegistered`), except that presenting the same key with the ticket that registered it again
    /// returns the device unchanged (a retry after a lost answer). The ticket is marked used.
    func registerDevice(ticketHash: String, sn: String, publicKey: [UInt8], now: Int64) throws(StoreError) -> DeviceRecord
    /// A user authorizes a device with a ticket, atomically: the ticket must exist, be for `sn` and `appID`, not
    /// be expired at `now`, and have authorized fewer than `maxUsers` other users (the same user again does not
    /// count twice); then the authorization is set. Else `ticketInvalid`.
    func authorizeWithTicket(ticketHash: String, sn: String, userID: String, appID: String, maxUsers: Int, now: Int64)
        throws(StoreError) -> AuthorizationRecord

    // MARK: Users and sessions
    func insertUser(_ user: UserRecord) throws(StoreError)
    func user(id: String) throws(StoreError) -> UserRecord?
    func user(appID: String, openID: String) throws(StoreError) -> UserRecord?
    func users(appID: String) throws(StoreError) -> [UserRecord]
    func users(appID: String, page: PageRequest) throws(StoreError) -> Page<UserRecord>
    func insertSession(_ session: SessionRecord) throws(StoreError)
    func session(tokenHash: String) throws(StoreError) -> SessionRecord?
    func deleteSession(tokenHash: String) throws(StoreError)
    func insertSignInCode(_ code: SignInCodeRecord) throws(StoreError)
    /// Takes a sign-in code once: deletes it and returns it if it exists and `now` is before its expiry; nil
    /// otherwise (unknown, used or expired).
    func consumeSignInCode(codeHash: String, now: Int64) throws(StoreError) -> SignInCodeRecord?

    // MARK: Authorizations
    /// Inserts or replaces the (user, SN) authorization.
    func setAuthorization(_ authorization: AuthorizationRecord) throws(StoreError)
    func authorization(userID: String, sn: String) throws(StoreError) -> AuthorizationRecord?
    func authorizations(sn: String) throws(StoreError) -> [AuthorizationRecord]
    func authorizations(userID: String) throws(StoreError) -> [AuthorizationRecord]
    /// Authorizations (authorized and revoked), most recently changed first, one page at a time: of one device
    /// when `sn` is given, else of one user when `userID` is given, else of every device of `appID`.
    func authorizations(appID: String, sn: String?, userID: String?, page: PageRequest) throws(StoreError)
        -> Page<AuthorizationRecord>

    // MARK: Calls
    func insertCall(_ call: CallRecord) throws(StoreError)
    /// Replaces a call's outcome and times; `notFound` if absent.
    func updateCall(_ call: CallRecord) throws(StoreError)
    func call(id: String) throws(StoreError) -> CallRecord?
    /// Newest first; every filter that is non-nil must match.
    func calls(appID: String?, sn: String?, userID: String?, limit: Int) throws(StoreError) -> [CallRecord]
    /// Newest first, one page at a time; every filter that is non-nil must match.
    func calls(appID: String?, sn: String?, userID: String?, page: PageRequest) throws(StoreError) -> Page<CallRecord>
    /// Ends every call still `ringing` or `active` (left so by a crash) with `outcome` at `now`; returns how many.
    func closeUnfinishedCalls(outcome: CallRecord.Outcome, now: Int64) throws(StoreError) -> Int

    // MARK: Notices
    func insertNotice(_ notice: NoticeRecord) throws(StoreError)
    /// Newest first.
    func notices(userID: String, unreadOnly: Bool, limit: Int) throws(StoreError) -> [NoticeRecord]
    /// Newest first, one page at a time.
    func notices(userID: String, unreadOnly: Bool, page: PageRequest) throws(StoreError) -> Page<NoticeRecord>
    func markNoticeRead(id: String, userID: String, now: Int64) throws(StoreError)

    // MARK: Housekeeping
    /// Deletes what is no longer needed at `now`: tickets expired more than `ticketRetentionMs` ago (with their
    /// uses), expired sessions and sign-in codes, and notices read more than `noticeRetentionMs` ago.
    func purge(now: Int64, ticketRetentionMs: Int64, noticeRetentionMs: Int64) throws(StoreError) -> PurgeCounts

    // MARK: Push subscriptions
    /// Stores a subscription, atomically: one with the same endpoint (any user) is replaced, keeping its id; then
    /// the user's oldest ones beyond `maximumPerUser` are deleted. Returns the stored record. `notFound` for an
    /// unknown user.
    func savePushSubscription(_ subscription: PushSubscriptionRecord, maximumPerUser: Int) throws(StoreError)
        -> PushSubscriptionRecord
    /// The user's subscriptions, oldest first.
    func pushSubscriptions(userID: String) throws(StoreError) -> [PushSubscriptionRecord]
    /// Deletes the user's subscription with this endpoint; false when there is none.
    func deletePushSubscription(userID: String, endpoint: String) throws(StoreError) -> Bool
    /// Deletes the subscription with this id (the push service said it is gone); absent is not an error.
    func deletePushSubscription(id: String) throws(StoreError)

    // MARK: Settings
    /// Server-wide values that must survive restarts (the admin token's hash, the TURN secret if generated).
    func setting(_ key: String) throws(StoreError) -> String?
    func setSetting(_ key: String, _ value: String) throws(StoreError)
}

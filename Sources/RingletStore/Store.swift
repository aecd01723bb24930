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
/// Calls are `async` and each one is a transaction: a call either happens whole or not at all, and what it wrote
/// survives a crash once it returns. Implementations never block the caller's thread: SQLite runs on GRDB's own
/// dispatch queues, PostgreSQL on postgres-nio's event loops. Safe to call from any task.
public protocol Store: Sendable {
    /// What this store is, for a start-up log line (`sqlite /path/ringlet.sqlite`, `postgresql host:port/db`);
    /// never a password.
    var summary: String { get }
    /// The names of the migrations applied to the database, in order.
    func appliedMigrations() async throws(StoreError) -> [String]
    /// Closes the store's connections; later calls throw `database`. For an orderly shutdown that wants to see
    /// errors.
    func close() async throws(StoreError)

    // MARK: Apps
    func insertApp(_ app: AppRecord) async throws(StoreError)
    func app(id: String) async throws(StoreError) -> AppRecord?
    func apps() async throws(StoreError) -> [AppRecord]
    /// Replaces the app's mutable fields (name, releaseApproved, callQuota); `notFound` if absent.
    func updateApp(_ app: AppRecord) async throws(StoreError)
    /// Takes one call from the app's quota: true when the app is unlimited or had one left (then decremented).
    func consumeCallQuota(appID: String) async throws(StoreError) -> Bool
    /// Replaces the app's secret hash (secret rotation: the old secret stops working at once); `notFound` if absent.
    func updateAppSecret(appID: String, secretHash: String) async throws(StoreError)
    /// The apps, oldest first, one page at a time.
    func apps(page: PageRequest) async throws(StoreError) -> Page<AppRecord>

    // MARK: Models
    func insertModel(_ model: ModelRecord) async throws(StoreError)
    func model(id: String) async throws(StoreError) -> ModelRecord?
    func models(appID: String) async throws(StoreError) -> [ModelRecord]
    func models(appID: String, page: PageRequest) async throws(StoreError) -> Page<ModelRecord>

    // MARK: Devices
    func insertDevice(_ device: DeviceRecord) async throws(StoreError)
    func device(sn: String) async throws(StoreError) -> DeviceRecord?
    func devices(appID: String) async throws(StoreError) -> [DeviceRecord]
    func devices(appID: String, page: PageRequest) async throws(StoreError) -> Page<DeviceRecord>
    /// Forgets the device's key (it is no longer registered), its authorizations and its tickets, in one
    /// transaction, so that only a fresh ticket can register it again; `notFound` if absent. Returns the device.
    func resetDevice(sn: String) async throws(StoreError) -> DeviceRecord
    /// Deletes the device with its authorizations and tickets (call history and notices stay); false if absent.
    func deleteDevice(sn: String) async throws(StoreError) -> Bool
    /// Sets the name people see for the device; `notFound` if absent. Returns the device.
    func renameDevice(sn: String, name: String) async throws(StoreError) -> DeviceRecord

    // MARK: SN tickets
    func insertTicket(_ ticket: TicketRecord) async throws(StoreError)
    func ticket(hash: String) async throws(StoreError) -> TicketRecord?
    /// Registers a device with a ticket, atomically: the ticket must exist, be for `sn`, not be expired at
    /// `now` and not be used (`ticketInvalid` otherwise); the device must not be registered already
    /// (`alreadyRegistered`), except that presenting the same key with the ticket that registered it again
    /// returns the device unchanged (a retry after a lost answer). The ticket is marked used.
    func registerDevice(ticketHash: String, sn: String, publicKey: [UInt8], now: Int64) async throws(StoreError) -> DeviceRecord
    /// A user authorizes a device with a ticket, atomically: the ticket must exist, be for `sn` and `appID`, not
    /// be expired at `now`, and have authorized fewer than `maxUsers` other users (the same user again does not
    /// count twice); then the authorization is set. Else `ticketInvalid`.
    func authorizeWithTicket(ticketHash: String, sn: String, userID: String, appID: String, maxUsers: Int, now: Int64)
        async throws(StoreError) -> AuthorizationRecord

    // MARK: Users and sessions
    func insertUser(_ user: UserRecord) async throws(StoreError)
    func user(id: String) async throws(StoreError) -> UserRecord?
    func user(appID: String, openID: String) async throws(StoreError) -> UserRecord?
    func users(appID: String) async throws(StoreError) -> [UserRecord]
    func users(appID: String, page: PageRequest) async throws(StoreError) -> Page<UserRecord>
    func insertSession(_ session: SessionRecord) async throws(StoreError)
    func session(tokenHash: String) async throws(StoreError) -> SessionRecord?
    func deleteSession(tokenHash: String) async throws(StoreError)
    func insertSignInCode(_ code: SignInCodeRecord) async throws(StoreError)
    /// Takes a sign-in code once: deletes it and returns it if it exists and `now` is before its expiry; nil
    /// otherwise (unknown, used or expired).
    func consumeSignInCode(codeHash: String, now: Int64) async throws(StoreError) -> SignInCodeRecord?

    // MARK: Authorizations
    /// Inserts or replaces the (user, SN) authorization.
    func setAuthorization(_ authorization: AuthorizationRecord) async throws(StoreError)
    func authorization(userID: String, sn: String) async throws(StoreError) -> AuthorizationRecord?
    func authorizations(sn: String) async throws(StoreError) -> [AuthorizationRecord]
    func authorizations(userID: String) async throws(StoreError) -> [AuthorizationRecord]
    /// Authorizations (authorized and revoked), most recently changed first, one page at a time: of one device
    /// when `sn` is given, else of one user when `userID` is given, else of every device of `appID`.
    func authorizations(appID: String, sn: String?, userID: String?, page: PageRequest) async throws(StoreError)
        -> Page<AuthorizationRecord>

    // MARK: Calls
    func insertCall(_ call: CallRecord) async throws(StoreError)
    /// Replaces a call's outcome and times; `notFound` if absent.
    func updateCall(_ call: CallRecord) async throws(StoreError)
    func call(id: String) async throws(StoreError) -> CallRecord?
    /// Newest first; every filter that is non-nil must match.
    func calls(appID: String?, sn: String?, userID: String?, limit: Int) async throws(StoreError) -> [CallRecord]
    /// Newest first, one page at a time; every filter that is non-nil must match.
    func calls(appID: String?, sn: String?, userID: String?, page: PageRequest) async throws(StoreError) -> Page<CallRecord>
    /// Ends every call still `ringing` or `active` (left so by a crash) with `outcome` at `now`; returns how many.
    func closeUnfinishedCalls(outcome: CallRecord.Outcome, now: Int64) async throws(StoreError) -> Int

    // MARK: The call router's reads and writes (docs/store.md)
    /// Everything a call is checked against, in one read: the device of `sn` with its model and app, the user
    /// (by `openID` in the device's app, or by `userID`), that user's authorization of the device, whether the
    /// openId is another app's, and the channels of the user's push subscriptions in the device's app.
    func callContext(sn: String, openID: String?, userID: String?) async throws(StoreError) -> CallContext
    /// The users who authorized the device (status `authorized`), openId order.
    func authorizedUsers(sn: String) async throws(StoreError) -> [AuthorizedUserRecord]
    /// Applies a batch of the router's writes in one transaction, so that many calls share one commit (one
    /// fsync); one result per write, in order. SQLite applies them in order; PostgreSQL applies the finishes
    /// first, then the starts, answers and notices (the router never depends on another order: it writes a
    /// call's finish only after its start succeeded). A transaction that fails fails every write of the batch.
    func applyCallWrites(_ writes: [CallWrite]) async -> [CallWriteResult]

    // MARK: Notices
    func insertNotice(_ notice: NoticeRecord) async throws(StoreError)
    /// Newest first.
    func notices(userID: String, unreadOnly: Bool, limit: Int) async throws(StoreError) -> [NoticeRecord]
    /// Newest first, one page at a time.
    func notices(userID: String, unreadOnly: Bool, page: PageRequest) async throws(StoreError) -> Page<NoticeRecord>
    func markNoticeRead(id: String, userID: String, now: Int64) async throws(StoreError)

    // MARK: Housekeeping
    /// Deletes what is no longer needed at `now`: tickets expired more than `ticketRetentionMs` ago (with their
    /// uses), expired sessions and sign-in codes, and notices read more than `noticeRetentionMs` ago.
    func purge(now: Int64, ticketRetentionMs: Int64, noticeRetentionMs: Int64) async throws(StoreError) -> PurgeCounts

    // MARK: Push subscriptions
    /// Stores a subscription, atomically: one with the same endpoint (any user) is replaced, keeping its id; then
    /// the user's oldest ones beyond `maximumPerUser` are deleted. Returns the stored record. `notFound` for an
    /// unknown user.
    func savePushSubscription(_ subscription: PushSubscriptionRecord, maximumPerUser: Int) async throws(StoreError)
        -> PushSubscriptionRecord
    /// The user's subscriptions, oldest first.
    func pushSubscriptions(userID: String) async throws(StoreError) -> [PushSubscriptionRecord]
    /// Deletes the user's subscription with this endpoint; false when there is none.
    func deletePushSubscription(userID: String, endpoint: String) async throws(StoreError) -> Bool
    /// Deletes the subscription with this id (the push service said it is gone); absent is not an error.
    func deletePushSubscription(id: String) async throws(StoreError)

    // MARK: Settings
    /// Server-wide values that must survive restarts (the admin token's hash, the TURN secret if generated).
    func setting(_ key: String) async throws(StoreError) -> String?
    func setSetting(_ key: String, _ value: String) async throws(StoreError)
}

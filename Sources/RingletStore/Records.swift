// The cloud's records: what `ringlet serve` knows and keeps across restarts (DESIGN.md, "The seed's concepts").
// Times are Unix milliseconds passed in by the caller (the store never reads a clock); ids are strings chosen by
// the caller (the server makes them from a system random source).

/// The build of the callee app a call reaches (the seed's `voip_wxa_type`: release 0, debug 1, trial 2).
public enum AppChannel: String, Codable, Sendable, CaseIterable {
    case release, debug, trial
}

/// A registered app (the seed's mini program, `wxa_appid`): its backend authenticates with the app secret.
public struct AppRecord: Codable, Sendable, Hashable {
    /// Public app id, e.g. `app_3f9c…`.
    public var id: String
    public var name: String
    /// SHA-256 of the app secret, hex. The secret itself is shown once, when the app is created.
    public var secretHash: String
    /// Whether calls on the release channel are allowed (the seed's "AV capability reviewed"; else -12).
    public var releaseApproved: Bool
    /// How many more calls the app's devices may place; nil is unlimited (0 left → -15).
    public var callQuota: Int?
    public var createdAt: Int64

    public init(id: String, name: String, secretHash: String, releaseApproved: Bool, callQuota: Int?, createdAt: Int64) {
        self.id = id
        self.name = name
        self.secretHash = secretHash
        self.releaseApproved = releaseApproved
        self.callQuota = callQuota
        self.createdAt = createdAt
    }
}

/// A device model registered under an app (the seed's `model_id`); every device belongs to one.
public struct ModelRecord: Codable, Sendable, Hashable {
    public var id: String
    public var appID: String
    public var name: String
    public var createdAt: Int64

    public init(id: String, appID: String, name: String, createdAt: Int64) {
        self.id = id
        self.appID = appID
        self.name = name
        self.createdAt = createdAt
    }
}

/// A device, known by its SN (at most 128 bytes of `[A-Za-z0-9_-]`), unique in the whole cloud.
public struct DeviceRecord: Codable, Sendable, Hashable {
    public var sn: String
    public var modelID: String
    public var appID: String
    /// Shown to users (the seed's `deviceName`).
    public var name: String
    /// The device's public key (P-256, SEC1 uncompressed point, 65 bytes) once registered with a ticket.
    public var publicKey: [UInt8]?
    public var registeredAt: Int64?
    public var createdAt: Int64

    public init(sn: String, modelID: String, appID: String, name: String, publicKey: [UInt8]? = nil,
                registeredAt: Int64? = nil, createdAt: Int64) {
        self.sn = sn
        self.modelID = modelID
        self.appID = appID
        self.name = name
        self.publicKey = publicKey
        self.registeredAt = registeredAt
        self.createdAt = createdAt
    }
}

/// An SN ticket: valid 5 minutes; registers its device once, and lets a few users authorize that device while
/// valid (docs/security.md, "SN tickets"). The store keeps only the ticket's SHA-256: whoever reads the database
/// cannot register or authorize with what it finds there.
public struct TicketRecord: Codable, Sendable, Hashable {
    /// The SHA-256 (hex) of the ticket string handed to the app backend; the ticket itself is shown once.
    public var ticketHash: String
    public var sn: String
    public var modelID: String
    public var appID: String
    public var expiresAt: Int64
    /// Set when a device registered with it; a second registration gets -10008.
    public var usedAt: Int64?
    public var createdAt: Int64

    public init(ticketHash: String, sn: String, modelID: String, appID: String, expiresAt: Int64, usedAt: Int64? = nil,
                createdAt: Int64) {
        self.ticketHash = ticketHash
        self.sn = sn
        self.modelID = modelID
        self.appID = appID
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.createdAt = createdAt
    }
}

/// A one-time sign-in code (a sign-in link's `#code=rlc_…`): exchanged once, before it expires, for a session of
/// `userID` on `channel` lasting `ttlSeconds` from the exchange. Only its SHA-256 is stored.
public struct SignInCodeRecord: Codable, Sendable, Hashable {
    /// SHA-256 of the code, hex.
    public var codeHash: String
    public var userID: String
    public var appID: String
    /// The channel of the session the code makes.
    public var channel: AppChannel
    /// The lifetime of the session the code makes, seconds.
    public var ttlSeconds: Int
    /// The code is refused from this time on.
    public var expiresAt: Int64
    public var createdAt: Int64

    public init(codeHash: String, userID: String, appID: String, channel: AppChannel, ttlSeconds: Int, expiresAt: Int64,
                createdAt: Int64) {
        self.codeHash = codeHash
        self.userID = userID
        self.appID = appID
        self.channel = channel
        self.ttlSeconds = ttlSeconds
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }
}

/// A person, known to one app by an openId the cloud issues (the seed's `openId`).
public struct UserRecord: Codable, Sendable, Hashable {
    public var id: String
    public var appID: String
    /// Unique per app; what device code passes to `doWxCloudVoipCall`.
    public var openID: String
    public var name: String
    public var createdAt: Int64

    public init(id: String, appID: String, openID: String, name: String, createdAt: Int64) {
        self.id = id
        self.appID = appID
        self.openID = openID
        self.name = name
        self.createdAt = createdAt
    }
}

/// A user session token (issued to an app backend with its secret, or by the dev sign-in link).
public struct SessionRecord: Codable, Sendable, Hashable {
    /// SHA-256 of the token, hex; the token itself is shown once.
    public var tokenHash: String
    public var userID: String
    public var appID: String
    /// The callee app build this session runs; a call rings the sessions of its channel.
    public var channel: AppChannel
    public var expiresAt: Int64
    public var createdAt: Int64

    public init(tokenHash: String, userID: String, appID: String, channel: AppChannel, expiresAt: Int64, createdAt: Int64) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.appID = appID
        self.channel = channel
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }
}

/// Whether a user lets a device call them (the seed's authorization, `onUpdateAuthorizeStatus`).
public struct AuthorizationRecord: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable { case authorized, revoked }
    public var userID: String
    public var sn: String
    public var status: Status
    public var updatedAt: Int64

    public init(userID: String, sn: String, status: Status, updatedAt: Int64) {
        self.userID = userID
        self.sn = sn
        self.status = status
        self.updatedAt = updatedAt
    }
}

/// One call (the seed's VoIP room, `roomId`), from ring to end.
public struct CallRecord: Codable, Sendable, Hashable {
    public enum Direction: String, Codable, Sendable { case deviceToUser = "device_to_user", userToDevice = "user_to_device" }
    public enum Kind: String, Codable, Sendable { case audio, video }
    /// How the call ended; `ringing` and `active` while it is not over.
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        case ringing, active, completed, rejected, busy, timeout, cancelled, failed
        /// A peer vanished (network loss, dead session) during the call.
        case peerGone = "peer_gone"
        /// The user revoked the device's authorization (or the device was reset or deleted) during the call.
        case revoked
        /// The server stopped without ending the call (a crash); closed when it started again.
        case interrupted
    }
    public var id: String
    public var appID: String
    public var sn: String
    public var userID: String
    public var direction: Direction
    public var kind: Kind
    public var channel: AppChannel
    public var outcome: Outcome
    public var startedAt: Int64
    public var answeredAt: Int64?
    public var endedAt: Int64?

    /// Talk time in ms: from answer to end (0 when never answered or not ended).
    public var durationMs: Int64 {
        guard let answeredAt, let endedAt, endedAt > answeredAt else { return 0 }
        return endedAt - answeredAt
    }

    public init(id: String, appID: String, sn: String, userID: String, direction: Direction, kind: Kind,
                channel: AppChannel, outcome: Outcome, startedAt: Int64, answeredAt: Int64? = nil, endedAt: Int64? = nil) {
        self.id = id
        self.appID = appID
        self.sn = sn
        self.userID = userID
        self.direction = direction
        self.kind = kind
        self.channel = channel
        self.outcome = outcome
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
    }
}

/// A notice a device sent to its users (the seed's `sendMsgNotice`), kept until read.
public struct NoticeRecord: Codable, Sendable, Hashable {
    public var id: String
    public var sn: String
    public var userID: String
    /// The device's notice id or kind (the seed passes an integer id).
    public var kind: Int
    public var text: String
    public var createdAt: Int64
    public var readAt: Int64?

    public init(id: String, sn: String, userID: String, kind: Int, text: String, createdAt: Int64, readAt: Int64? = nil) {
        self.id = id
        self.sn = sn
        self.userID = userID
        self.kind = kind
        self.text = text
        self.createdAt = createdAt
        self.readAt = readAt
    }
}

/// Where a page of a list ends: the sort key (a time, Unix ms) and the SQLite rowid of its last item. The next
/// page starts after it, in the list's order, so items inserted meanwhile never shift a page.
public struct PageCursor: Hashable, Sendable {
    public var key: Int64
    public var rowID: Int64

    public init(key: Int64, rowID: Int64) {
        self.key = key
        self.rowID = rowID
    }
}

/// Which page of a list to read: at most `limit` items after `after` (from the start when nil).
public struct PageRequest: Hashable, Sendable {
    public var limit: Int
    public var after: PageCursor?

    public init(limit: Int, after: PageCursor? = nil) {
        self.limit = limit
        self.after = after
    }
}

/// One page of a list, and where the next one starts (nil: this was the last).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: PageCursor?

    public init(items: [Item], next: PageCursor?) {
        self.items = items
        self.next = next
    }
}

extension Page: Equatable where Item: Equatable {}

/// What ``Store/purge(now:ticketRetentionMs:noticeRetentionMs:)`` deleted.
public struct PurgeCounts: Hashable, Sendable {
    public var tickets = 0
    public var sessions = 0
    public var signInCodes = 0
    public var notices = 0

    public init(tickets: Int = 0, sessions: Int = 0, signInCodes: Int = 0, notices: Int = 0) {
        self.tickets = tickets
        self.sessions = sessions
        self.signInCodes = signInCodes
        self.notices = notices
    }

    /// Everything deleted.
    public var total: Int { tickets + sessions + signInCodes + notices }
}

/// A browser's Web Push subscription for one user (the push resource and the keys its messages are encrypted
/// for), so that calls ring that browser when no page of the app is open (docs/push.md).
public struct PushSubscriptionRecord: Codable, Sendable, Hashable {
    /// `psb_` + 16 hex digits.
    public var id: String
    public var userID: String
    public var appID: String
    /// The channel of the session that subscribed; a call pushes to the subscriptions of its channel.
    public var channel: AppChannel
    /// The push resource URL (unique: one browser profile's subscription belongs to one user at a time).
    public var endpoint: String
    /// The user agent's P-256 public key (65 bytes) and authentication secret (16 bytes), RFC 8291 §2.
    public var p256dh: [UInt8]
    public var auth: [UInt8]
    public var createdAt: Int64

    public init(id: String, userID: String, appID: String, channel: AppChannel, endpoint: String, p256dh: [UInt8],
                auth: [UInt8], createdAt: Int64) {
        self.id = id
        self.userID = userID
        self.appID = appID
        self.channel = channel
        self.endpoint = endpoint
        self.p256dh = p256dh
        self.auth = auth
        self.createdAt = createdAt
    }
}

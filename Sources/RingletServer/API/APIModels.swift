import RingletStore

// The JSON shapes of the `/v1` API (docs/api.md, Sources/RingletServer/Resources/openapi.yaml). Field names are
// camelCase; times are Unix milliseconds; keys are base64url.

/// An app as the API shows it; `secret` only in the answer to its creation.
struct AppBody: Codable, Sendable {
    var id: String
    var name: String
    var releaseApproved: Bool
    var callQuota: Int?
    var createdAt: Int64
    var secret: String?

    init(_ app: AppRecord, secret: String? = nil) {
        id = app.id
        name = app.name
        releaseApproved = app.releaseApproved
        callQuota = app.callQuota
        createdAt = app.createdAt
        self.secret = secret
    }
}

/// `POST /v1/apps`.
struct CreateAppBody: Decodable, Sendable {
    var name: String
    var releaseApproved: Bool?
    var callQuota: Int?
}

/// `PATCH /v1/apps/{appId}`: absent fields stay; `"callQuota": null` makes the quota unlimited.
struct PatchAppBody: Decodable, Sendable {
    var name: String?
    var releaseApproved: Bool?
    /// nil: not given; `.some(nil)`: unlimited.
    var callQuota: Int??

    enum CodingKeys: String, CodingKey { case name, releaseApproved, callQuota }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        releaseApproved = try container.decodeIfPresent(Bool.self, forKey: .releaseApproved)
        if container.contains(.callQuota) {
            callQuota = .some(try container.decodeNil(forKey: .callQuota) ? nil : container.decode(Int.self, forKey: .callQuota))
        } else {
            callQuota = nil
        }
    }
}

struct ModelBody: Codable, Sendable {
    var id: String
    var appId: String
    var name: String
    var createdAt: Int64

    init(_ model: ModelRecord) {
        id = model.id
        appId = model.appID
        name = model.name
        createdAt = model.createdAt
    }
}

/// `POST /v1/apps/{appId}/models`: `id` optional (`mdl_` + 12 hex when absent).
struct CreateModelBody: Decodable, Sendable {
    var id: String?
    var name: String
}

struct DeviceBody: Codable, Sendable {
    var sn: String
    var modelId: String
    var appId: String
    var name: String
    /// The registered key (SEC1 uncompressed P-256 point, base64url); nil until registered.
    var publicKey: String?
    var registeredAt: Int64?
    var createdAt: Int64

    init(_ device: DeviceRecord) {
        sn = device.sn
        modelId = device.modelID
        appId = device.appID
        name = device.name
        publicKey = device.publicKey.map(Identifiers.base64URL)
        registeredAt = device.registeredAt
        createdAt = device.createdAt
    }
}

/// `POST /v1/apps/{appId}/devices`.
struct CreateDeviceBody: Decodable, Sendable {
    var sn: String
    var modelId: String
    var name: String?
}

/// `POST /v1/apps/{appId}/tickets`.
struct IssueTicketBody: Decodable, Sendable {
    var sn: String
    var modelId: String
    /// The device's name: given, the device is created with it (or renamed to it).
    var name: String?
}

/// `PATCH /v1/devices/{sn}`.
struct PatchDeviceBody: Decodable, Sendable {
    var name: String
}

struct TicketBody: Codable, Sendable {
    var ticket: String
    var sn: String
    var modelId: String
    var expiresAt: Int64
}

/// `POST /v1/devices/{sn}/register`.
struct RegisterDeviceBody: Decodable, Sendable {
    var ticket: String
    var publicKey: String
}

struct UserBody: Codable, Sendable {
    var id: String
    var appId: String
    var openId: String
    var name: String
    var createdAt: Int64

    init(_ user: UserRecord) {
        id = user.id
        appId = user.appID
        openId = user.openID
        name = user.name
        createdAt = user.createdAt
    }
}

/// `POST /v1/apps/{appId}/users`.
struct CreateUserBody: Decodable, Sendable {
    var name: String?
}

/// `POST /v1/apps/{appId}/users/{userId}/sessions` and `…/sign-in-links`.
struct CreateSessionBody: Decodable, Sendable {
    var channel: AppChannel?
    var ttlSeconds: Int?
}

struct SessionBody: Codable, Sendable {
    var token: String
    var userId: String
    var appId: String
    var channel: AppChannel
    var expiresAt: Int64
}

/// The answer to `POST …/sign-in-links`: a link carrying a one-time code (`#code=rlc_…`), valid until
/// `expiresAt`; the code is exchanged once for a session (`POST /v1/sign-in`).
struct SignInLinkBody: Codable, Sendable {
    var url: String
    var code: String
    var userId: String
    var expiresAt: Int64
    var sessionTtlSeconds: Int
}

/// `POST /v1/sign-in`.
struct SignInCodeBody: Decodable, Sendable {
    var code: String
}

/// `GET /v1/me`.
struct MeBody: Codable, Sendable {
    var user: UserBody
    var channel: AppChannel
    var sessionExpiresAt: Int64
}

/// `POST /v1/me/authorizations`.
struct AuthorizeBody: Decodable, Sendable {
    var sn: String
    var ticket: String
}

struct AuthorizationBody: Codable, Sendable {
    var userId: String
    var sn: String
    var status: AuthorizationRecord.Status
    var updatedAt: Int64
    /// The device's name (`GET /v1/me/authorizations` only; omitted elsewhere).
    var deviceName: String?
    /// Whether the device has a signaling session open now (`GET /v1/me/authorizations` only).
    var online: Bool?

    init(_ record: AuthorizationRecord) {
        userId = record.userID
        sn = record.sn
        status = record.status
        updatedAt = record.updatedAt
    }
}

struct CallBody: Codable, Sendable {
    var id: String
    var appId: String
    var sn: String
    var userId: String
    var direction: CallRecord.Direction
    var kind: CallRecord.Kind
    var channel: AppChannel
    var outcome: CallRecord.Outcome
    var startedAt: Int64
    var answeredAt: Int64?
    var endedAt: Int64?
    var durationMs: Int64

    init(_ call: CallRecord) {
        id = call.id
        appId = call.appID
        sn = call.sn
        userId = call.userID
        direction = call.direction
        kind = call.kind
        channel = call.channel
        outcome = call.outcome
        startedAt = call.startedAt
        answeredAt = call.answeredAt
        endedAt = call.endedAt
        durationMs = call.durationMs
    }
}

struct NoticeBody: Codable, Sendable {
    var id: String
    var sn: String
    var userId: String
    var kind: Int
    var text: String
    var createdAt: Int64
    var readAt: Int64?

    init(_ notice: NoticeRecord) {
        id = notice.id
        sn = notice.sn
        userId = notice.userID
        kind = notice.kind
        text = notice.text
        createdAt = notice.createdAt
        readAt = notice.readAt
    }
}

/// A list answer: `{"items": [...], "nextCursor": "…"}` (`nextCursor` absent on the last page).
struct ListBody<Item: Codable & Sendable>: Codable, Sendable {
    var items: [Item]
    var nextCursor: String?

    init(items: [Item], nextCursor: String? = nil) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// `POST /v1/dev/sign-in`.
struct DevSignInBody: Decodable, Sendable {
    var name: String
}

/// The answer to `POST /v1/dev/sign-in`: the user (created or found by name) and a fresh session token.
struct DevSessionBody: Codable, Sendable {
    var token: String
    var user: UserBody
    var channel: AppChannel
    var expiresAt: Int64
    var created: Bool
}

/// `GET /healthz`.
struct HealthBody: Codable, Sendable {
    var status: String
}

/// Every resource limit of `ringlet serve`, with its documented default (docs/security.md, "Limits"). A plain
/// struct: the JSON configuration file may set any of them under `"limits"`, the few that operators change
/// often also have flags; ``validate()`` checks them once.
///
/// Connection caps and the allocation quota are further bounded at start by the process's descriptor limit
/// (``DescriptorBudget``): one descriptor table serves HTTP, TURN relays and SQLite.
public struct ServerLimits: Codable, Sendable, Hashable {
    // MARK: HTTP and WebSocket connections

    /// Open HTTP/WebSocket connections at once; more are closed at accept. Default 1024.
    public var httpMaxConnections = 1024
    /// Open HTTP/WebSocket connections from one IP address. Default 64.
    public var httpMaxConnectionsPerIP = 64
    /// Seconds a new connection has to deliver a complete request head (the first after connecting, and each
    /// next one from its first byte); a slower client is closed (slowloris). Default 10.
    public var httpHeadTimeoutSeconds = 10
    /// Seconds from a request's complete head to the first byte of its answer (the body's upload and the
    /// handling); a request that takes longer is closed. Default 30.
    public var httpRequestTimeoutSeconds = 30
    /// Seconds a kept-alive connection may sit idle between requests. Default 30.
    public var httpKeepAliveIdleSeconds = 30
    /// Seconds a connection may stay unwritable (its peer does not read what it is sent) before it is
    /// closed: HTTP answers and WebSocket messages alike. Default 15.
    public var writeStallSeconds = 15

    // MARK: Authentication

    /// Failed authentications one IP may make in a burst (HTTP 401s, bad sign-in codes and tickets, refused
    /// signaling authentications); past it every attempt from that IP gets 429 / `rate_limited`. Default 20.
    public var authFailureBurst = 20
    /// Failed authentications per minute an IP earns back. Default 10.
    public var authFailuresPerMinute = 10

    // MARK: Signaling

    /// The largest message before a session has authenticated (its auth message), bytes. Default 4096.
    public var signalingPreAuthMessageBytes = 4096
    /// Messages queued for one session that its socket has not taken yet; past this (or
    /// ``signalingQueueBytes``) the session is closed (`slow_consumer`). Default 256.
    public var signalingQueueMessages = 256
    /// Bytes of messages queued for one session. Default 1 MiB.
    public var signalingQueueBytes = 1 << 20
    /// Messages a session may send per second, steadily. Default 20.
    public var signalingMessagesPerSecond = 20
    /// Messages a session may send in a burst. Default 200.
    public var signalingMessageBurst = 200
    /// Messages over the rate after which a session is closed (`rate_limited`); until then they are dropped
    /// with an `error rate_limited` (at most one a second). Default 200.
    public var signalingRateLimitCloseAfter = 200
    /// Notices a device may send per minute, steadily (kept per SN, across its sessions). Default 10.
    public var noticesPerMinute = 10
    /// Notices a device may send in a burst. Default 20.
    public var noticeBurst = 20
    /// The longest notice text, bytes of UTF-8 (the device SDK's own limit). Default 1024.
    public var noticeTextBytes = 1024
    /// Seconds between re-checks of what every live session stands on (its token, its device key). Default 60.
    public var sessionRecheckSeconds = 60

    // MARK: Tickets and sign-in codes

    /// Users one SN ticket may authorize (within its 5 minutes). Default 5.
    public var ticketMaxUsers = 5
    /// Seconds a sign-in link's one-time code stays valid. Default 600.
    public var signInCodeSeconds = 600

    // MARK: Housekeeping

    /// Seconds between purges of old tickets, expired sessions and codes, and old read notices. Default 3600.
    public var purgeIntervalSeconds = 3600
    /// Days an expired ticket is kept. Default 1.
    public var ticketRetentionDays = 1
    /// Days a read notice is kept after it was read. Default 30.
    public var readNoticeRetentionDays = 30

    // MARK: TURN

    /// Allocations the TURN server holds at once. Default 10 000.
    public var turnMaxAllocations = 10_000
    /// Allocations one user (TURN REST id) may hold at once; more get 486. Default 16.
    public var turnUserQuota = 16
    /// TURN-over-TCP connections at once. Default 1024.
    public var turnTCPMaxConnections = 1024
    /// TURN-over-TCP connections from one IP address. Default 64.
    public var turnTCPMaxConnectionsPerIP = 64
    /// Seconds a TURN-over-TCP connection may stay without an allocation before it is closed. Default 5.
    public var turnTCPIdleSeconds = 5
    /// Bytes per second one allocation may relay (both directions together); more is dropped. Default
    /// 1 250 000 (10 Mbit/s).
    public var turnAllocationBytesPerSecond = 1_250_000
    /// Bytes per second the whole TURN server may relay. Default 125 000 000 (1 Gbit/s).
    public var turnTotalBytesPerSecond = 125_000_000
    /// Answers to unauthenticated UDP requests (401, 438, Binding) one source IP gets per second; more are
    /// dropped (no reflection). Default 20.
    public var turnUnauthenticatedPerSecond = 20
    /// The burst of those answers. Default 100.
    public var turnUnauthenticatedBurst = 100

    /// The defaults.
    public init() {}

    /// Decodes the fields present; absent ones keep their defaults.
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            guard let path = Self.fields[key.stringValue] else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "unknown limit \(key.stringValue)")
            }
            self[keyPath: path] = try container.decode(Int.self, forKey: key)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for (name, path) in Self.fields.sorted(by: { $0.key < $1.key }) {
            try container.encode(self[keyPath: path], forKey: AnyKey(name))
        }
    }

    /// Every limit by its JSON name.
    static let fields: [String: WritableKeyPath<ServerLimits, Int> & Sendable] = [
        "httpMaxConnections": \.httpMaxConnections, "httpMaxConnectionsPerIP": \.httpMaxConnectionsPerIP,
        "httpHeadTimeoutSeconds": \.httpHeadTimeoutSeconds, "httpRequestTimeoutSeconds": \.httpRequestTimeoutSeconds,
        "httpKeepAliveIdleSeconds": \.httpKeepAliveIdleSeconds, "writeStallSeconds": \.writeStallSeconds,
        "authFailureBurst": \.authFailureBurst, "authFailuresPerMinute": \.authFailuresPerMinute,
        "signalingPreAuthMessageBytes": \.signalingPreAuthMessageBytes,
        "signalingQueueMessages": \.signalingQueueMessages, "signalingQueueBytes": \.signalingQueueBytes,
        "signalingMessagesPerSecond": \.signalingMessagesPerSecond, "signalingMessageBurst": \.signalingMessageBurst,
        "signalingRateLimitCloseAfter": \.signalingRateLimitCloseAfter, "noticesPerMinute": \.noticesPerMinute,
        "noticeBurst": \.noticeBurst, "noticeTextBytes": \.noticeTextBytes,
        "sessionRecheckSeconds": \.sessionRecheckSeconds, "ticketMaxUsers": \.ticketMaxUsers,
        "signInCodeSeconds": \.signInCodeSeconds, "purgeIntervalSeconds": \.purgeIntervalSeconds,
        "ticketRetentionDays": \.ticketRetentionDays, "readNoticeRetentionDays": \.readNoticeRetentionDays,
        "turnMaxAllocations": \.turnMaxAllocations, "turnUserQuota": \.turnUserQuota,
        "turnTCPMaxConnections": \.turnTCPMaxConnections, "turnTCPMaxConnectionsPerIP": \.turnTCPMaxConnectionsPerIP,
        "turnTCPIdleSeconds": \.turnTCPIdleSeconds, "turnAllocationBytesPerSecond": \.turnAllocationBytesPerSecond,
        "turnTotalBytesPerSecond": \.turnTotalBytesPerSecond,
        "turnUnauthenticatedPerSecond": \.turnUnauthenticatedPerSecond,
        "turnUnauthenticatedBurst": \.turnUnauthenticatedBurst,
    ]

    /// Checks every limit: all at least 1, and the few with a natural ceiling below it.
    public func validate() throws(ServerConfigurationError) {
        for (name, path) in Self.fields.sorted(by: { $0.key < $1.key }) where self[keyPath: path] < 1 {
            throw ServerConfigurationError("limits.\(name) must be at least 1")
        }
        guard signalingPreAuthMessageBytes <= 65_536 else {
            throw ServerConfigurationError("limits.signalingPreAuthMessageBytes must be at most 65536")
        }
        guard noticeTextBytes <= 16_384 else { throw ServerConfigurationError("limits.noticeTextBytes must be at most 16384") }
        guard httpMaxConnectionsPerIP <= httpMaxConnections, turnTCPMaxConnectionsPerIP <= turnTCPMaxConnections else {
            throw ServerConfigurationError("a per-IP connection cap must not exceed its total")
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

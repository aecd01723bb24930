import Hummingbird
import RingletStore
import RingletWebPush

/// `POST /v1/me/push-subscriptions`: what `PushSubscription.toJSON()` gives in a browser (`expirationTime` is
/// accepted and ignored).
struct PushSubscriptionInput: Decodable, Sendable {
    struct Keys: Decodable, Sendable {
        var p256dh: String
        var auth: String
    }
    var endpoint: String
    var keys: Keys
}

/// A stored subscription as the API shows it (no keys).
struct PushSubscriptionBody: Codable, Sendable {
    var id: String
    var endpoint: String
    var channel: AppChannel
    var createdAt: Int64

    init(_ record: PushSubscriptionRecord) {
        id = record.id
        endpoint = record.endpoint
        channel = record.channel
        createdAt = record.createdAt
    }
}

/// `GET /v1/push/vapid-public-key`.
struct VAPIDPublicKeyBody: Codable, Sendable {
    var publicKey: String
}

/// `POST /v1/me/calls/{callId}/reject` (optional body): the endpoint of the subscription whose notification
/// declined, which then gets no `ring_stop` push.
struct RejectCallBody: Decodable, Sendable {
    var endpoint: String?
}

// Web Push subscriptions and the service worker's decline (docs/push.md, docs/api.md).
extension APIRoutes {
    /// `GET /v1/push/vapid-public-key` (anyone): the server's VAPID public key, the web app's
    /// `applicationServerKey`; 404 when push is off.
    func vapidPublicKey() throws -> Response {
        guard let key = configuration.pushPublicKey else { throw APIError.notFound("Web Push is not configured") }
        return json(VAPIDPublicKeyBody(publicKey: key))
    }

    /// `GET /v1/me/push-subscriptions` (user): this user's subscriptions, oldest first.
    func myPushSubscriptions(_ request: Request) async throws -> Response {
        let (user, _) = try await requireUser(request)
        let records = try await storeCall { () async throws(StoreError) in try await store.pushSubscriptions(userID: user.id) }
        return json(ListBody(items: records.map(PushSubscriptionBody.init)))
    }

    /// `POST /v1/me/push-subscriptions` (user) `{endpoint, keys: {p256dh, auth}}`: calls on the session's channel,
    /// notices and authorization changes will be pushed there. 201 when new, 200 when the endpoint was known
    /// (its keys and owner are replaced). The user's oldest subscriptions beyond the limit are dropped.
    func addPushSubscription(_ request: Request) async throws -> Response {
        let (user, session) = try await requireUser(request)
        guard configuration.pushPublicKey != nil else { throw APIError.notFound("Web Push is not configured") }
        let body = try await decode(PushSubscriptionInput.self, from: request)
        let subscription: PushSubscription
        do {
            subscription = try PushSubscription(endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth,
                                                policy: configuration.pushEndpointPolicy)
        } catch {
            throw APIError.invalid(error.message)
        }
        let known = try await storeCall { () async throws(StoreError) in try await store.pushSubscriptions(userID: user.id) }
            .contains { $0.endpoint == body.endpoint }
        let record = PushSubscriptionRecord(
            id: identifiers.id("psb_", hexDigits: 16), userID: user.id, appID: user.appID, channel: session.channel,
            endpoint: body.endpoint, p256dh: subscription.p256dh, auth: subscription.auth, createdAt: now())
        let stored = try await storeCall { () async throws(StoreError) in
            try await store.savePushSubscription(record, maximumPerUser: configuration.maximumPushSubscriptionsPerUser)
        }
        logger.info("push subscription saved", metadata: ["user": "\(user.id)", "subscription": "\(stored.id)",
                                                         "service": "\(subscription.endpoint.origin)"])
        return json(PushSubscriptionBody(stored), status: known ? .ok : .created)
    }

    /// `DELETE /v1/me/push-subscriptions?endpoint=…` (user): 204, or 404 when this user has no such subscription.
    func deletePushSubscription(_ request: Request) async throws -> Response {
        let (user, _) = try await requireUser(request)
        guard let endpoint = request.uri.queryParameters.get("endpoint"), !endpoint.isEmpty,
              endpoint.utf8.count <= configuration.pushEndpointPolicy.maximumLength
        else { throw APIError.badRequest("endpoint (the subscription's URL) is required") }
        let deleted = try await storeCall { () async throws(StoreError) in
            try await store.deletePushSubscription(userID: user.id, endpoint: endpoint)
        }
        guard deleted else { throw APIError.notFound("no such push subscription") }
        return Response(status: .noContent)
    }

    /// `POST /v1/me/calls/{callId}/reject` (user) `{endpoint?}`: declines a call that rings for this user (the
    /// notification's Decline; the service worker has no WebSocket). 204; 409 when it was answered or has ended;
    /// 404 when it is not this user's call.
    func rejectMyCall(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let (user, _) = try await requireUser(request)
        let callID = try parameter("callId", context)
        guard callID.utf8.count <= 64 else { throw APIError.notFound("no call \(callID)") }
        let body = try await decode(RejectCallBody.self, from: request)
        switch await rejectCall(user.id, callID, body.endpoint) {
        case .rejected:
            return Response(status: .noContent)
        case .answered:
            throw APIError.conflict("the call was already answered")
        case .notRinging:
            guard let record = try await storeCall({ () async throws(StoreError) in try await store.call(id: callID) }),
                  record.userID == user.id
            else { throw APIError.notFound("no call \(callID)") }
            throw APIError.conflict("the call is no longer ringing (\(record.outcome.rawValue))")
        }
    }
}

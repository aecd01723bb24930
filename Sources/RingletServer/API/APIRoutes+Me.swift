import Hummingbird
import RingletStore

extension APIRoutes {
    /// `GET /v1/me` (user): who the session belongs to.
    func me(_ request: Request) throws -> Response {
        let (user, session) = try requireUser(request)
        return json(MeBody(user: UserBody(user), channel: session.channel, sessionExpiresAt: session.expiresAt))
    }

    /// `POST /v1/me/authorizations` (user) `{sn, ticket}`: lets the device call this user. The ticket must be
    /// valid (known, not expired, for this SN and the user's app); it may have been used for registration.
    func authorize(_ request: Request) async throws -> Response {
        let (user, _) = try requireUser(request)
        let body = try await decode(AuthorizeBody.self, from: request)
        try SNRules.validate(body.sn)
        let now = now()
        guard body.ticket.utf8.count <= 128,
              let ticket = try storeCall({ () throws(StoreError) in try store.ticket(body.ticket) }),
              ticket.sn == body.sn, ticket.appID == user.appID, ticket.expiresAt > now
        else { throw APIError.ticketInvalid }
        guard try storeCall({ () throws(StoreError) in try store.device(sn: body.sn) }) != nil else {
            throw APIError.notFound("no device \(body.sn)")
        }
        let record = AuthorizationRecord(userID: user.id, sn: body.sn, status: .authorized, updatedAt: now)
        try storeCall { () throws(StoreError) in try store.setAuthorization(record) }
        await onAuthorizationChange(record)
        return json(AuthorizationBody(record))
    }

    /// `GET /v1/me/authorizations` (user): the devices this user authorized (revoked ones too, with their status),
    /// each with the device's name and whether it is online (has a signaling session open) now.
    func myAuthorizations(_ request: Request) async throws -> Response {
        let (user, _) = try requireUser(request)
        let records = try storeCall { () throws(StoreError) in try store.authorizations(userID: user.id) }
        let online = await onlineDevices(records.map(\.sn))
        var items: [AuthorizationBody] = []
        for record in records {
            var item = AuthorizationBody(record)
            item.deviceName = try storeCall { () throws(StoreError) in try store.device(sn: record.sn) }?.name ?? record.sn
            item.online = online.contains(record.sn)
            items.append(item)
        }
        return json(ListBody(items: items))
    }

    /// `DELETE /v1/me/authorizations/{sn}` (user): the device may no longer call this user.
    func revoke(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (user, _) = try requireUser(request)
        let sn = try parameter("sn", context)
        try SNRules.validate(sn)
        guard let existing = try storeCall({ () throws(StoreError) in try store.authorization(userID: user.id, sn: sn) }),
              existing.status == .authorized
        else { throw APIError.notFound("this device is not authorized") }
        let record = AuthorizationRecord(userID: user.id, sn: sn, status: .revoked, updatedAt: now())
        try storeCall { () throws(StoreError) in try store.setAuthorization(record) }
        await onAuthorizationChange(record)
        return json(AuthorizationBody(record))
    }

    /// `GET /v1/me/calls?sn=&limit=` (user): this user's calls, newest first.
    func myCalls(_ request: Request) throws -> Response {
        let (user, _) = try requireUser(request)
        return try callList(request, appID: user.appID, userID: user.id)
    }

    /// `GET /v1/me/notices?unread=true&limit=` (user): notices from devices, newest first.
    func myNotices(_ request: Request) throws -> Response {
        let (user, _) = try requireUser(request)
        let unread: Bool
        switch request.uri.queryParameters.get("unread") {
        case nil, "false": unread = false
        case "true": unread = true
        default: throw APIError.badRequest("unread must be true or false")
        }
        let limit = try limit(request)
        let notices = try storeCall { () throws(StoreError) in
            try store.notices(userID: user.id, unreadOnly: unread, limit: limit)
        }
        return json(ListBody(items: notices.map(NoticeBody.init)))
    }

    /// `POST /v1/me/notices/{noticeId}/read` (user): marks one notice read; 404 if it is not this user's.
    func markNoticeRead(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let (user, _) = try requireUser(request)
        let id = try parameter("noticeId", context)
        guard id.utf8.count <= 64 else { throw APIError.notFound("no notice \(id)") }
        let now = now()
        try storeCall { () throws(StoreError) in try store.markNoticeRead(id: id, userID: user.id, now: now) }
        return Response(status: .noContent)
    }
}

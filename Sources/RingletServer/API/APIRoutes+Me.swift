import Hummingbird
import RingletStore

extension APIRoutes {
    /// `GET /v1/me` (user): who the session belongs to.
    func me(_ request: Request) async throws -> Response {
        let (user, session) = try await requireUser(request)
        return json(MeBody(user: UserBody(user), channel: session.channel, sessionExpiresAt: session.expiresAt))
    }

    /// `DELETE /v1/me/session` (user): signs this session out on the server: its token stops working at once
    /// and the signaling sessions opened with it are closed (`session_revoked`). 204; signing out twice is the
    /// second a 401.
    func signOut(_ request: Request) async throws -> Response {
        let (_, session) = try await requireUser(request)
        try await storeCall { () async throws(StoreError) in try await store.deleteSession(tokenHash: session.tokenHash) }
        await onRevocation(.session(tokenHash: session.tokenHash))
        return Response(status: .noContent)
    }

    /// `POST /v1/sign-in {code}` (anyone): exchanges a sign-in link's one-time code for a session token (201
    /// `{token, userId, appId, channel, expiresAt}`). An unknown, used or expired code is a 401 and counts as a
    /// failed authentication of the client's address.
    func exchangeSignInCode(_ request: Request) async throws -> Response {
        let body = try await decode(SignInCodeBody.self, from: request)
        let now = now()
        let record = try await guardAuthentication { () async throws(APIError) -> SignInCodeRecord in
            guard body.code.hasPrefix("rlc_"), body.code.utf8.count <= 128,
                  let record = try await storeCall({ () async throws(StoreError) in
                      try await store.consumeSignInCode(codeHash: Identifiers.hash(body.code), now: now)
                  })
            else { throw APIError.unauthenticated("the sign-in code is unknown, used or expired") }
            return record
        }
        guard let user = try await storeCall({ () async throws(StoreError) in try await store.user(id: record.userID) }) else {
            throw APIError.unauthenticated("the sign-in code's user is gone")
        }
        let (session, token) = try await makeSession(for: user, channel: record.channel, ttlSeconds: record.ttlSeconds)
        return json(
            SessionBody(token: token, userId: session.userID, appId: session.appID, channel: session.channel,
                        expiresAt: session.expiresAt),
            status: .created
        )
    }

    /// `POST /v1/me/authorizations` (user) `{sn, ticket}`: lets the device call this user. The ticket must be
    /// valid (known, not expired, for this SN and the user's app) and may authorize a few users
    /// (``Configuration/ticketMaxUsers``); it may have been used for registration. A refused ticket counts as a
    /// failed authentication of the client's address.
    func authorize(_ request: Request) async throws -> Response {
        let (user, _) = try await requireUser(request)
        let body = try await decode(AuthorizeBody.self, from: request)
        try SNRules.validate(body.sn)
        // A valid ticket always has its device (issuing one creates it, deleting a device deletes its tickets).
        let now = now()
        let maxUsers = configuration.ticketMaxUsers
        let record = try await guardAuthentication { () async throws(APIError) in
            guard body.ticket.hasPrefix("rlt_"), body.ticket.utf8.count <= 128 else { throw APIError.ticketInvalid }
            let hash = Identifiers.hash(body.ticket)
            return try await storeCall { () async throws(StoreError) in
                try await store.authorizeWithTicket(ticketHash: hash, sn: body.sn, userID: user.id, appID: user.appID,
                                              maxUsers: maxUsers, now: now)
            }
        }
        await onAuthorizationChange(record)
        return json(AuthorizationBody(record))
    }

    /// `GET /v1/me/authorizations?limit=&cursor=` (user): the devices this user authorized (revoked ones too,
    /// with their status), each with the device's name and whether it is online (has a signaling session open)
    /// now; one page, most recently changed first.
    func myAuthorizations(_ request: Request) async throws -> Response {
        let (user, _) = try await requireUser(request)
        let request = try pageRequest(request)
        let page = try await storeCall { () async throws(StoreError) in
            try await store.authorizations(appID: user.appID, sn: nil, userID: user.id, page: request)
        }
        let records = page.items
        let online = await onlineDevices(records.map(\.sn))
        var items: [AuthorizationBody] = []
        for record in records {
            var item = AuthorizationBody(record)
            item.deviceName = try await storeCall { () async throws(StoreError) in try await store.device(sn: record.sn) }?.name ?? record.sn
            item.online = online.contains(record.sn)
            items.append(item)
        }
        return json(ListBody(items: items))
    }

    /// `DELETE /v1/me/authorizations/{sn}` (user): the device may no longer call this user; a call between
    /// them in progress ends at once.
    func revoke(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let (user, _) = try await requireUser(request)
        let sn = try parameter("sn", context)
        try SNRules.validate(sn)
        return try await revoke(user: user, sn: sn)
    }

    /// `GET /v1/me/calls?sn=&limit=` (user): this user's calls, newest first.
    func myCalls(_ request: Request) async throws -> Response {
        let (user, _) = try await requireUser(request)
        return try await callList(request, appID: user.appID, userID: user.id)
    }

    /// `GET /v1/me/notices?unread=true&limit=&cursor=` (user): notices from devices, newest first.
    func myNotices(_ request: Request) async throws -> Response {
        let (user, _) = try await requireUser(request)
        let unread: Bool
        switch request.uri.queryParameters.get("unread") {
        case nil, "false": unread = false
        case "true": unread = true
        default: throw APIError.badRequest("unread must be true or false")
        }
        let page = try pageRequest(request)
        return list(try await storeCall { () async throws(StoreError) in
            try await store.notices(userID: user.id, unreadOnly: unread, page: page)
        }, NoticeBody.init)
    }

    /// `POST /v1/me/notices/{noticeId}/read` (user): marks one notice read; 404 if it is not this user's.
    func markNoticeRead(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let (user, _) = try await requireUser(request)
        let id = try parameter("noticeId", context)
        guard id.utf8.count <= 64 else { throw APIError.notFound("no notice \(id)") }
        let now = now()
        try await storeCall { () async throws(StoreError) in try await store.markNoticeRead(id: id, userID: user.id, now: now) }
        return Response(status: .noContent)
    }
}

import Hummingbird
import RingletStore

extension APIRoutes {
    /// `POST /v1/apps/{appId}/users` (operator or that app): a user with a fresh openId.
    func createUser(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let body = try await decode(CreateUserBody.self, from: request)
        let name = body.name ?? ""
        try Self.validateName(name)
        let user = UserRecord(
            id: identifiers.id("usr_", hexDigits: 16), appID: app.id, openID: identifiers.id("oid_", hexDigits: 24),
            name: name, createdAt: now()
        )
        try await storeCall { () async throws(StoreError) in try await store.insertUser(user) }
        return json(UserBody(user), status: .created)
    }

    /// `GET /v1/apps/{appId}/users` (operator or that app): one page, oldest first.
    func listUsers(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let page = try pageRequest(request)
        return list(try await storeCall { () async throws(StoreError) in try await store.users(appID: app.id, page: page) }, UserBody.init)
    }

    /// `POST /v1/apps/{appId}/users/{userId}/sessions` (the app backend, or the operator): a session token, once.
    func createSession(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let (session, token) = try await newSession(request, context)
        return json(
            SessionBody(token: token, userId: session.userID, appId: session.appID, channel: session.channel,
                        expiresAt: session.expiresAt),
            status: .created
        )
    }

    /// `POST /v1/apps/{appId}/users/{userId}/sign-in-links` (operator or the app): a link to the web app carrying
    /// a one-time code (`<publicBaseURL>/app/#code=rlc_…`), valid ``Configuration/signInCodeLifetimeMs``; the
    /// web app exchanges it once for a session with the body's channel and lifetime (`POST /v1/sign-in`). A
    /// link that leaks after use (history, logs, a forwarded mail) signs nobody in.
    func createSignInLink(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let user = try await appUser(parameter("userId", context), of: app)
        let body = try await decode(CreateSessionBody.self, from: request)
        let ttl = body.ttlSeconds ?? configuration.defaultSessionTTLSeconds
        try checkSessionTTL(ttl)
        let code = identifiers.secret("rlc_")
        let now = now()
        let record = SignInCodeRecord(codeHash: Identifiers.hash(code), userID: user.id, appID: app.id,
                                      channel: body.channel ?? .release, ttlSeconds: ttl,
                                      expiresAt: now + configuration.signInCodeLifetimeMs, createdAt: now)
        try await storeCall { () async throws(StoreError) in try await store.insertSignInCode(record) }
        let base = configuration.publicBaseURL.hasSuffix("/")
            ? String(configuration.publicBaseURL.dropLast()) : configuration.publicBaseURL
        return json(
            SignInLinkBody(url: "\(base)/app/#code=\(code)", code: code, userId: user.id, expiresAt: record.expiresAt,
                           sessionTtlSeconds: ttl),
            status: .created
        )
    }

    /// Creates and stores a session for the path's user; returns it with its token.
    private func newSession(_ request: Request, _ context: RingletRequestContext) async throws -> (SessionRecord, String) {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let user = try await appUser(parameter("userId", context), of: app)
        let body = try await decode(CreateSessionBody.self, from: request)
        return try await makeSession(for: user, channel: body.channel ?? .release,
                               ttlSeconds: body.ttlSeconds ?? configuration.defaultSessionTTLSeconds)
    }

    /// The user `userID` of `app`; 404 when absent or another app's.
    func appUser(_ userID: String, of app: AppRecord) async throws(APIError) -> UserRecord {
        guard userID.utf8.count <= 64,
              let user = try await storeCall({ () async throws(StoreError) in try await store.user(id: userID) }), user.appID == app.id
        else { throw APIError.notFound("no user \(userID) in this app") }
        return user
    }

    /// Checks a session lifetime against ``Configuration/maxSessionTTLSeconds``.
    func checkSessionTTL(_ ttl: Int) throws(APIError) {
        guard ttl >= 1, ttl <= configuration.maxSessionTTLSeconds else {
            throw APIError.invalid("ttlSeconds must be from 1 to \(configuration.maxSessionTTLSeconds)")
        }
    }

    /// Stores a fresh session of `user` (ttl checked against ``Configuration/maxSessionTTLSeconds``); returns it
    /// with its token (only the token's hash is stored).
    func makeSession(for user: UserRecord, channel: AppChannel, ttlSeconds ttl: Int) async throws(APIError)
        -> (SessionRecord, String)
    {
        try checkSessionTTL(ttl)
        let token = identifiers.secret("rlu_")
        let now = now()
        let session = SessionRecord(
            tokenHash: Identifiers.hash(token), userID: user.id, appID: user.appID, channel: channel,
            expiresAt: now + Int64(ttl) * 1000, createdAt: now
        )
        try await storeCall { () async throws(StoreError) in try await store.insertSession(session) }
        return (session, token)
    }

    /// `GET /v1/apps/{appId}/authorizations?sn=&userId=&limit=&cursor=` (operator or that app): one page, most
    /// recently changed first.
    func listAppAuthorizations(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let sn = request.uri.queryParameters.get("sn")
        let userID = request.uri.queryParameters.get("userId")
        if let sn {
            try SNRules.validate(sn)
            guard let device = try await storeCall({ () async throws(StoreError) in try await store.device(sn: sn) }), device.appID == app.id
            else { return json(ListBody<AuthorizationBody>(items: [])) }
        }
        if let userID {
            guard userID.utf8.count <= 64,
                  let user = try await storeCall({ () async throws(StoreError) in try await store.user(id: userID) }), user.appID == app.id
            else { return json(ListBody<AuthorizationBody>(items: [])) }
        }
        let page = try pageRequest(request)
        return list(try await storeCall { () async throws(StoreError) in
            try await store.authorizations(appID: app.id, sn: sn, userID: userID, page: page)
        }, AuthorizationBody.init)
    }

    /// `DELETE /v1/apps/{appId}/users/{userId}/authorizations/{sn}` (operator or that app): takes back a user's
    /// authorization of a device (an app whose user left, an operator answering an abuse report). The device is
    /// told, and a call between them in progress ends at once. 404 when it is not authorized.
    func revokeForUser(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let user = try await appUser(parameter("userId", context), of: app)
        let sn = try parameter("sn", context)
        try SNRules.validate(sn)
        return try await revoke(user: user, sn: sn)
    }

    /// Marks `user`'s authorization of `sn` revoked and tells the hook; 404 when it is not authorized.
    func revoke(user: UserRecord, sn: String) async throws -> Response {
        guard let existing = try await storeCall({ () async throws(StoreError) in try await store.authorization(userID: user.id, sn: sn) }),
              existing.status == .authorized
        else { throw APIError.notFound("this device is not authorized") }
        let record = AuthorizationRecord(userID: user.id, sn: sn, status: .revoked, updatedAt: now())
        try await storeCall { () async throws(StoreError) in try await store.setAuthorization(record) }
        await onAuthorizationChange(record)
        return json(AuthorizationBody(record))
    }

    /// `GET /v1/apps/{appId}/calls?sn=&userId=&limit=&cursor=` (operator or that app): newest first.
    func listAppCalls(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        return try await callList(request, appID: app.id, userID: request.uri.queryParameters.get("userId"))
    }

    /// `GET /v1/calls?appId=&sn=&userId=&limit=&cursor=` (operator): every app's calls, newest first.
    func listAllCalls(_ request: Request) async throws -> Response {
        try await requireOperator(request)
        return try await callList(
            request, appID: request.uri.queryParameters.get("appId"),
            userID: request.uri.queryParameters.get("userId")
        )
    }

    /// One page of the call history with the query's `sn`, `limit` and `cursor`.
    func callList(_ request: Request, appID: String?, userID: String?) async throws -> Response {
        let sn = request.uri.queryParameters.get("sn")
        if let sn { try SNRules.validate(sn) }
        let page = try pageRequest(request)
        return list(try await storeCall { () async throws(StoreError) in
            try await store.calls(appID: appID, sn: sn, userID: userID, page: page)
        }, CallBody.init)
    }
}

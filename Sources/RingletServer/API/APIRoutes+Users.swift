import Hummingbird
import RingletStore

extension APIRoutes {
    /// `POST /v1/apps/{appId}/users` (operator or that app): a user with a fresh openId.
    func createUser(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let app = try requireApp(request, appID: parameter("appId", context))
        let body = try await decode(CreateUserBody.self, from: request)
        let name = body.name ?? ""
        try Self.validateName(name)
        let user = UserRecord(
            id: identifiers.id("usr_", hexDigits: 16), appID: app.id, openID: identifiers.id("oid_", hexDigits: 24),
            name: name, createdAt: now()
        )
        try storeCall { () throws(StoreError) in try store.insertUser(user) }
        return json(UserBody(user), status: .created)
    }

    /// `GET /v1/apps/{appId}/users` (operator or that app).
    func listUsers(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let app = try requireApp(request, appID: parameter("appId", context))
        let users = try storeCall { () throws(StoreError) in try store.users(appID: app.id) }
        return json(ListBody(items: users.map(UserBody.init)))
    }

    /// `POST /v1/apps/{appId}/users/{userId}/sessions` (the app backend, or the operator): a session token, once.
    func createSession(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (session, token) = try await newSession(request, context)
        return json(
            SessionBody(token: token, userId: session.userID, appId: session.appID, channel: session.channel,
                        expiresAt: session.expiresAt),
            status: .created
        )
    }

    /// `POST /v1/apps/{appId}/users/{userId}/sign-in-links` (operator or the app): a link to the web app that
    /// carries a fresh session token (`<publicBaseURL>/app/#token=rlu_…`).
    func createSignInLink(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (session, token) = try await newSession(request, context)
        let base = configuration.publicBaseURL.hasSuffix("/")
            ? String(configuration.publicBaseURL.dropLast()) : configuration.publicBaseURL
        return json(
            SignInLinkBody(url: "\(base)/app/#token=\(token)", token: token, userId: session.userID,
                           expiresAt: session.expiresAt),
            status: .created
        )
    }

    /// Creates and stores a session for the path's user; returns it with its token.
    private func newSession(_ request: Request, _ context: BasicRequestContext) async throws -> (SessionRecord, String) {
        let app = try requireApp(request, appID: parameter("appId", context))
        let userID = try parameter("userId", context)
        let body = try await decode(CreateSessionBody.self, from: request)
        guard userID.utf8.count <= 64,
              let user = try storeCall({ () throws(StoreError) in try store.user(id: userID) }), user.appID == app.id
        else { throw APIError.notFound("no user \(userID) in this app") }
        return try makeSession(for: user, channel: body.channel ?? .release,
                               ttlSeconds: body.ttlSeconds ?? configuration.defaultSessionTTLSeconds)
    }

    /// Stores a fresh session of `user` (ttl checked against ``Configuration/maxSessionTTLSeconds``); returns it
    /// with its token (only the token's hash is stored).
    func makeSession(for user: UserRecord, channel: AppChannel, ttlSeconds ttl: Int) throws(APIError)
        -> (SessionRecord, String)
    {
        guard ttl >= 1, ttl <= configuration.maxSessionTTLSeconds else {
            throw APIError.invalid("ttlSeconds must be from 1 to \(configuration.maxSessionTTLSeconds)")
        }
        let token = identifiers.secret("rlu_")
        let now = now()
        let session = SessionRecord(
            tokenHash: Identifiers.hash(token), userID: user.id, appID: user.appID, channel: channel,
            expiresAt: now + Int64(ttl) * 1000, createdAt: now
        )
        try storeCall { () throws(StoreError) in try store.insertSession(session) }
        return (session, token)
    }

    /// `GET /v1/apps/{appId}/authorizations?sn=&userId=` (operator or that app).
    func listAppAuthorizations(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let app = try requireApp(request, appID: parameter("appId", context))
        let sn = request.uri.queryParameters.get("sn")
        let userID = request.uri.queryParameters.get("userId")
        if let sn { try SNRules.validate(sn) }
        var records: [AuthorizationRecord]
        if let sn {
            guard let device = try storeCall({ () throws(StoreError) in try store.device(sn: sn) }), device.appID == app.id
            else { return json(ListBody<AuthorizationBody>(items: [])) }
            records = try storeCall { () throws(StoreError) in try store.authorizations(sn: sn) }
        } else if let userID {
            guard userID.utf8.count <= 64,
                  let user = try storeCall({ () throws(StoreError) in try store.user(id: userID) }), user.appID == app.id
            else { return json(ListBody<AuthorizationBody>(items: [])) }
            records = try storeCall { () throws(StoreError) in try store.authorizations(userID: userID) }
        } else {
            let devices = try storeCall { () throws(StoreError) in try store.devices(appID: app.id) }
            records = []
            for device in devices {
                records += try storeCall { () throws(StoreError) in try store.authorizations(sn: device.sn) }
            }
        }
        if let userID { records = records.filter { $0.userID == userID } }
        return json(ListBody(items: records.map(AuthorizationBody.init)))
    }

    /// `GET /v1/apps/{appId}/calls?sn=&userId=&limit=` (operator or that app): newest first.
    func listAppCalls(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let app = try requireApp(request, appID: parameter("appId", context))
        return try callList(request, appID: app.id, userID: request.uri.queryParameters.get("userId"))
    }

    /// `GET /v1/calls?appId=&sn=&userId=&limit=` (operator): every app's calls, newest first.
    func listAllCalls(_ request: Request) throws -> Response {
        try requireOperator(request)
        return try callList(
            request, appID: request.uri.queryParameters.get("appId"), userID: request.uri.queryParameters.get("userId")
        )
    }

    /// The call history with the query's `sn` and `limit`.
    func callList(_ request: Request, appID: String?, userID: String?) throws -> Response {
        let sn = request.uri.queryParameters.get("sn")
        if let sn { try SNRules.validate(sn) }
        let limit = try limit(request)
        let calls = try storeCall { () throws(StoreError) in
            try store.calls(appID: appID, sn: sn, userID: userID, limit: limit)
        }
        return json(ListBody(items: calls.map(CallBody.init)))
    }
}

import Hummingbird
import RingletStore

extension APIRoutes {
    /// The demo app of development mode; 404 (as for an unknown route) when the server is not in dev mode.
    func requireDevApp() async throws(APIError) -> AppRecord {
        guard let appID = configuration.devAppID,
              let app = try await storeCall({ () async throws(StoreError) in try await store.app(id: appID) })
        else { throw APIError.notFound("no route: development sign-in is only served with --dev") }
        return app
    }

    /// `GET /v1/dev/users` (anyone, dev mode only): the demo app's users, so the web app can offer their names.
    func devUsers(_ request: Request) async throws -> Response {
        let app = try await requireDevApp()
        let page = try pageRequest(request)
        return list(try await storeCall { () async throws(StoreError) in try await store.users(appID: app.id, page: page) }, UserBody.init)
    }

    /// `POST /v1/dev/sign-in {name}` (anyone, dev mode only): the demo app's user with that name (the oldest one
    /// if several), created if there is none, and a fresh session token for it on the release channel with the
    /// default lifetime. The web app's sign-in in development; never served without `--dev`.
    func devSignIn(_ request: Request) async throws -> Response {
        let app = try await requireDevApp()
        let body = try await decode(DevSignInBody.self, from: request)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw APIError.invalid("name is empty") }
        try Self.validateName(name)
        let users = try await storeCall { () async throws(StoreError) in try await store.users(appID: app.id) }
        let existing = users.filter { $0.name == name }.min { $0.createdAt < $1.createdAt }
        let user: UserRecord
        if let existing {
            user = existing
        } else {
            user = UserRecord(
                id: identifiers.id("usr_", hexDigits: 16), appID: app.id, openID: identifiers.id("oid_", hexDigits: 24),
                name: name, createdAt: now()
            )
            try await storeCall { () async throws(StoreError) in try await store.insertUser(user) }
        }
        let created = existing == nil
        let (session, token) = try await makeSession(for: user, channel: .release,
                                               ttlSeconds: configuration.defaultSessionTTLSeconds)
        return json(
            DevSessionBody(token: token, user: UserBody(user), channel: session.channel, expiresAt: session.expiresAt,
                           created: created),
            status: created ? .created : .ok
        )
    }
}

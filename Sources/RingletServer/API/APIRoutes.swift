import Foundation
import Hummingbird
import Logging
import Metrics
import RingletStore
import RingletWebPush

/// The `/v1` JSON API over a ``Store`` (docs/api.md; the document is Resources/openapi.yaml).
///
/// Build one with the store, its configuration, a clock and a random source, and call ``register(on:)`` on the
/// server's HTTP router. Every handler reads the clock through ``now`` (Unix ms) and draws ids and secrets from
/// ``identifiers``, so tests control expiry and ids. Errors are answered as JSON by ``APIErrorMiddleware``;
/// bad input never gives a 500.
public struct APIRoutes: Sendable {
    /// The knobs of the API (limits, lifetimes, the public address in sign-in links).
    public struct Configuration: Sendable, Hashable {
        /// The largest request body accepted; larger gives 413. Default 64 KiB.
        public var maxBodySize: Int
        /// How long an SN ticket is valid, ms. Default 5 minutes (the seed's snTicket).
        public var ticketLifetimeMs: Int64
        /// Session lifetime when the request names none, seconds. Default 1 day.
        public var defaultSessionTTLSeconds: Int
        /// The longest session a request may ask for, seconds. Default 30 days.
        public var maxSessionTTLSeconds: Int
        /// The address people reach the server at, e.g. `http://127.0.0.1:8080` (sign-in links).
        public var publicBaseURL: String
        /// Development mode's demo app: the app whose users `/v1/dev/…` signs in. nil (the default, and always
        /// without `--dev`): those endpoints answer 404.
        public var devAppID: String?
        /// Users one SN ticket may authorize. Default 5 (``ServerLimits/ticketMaxUsers``).
        public var ticketMaxUsers = 5
        /// How long a sign-in link's one-time code stays valid, ms. Default 10 minutes.
        public var signInCodeLifetimeMs: Int64 = 600_000
        /// The server's VAPID public key (base64url), or nil (the default) when Web Push is off: then
        /// `GET /v1/push/vapid-public-key` and `POST /v1/me/push-subscriptions` answer 404.
        public var pushPublicKey: String?
        /// Which push endpoints subscriptions may name (default: https only; `--dev`: http to loopback too).
        public var pushEndpointPolicy: PushEndpoint.Policy
        /// Subscriptions kept per user; the oldest goes beyond it. Default 5.
        public var maximumPushSubscriptionsPerUser: Int

        /// The documented defaults, with the public address given.
        public init(
            maxBodySize: Int = 64 * 1024, ticketLifetimeMs: Int64 = 5 * 60 * 1000, defaultSessionTTLSeconds: Int = 86_400,
            maxSessionTTLSeconds: Int = 30 * 86_400, publicBaseURL: String = "http://127.0.0.1:8080",
            devAppID: String? = nil, pushPublicKey: String? = nil, pushEndpointPolicy: PushEndpoint.Policy = .init(),
            maximumPushSubscriptionsPerUser: Int = 5
        ) {
            self.pushPublicKey = pushPublicKey
            self.pushEndpointPolicy = pushEndpointPolicy
            self.maximumPushSubscriptionsPerUser = maximumPushSubscriptionsPerUser
            self.maxBodySize = maxBodySize
            self.ticketLifetimeMs = ticketLifetimeMs
            self.defaultSessionTTLSeconds = defaultSessionTTLSeconds
            self.maxSessionTTLSeconds = maxSessionTTLSeconds
            self.publicBaseURL = publicBaseURL
            self.devAppID = devAppID
        }
    }

    /// One registered route: its method and its path in the OpenAPI spelling (`/v1/apps/{appId}`).
    public struct Route: Hashable, Sendable, CustomStringConvertible {
        public let method: HTTPRequest.Method
        public let path: String
        public var description: String { "\(method.rawValue) \(path)" }
    }

    /// The settings key under which the admin token's SHA-256 (hex) is kept in the store.
    public static let adminTokenHashSetting = "adminTokenHash"

    let store: any Store
    let configuration: Configuration
    /// The current time, Unix ms.
    let now: @Sendable () -> Int64
    let identifiers: Identifiers
    let logger: Logger
    /// Called after a user authorizes or revokes a device (the signaling router pushes it to the device).
    let onAuthorizationChange: @Sendable (AuthorizationRecord) async -> Void
    /// Which of the given SNs have a device session open (the signaling hub knows; none without one).
    let onlineDevices: @Sendable ([String]) async -> Set<String>
    /// Told when a credential is taken back (sign-out, device reset or deletion): the signaling hub closes
    /// the sessions that stood on it.
    let onRevocation: @Sendable (CredentialRevocation) async -> Void
    /// Failed authentications per client address.
    let authLimiter: AuthFailureLimiter
    /// Declines a ringing call for a user (user id, call id, the declining subscription's endpoint): the
    /// signaling hub's ``SignalingHub/rejectCall(userID:callID:endpoint:)``; without a hub nothing rings.
    let rejectCall: @Sendable (String, String, String?) async -> CallRejectOutcome
    /// The OpenAPI document served at `GET /v1/openapi.yaml`.
    let openAPIDocument: String

    /// The API over `store`.
    ///
    /// - Parameters:
    ///   - store: where everything is kept.
    ///   - configuration: limits and lifetimes.
    ///   - now: the clock, Unix ms.
    ///   - identifiers: the random source for ids, secrets and tokens (default: the system's).
    ///   - logger: for failures (secrets are never logged).
    ///   - onAuthorizationChange: called after each authorization change.
    ///   - onlineDevices: which of the given SNs are online now (`GET /v1/me/authorizations`); default none.
    ///   - onRevocation: told when a session token or a device's key is taken back.
    ///   - authLimiter: failed authentications per client address (default: 20 at once, 10 a minute).
    ///   - rejectCall: declines a ringing call (`POST /v1/me/calls/{callId}/reject`); default: nothing rings.
    public init(
        store: any Store, configuration: Configuration = Configuration(), now: @escaping @Sendable () -> Int64,
        identifiers: Identifiers = .system, logger: Logger = Logger(label: "ringlet.api"),
        onAuthorizationChange: @escaping @Sendable (AuthorizationRecord) async -> Void = { _ in },
        onlineDevices: @escaping @Sendable ([String]) async -> Set<String> = { _ in [] },
        onRevocation: @escaping @Sendable (CredentialRevocation) async -> Void = { _ in },
        authLimiter: AuthFailureLimiter = AuthFailureLimiter(burst: 20, perMinute: 10, metricsFactory: NOOPMetricsHandler.instance),
        rejectCall: @escaping @Sendable (String, String, String?) async -> CallRejectOutcome = { _, _, _ in .notRinging }
    ) {
        self.onRevocation = onRevocation
        self.authLimiter = authLimiter
        self.rejectCall = rejectCall
        self.store = store
        self.configuration = configuration
        self.now = now
        self.identifiers = identifiers
        self.logger = logger
        self.onAuthorizationChange = onAuthorizationChange
        self.onlineDevices = onlineDevices
        self.openAPIDocument = OpenAPIDocument.text
    }

    /// Adds the API's routes (and its JSON error middleware) to `router`; returns the routes added.
    @discardableResult
    public func register(on router: Router<RingletRequestContext>) -> [Route] {
        router.add(middleware: APIErrorMiddleware<RingletRequestContext>())
        router.add(middleware: ClientAddressMiddleware())
        var routes: [Route] = []
        func on(
            _ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (APIRoutes, Request, RingletRequestContext) async throws -> Response
        ) {
            routes.append(Route(method: method, path: path))
            router.on(RouterPath(path), method: method) { [self] request, context in
                try await handler(self, request, context)
            }
        }
        on(.get, "/healthz") { api, _, _ in api.json(HealthBody(status: "ok")) }
        on(.get, "/v1/openapi.yaml") { api, _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: api.openAPIDocument)))
        }
        // Apps (operator; an app backend may read its own).
        on(.post, "/v1/apps") { api, request, _ in try await api.createApp(request) }
        on(.get, "/v1/apps") { api, request, _ in try await api.listApps(request) }
        on(.get, "/v1/apps/{appId}") { api, request, context in try await api.getApp(request, context) }
        on(.patch, "/v1/apps/{appId}") { api, request, context in try await api.patchApp(request, context) }
        on(.post, "/v1/apps/{appId}/secret") { api, request, context in try await api.rotateSecret(request, context) }
        // Models, devices, tickets (operator or the app).
        on(.post, "/v1/apps/{appId}/models") { api, request, context in try await api.createModel(request, context) }
        on(.get, "/v1/apps/{appId}/models") { api, request, context in try await api.listModels(request, context) }
        on(.post, "/v1/apps/{appId}/devices") { api, request, context in try await api.createDevice(request, context) }
        on(.get, "/v1/apps/{appId}/devices") { api, request, context in try await api.listDevices(request, context) }
        on(.get, "/v1/devices/{sn}") { api, request, context in try await api.getDevice(request, context) }
        on(.delete, "/v1/devices/{sn}") { api, request, context in try await api.deleteDevice(request, context) }
        on(.patch, "/v1/devices/{sn}") { api, request, context in try await api.patchDevice(request, context) }
        on(.post, "/v1/devices/{sn}/reset") { api, request, context in try await api.resetDevice(request, context) }
        on(.post, "/v1/apps/{appId}/tickets") { api, request, context in try await api.issueTicket(request, context) }
        on(.post, "/v1/devices/{sn}/register") { api, request, context in try await api.registerDevice(request, context) }
        // Users and their sessions (operator or the app).
        on(.post, "/v1/apps/{appId}/users") { api, request, context in try await api.createUser(request, context) }
        on(.get, "/v1/apps/{appId}/users") { api, request, context in try await api.listUsers(request, context) }
        on(.post, "/v1/apps/{appId}/users/{userId}/sessions") { api, request, context in
            try await api.createSession(request, context)
        }
        on(.post, "/v1/apps/{appId}/users/{userId}/sign-in-links") { api, request, context in
            try await api.createSignInLink(request, context)
        }
        // Authorizations and calls seen by the operator or the app.
        on(.get, "/v1/apps/{appId}/authorizations") { api, request, context in try await api.listAppAuthorizations(request, context) }
        on(.delete, "/v1/apps/{appId}/users/{userId}/authorizations/{sn}") { api, request, context in
            try await api.revokeForUser(request, context)
        }
        on(.get, "/v1/apps/{appId}/calls") { api, request, context in try await api.listAppCalls(request, context) }
        on(.get, "/v1/calls") { api, request, _ in try await api.listAllCalls(request) }
        // The signed-in user.
        on(.get, "/v1/me") { api, request, _ in try await api.me(request) }
        on(.delete, "/v1/me/session") { api, request, _ in try await api.signOut(request) }
        on(.post, "/v1/sign-in") { api, request, _ in try await api.exchangeSignInCode(request) }
        on(.post, "/v1/me/authorizations") { api, request, _ in try await api.authorize(request) }
        on(.get, "/v1/me/authorizations") { api, request, _ in try await api.myAuthorizations(request) }
        on(.delete, "/v1/me/authorizations/{sn}") { api, request, context in try await api.revoke(request, context) }
        on(.get, "/v1/me/calls") { api, request, _ in try await api.myCalls(request) }
        on(.get, "/v1/me/notices") { api, request, _ in try await api.myNotices(request) }
        on(.post, "/v1/me/notices/{noticeId}/read") { api, request, context in try await api.markNoticeRead(request, context) }
        on(.post, "/v1/me/calls/{callId}/reject") { api, request, context in try await api.rejectMyCall(request, context) }
        // Web Push (docs/push.md).
        on(.get, "/v1/push/vapid-public-key") { api, _, _ in try api.vapidPublicKey() }
        on(.get, "/v1/me/push-subscriptions") { api, request, _ in try await api.myPushSubscriptions(request) }
        on(.post, "/v1/me/push-subscriptions") { api, request, _ in try await api.addPushSubscription(request) }
        on(.delete, "/v1/me/push-subscriptions") { api, request, _ in try await api.deletePushSubscription(request) }
        // Development mode's sign-in for the web app (404 unless `--dev`).
        on(.get, "/v1/dev/users") { api, request, _ in try await api.devUsers(request) }
        on(.post, "/v1/dev/sign-in") { api, request, _ in try await api.devSignIn(request) }
        return routes
    }

    // MARK: Helpers

    /// A JSON response.
    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else {
            return APIError(.internalServerError, .internal, "encoding failed").response()
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The request's JSON body as `T`: 413 beyond ``Configuration/maxBodySize``, 400 when it is not that JSON.
    /// An empty body counts as `{}`.
    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: configuration.maxBodySize)
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.badRequest("the body is not the JSON this endpoint takes: \(Self.describe(error))")
        } catch {
            throw APIError.badRequest("the body is not JSON")
        }
    }

    /// A short, safe description of a decoding error (the field path and what was wrong).
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "body" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "missing field \(key.stringValue)"
        case .typeMismatch(_, let context): return "wrong type at \(path(context))"
        case .valueNotFound(_, let context): return "null at \(path(context))"
        case .dataCorrupted(let context): return "invalid value at \(path(context))"
        @unknown default: return "invalid"
        }
    }

    /// The path parameter `name` (always present when the route matched).
    func parameter(_ name: String, _ context: RingletRequestContext) throws(APIError) -> String {
        guard let value = context.parameters.get(name) else { throw APIError.badRequest("missing \(name)") }
        return value
    }

    /// The query parameter `limit` (default 50, 1...500).
    func limit(_ request: Request) throws(APIError) -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let value = Int(text), (1...500).contains(value) else {
            throw APIError.badRequest("limit must be an integer from 1 to 500")
        }
        return value
    }

    /// The page a list request asks for: `limit` and `cursor` (the `nextCursor` of the previous page).
    func pageRequest(_ request: Request) throws(APIError) -> PageRequest {
        let limit = try limit(request)
        guard let text = request.uri.queryParameters.get("cursor") else { return PageRequest(limit: limit) }
        guard let cursor = ListCursor.decode(String(text)) else {
            throw APIError.badRequest("cursor is not a nextCursor this server gave")
        }
        return PageRequest(limit: limit, after: cursor)
    }

    /// A list answer: the page's items and the cursor of the next page.
    func list<Record: Sendable, Item: Codable & Sendable>(_ page: Page<Record>, _ transform: (Record) -> Item) -> Response {
        json(ListBody(items: page.items.map(transform), nextCursor: page.next.map(ListCursor.encode)))
    }

    /// Checks a display name: at most 200 bytes.
    static func validateName(_ name: String, field: String = "name") throws(APIError) {
        guard name.utf8.count <= 200 else { throw APIError.invalid("\(field) is longer than 200 bytes") }
    }
}

/// The OpenAPI document shipped in the module's resources.
enum OpenAPIDocument {
    /// The text of Resources/openapi.yaml ("" if the resource is missing, which a test forbids).
    static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml", subdirectory: "Resources"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "" }
        return text
    }()
}

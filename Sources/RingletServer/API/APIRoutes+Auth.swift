import Foundation
import Hummingbird
import RingletStore

/// Who is calling, from the `Authorization` header (cloud brief, "HTTP auth").
enum Caller: Sendable {
    /// `Bearer rla_…`: the operator, who may do everything.
    case `operator`
    /// `Basic base64(appId:rls_…)`: an app backend.
    case app(AppRecord)
    /// `Bearer rlu_…`: a signed-in user, with the session used.
    case user(UserRecord, SessionRecord)
}

extension APIRoutes {
    /// The client's IP address of the request being handled (set by ``ClientAddressMiddleware``), for the
    /// failed-authentication limit.
    @TaskLocal static var clientIP: String?

    /// The caller named by the request's credentials; 401 if none or unknown, 429 when this address failed to
    /// authenticate too often (``AuthFailureLimiter``; the credentials are not even looked at then).
    func caller(_ request: Request) async throws(APIError) -> Caller {
        try await guardAuthentication { () async throws(APIError) in try await identify(request) }
    }

    /// Runs `check`, an authentication: refused with 429 while the client's address is over its failure limit;
    /// a 401 or a -10008 from `check` counts as one failure.
    func guardAuthentication<T>(_ check: () async throws(APIError) -> T) async throws(APIError) -> T {
        let ip = Self.clientIP
        if let wait = authLimiter.retryAfter(ip) { throw APIError.rateLimited(retryAfter: wait) }
        do {
            return try await check()
        } catch {
            if error.status == .unauthorized || error.code == .ticketInvalid { authLimiter.recordFailure(ip) }
            throw error
        }
    }

    /// The caller named by the request's credentials; 401 if none or unknown.
    private func identify(_ request: Request) async throws(APIError) -> Caller {
        guard let header = request.headers[.authorization], header.utf8.count <= 1024 else {
            throw APIError.unauthenticated()
        }
        if header.hasPrefix("Bearer ") {
            let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            if token.hasPrefix("rla_") {
                guard let stored = try await storeCall({ () async throws(StoreError) in try await store.setting(Self.adminTokenHashSetting) }),
                      Identifiers.constantTimeEqual(stored, Identifiers.hash(token))
                else { throw APIError.unauthenticated() }
                return .operator
            }
            if token.hasPrefix("rlu_") {
                guard let session = try await storeCall({ () async throws(StoreError) in try await store.session(tokenHash: Identifiers.hash(token)) }),
                      session.expiresAt > now(),
                      let user = try await storeCall({ () async throws(StoreError) in try await store.user(id: session.userID) })
                else { throw APIError.unauthenticated("unknown or expired session token") }
                return .user(user, session)
            }
            throw APIError.unauthenticated()
        }
        if header.hasPrefix("Basic ") {
            let encoded = String(header.dropFirst("Basic ".count)).trimmingCharacters(in: .whitespaces)
            guard let data = Data(base64Encoded: encoded), let pair = String(data: data, encoding: .utf8),
                  let colon = pair.firstIndex(of: ":")
            else { throw APIError.unauthenticated() }
            let appID = String(pair[..<colon]), secret = String(pair[pair.index(after: colon)...])
            guard appID.utf8.count <= 64, let app = try await storeCall({ () async throws(StoreError) in try await store.app(id: appID) }),
                  Identifiers.constantTimeEqual(app.secretHash, Identifiers.hash(secret))
            else { throw APIError.unauthenticated() }
            return .app(app)
        }
        throw APIError.unauthenticated()
    }

    /// Requires the operator; 401 without credentials, 403 for others.
    func requireOperator(_ request: Request) async throws(APIError) {
        guard case .operator = try await caller(request) else { throw APIError.forbidden("only the operator may do this") }
    }

    /// Requires the operator or the backend of app `appID`; returns the app (404 if the operator names none).
    func requireApp(_ request: Request, appID: String) async throws(APIError) -> AppRecord {
        switch try await caller(request) {
        case .operator:
            guard let app = try await storeCall({ () async throws(StoreError) in try await store.app(id: appID) }) else { throw APIError.notFound("no app \(appID)") }
            return app
        case .app(let app):
            guard app.id == appID else { throw APIError.forbidden("an app may only use its own resources") }
            return app
        case .user:
            throw APIError.forbidden("a user session may not do this")
        }
    }

    /// Requires a signed-in user.
    func requireUser(_ request: Request) async throws(APIError) -> (UserRecord, SessionRecord) {
        guard case .user(let user, let session) = try await caller(request) else {
            throw APIError.forbidden("this endpoint takes a user session token")
        }
        return (user, session)
    }

    /// Runs a store call, turning its error into an API error.
    func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws(APIError) -> T {
        do {
            return try await body()
        } catch {
            if error.code == .database { logger.error("store failed", metadata: ["error": "\(error)"]) }
            throw APIError(error)
        }
    }
}

/// Makes the client's address of each request known to the API (``APIRoutes/clientIP``).
struct ClientAddressMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: RingletRequestContext,
                next: (Request, RingletRequestContext) async throws -> Response) async throws -> Response {
        try await APIRoutes.$clientIP.withValue(context.clientIP) { try await next(request, context) }
    }
}

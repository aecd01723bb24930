import Hummingbird
import RingletStore

extension APIRoutes {
    // MARK: Apps

    /// `POST /v1/apps` (operator): a new app; the answer carries its secret, once.
    func createApp(_ request: Request) async throws -> Response {
        try await requireOperator(request)
        let body = try await decode(CreateAppBody.self, from: request)
        try Self.validateName(body.name)
        if let quota = body.callQuota, quota < 0 { throw APIError.invalid("callQuota must be at least 0") }
        let secret = identifiers.secret("rls_")
        let app = AppRecord(
            id: identifiers.id("app_", hexDigits: 16), name: body.name, secretHash: Identifiers.hash(secret),
            releaseApproved: body.releaseApproved ?? false, callQuota: body.callQuota, createdAt: now()
        )
        try await storeCall { () async throws(StoreError) in try await store.insertApp(app) }
        return json(AppBody(app, secret: secret), status: .created)
    }

    /// `GET /v1/apps` (operator): one page, oldest first.
    func listApps(_ request: Request) async throws -> Response {
        try await requireOperator(request)
        let page = try pageRequest(request)
        return list(try await storeCall { () async throws(StoreError) in try await store.apps(page: page) }) { AppBody($0) }
    }

    /// `POST /v1/apps/{appId}/secret` (operator or that app): a new app secret, shown once; the old one stops
    /// working at once (sessions and tickets it issued stay valid).
    func rotateSecret(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let secret = identifiers.secret("rls_")
        let hash = Identifiers.hash(secret)
        try await storeCall { () async throws(StoreError) in try await store.updateAppSecret(appID: app.id, secretHash: hash) }
        logger.info("app secret rotated", metadata: ["app": "\(app.id)"])
        var rotated = app
        rotated.secretHash = hash
        return json(AppBody(rotated, secret: secret))
    }

    /// `GET /v1/apps/{appId}` (operator or that app).
    func getApp(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        return json(AppBody(app))
    }

    /// `PATCH /v1/apps/{appId}` (operator): name, releaseApproved, callQuota (null: unlimited).
    func patchApp(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        try await requireOperator(request)
        var app = try await requireApp(request, appID: parameter("appId", context))
        let body = try await decode(PatchAppBody.self, from: request)
        if let name = body.name {
            try Self.validateName(name)
            app.name = name
        }
        if let approved = body.releaseApproved { app.releaseApproved = approved }
        if let quota = body.callQuota {
            if let quota, quota < 0 { throw APIError.invalid("callQuota must be at least 0") }
            app.callQuota = quota
        }
        let updated = app
        try await storeCall { () async throws(StoreError) in try await store.updateApp(updated) }
        return json(AppBody(updated))
    }

    // MARK: Models

    /// `POST /v1/apps/{appId}/models` (operator or that app).
    func createModel(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let body = try await decode(CreateModelBody.self, from: request)
        try Self.validateName(body.name)
        let id = body.id ?? identifiers.id("mdl_", hexDigits: 12)
        try Self.validateModelID(id)
        let model = ModelRecord(id: id, appID: app.id, name: body.name, createdAt: now())
        try await storeCall { () async throws(StoreError) in try await store.insertModel(model) }
        return json(ModelBody(model), status: .created)
    }

    /// `GET /v1/apps/{appId}/models` (operator or that app): one page, oldest first.
    func listModels(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let page = try pageRequest(request)
        return list(try await storeCall { () async throws(StoreError) in try await store.models(appID: app.id, page: page) }, ModelBody.init)
    }

    /// Model ids: `[A-Za-z0-9_-]{1,64}`.
    static func validateModelID(_ id: String) throws(APIError) {
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy(SNRules.isAllowed) else {
            throw APIError.invalid("a model id is 1 to 64 characters of [A-Za-z0-9_-]")
        }
    }

    /// The model `id` of `app`; 404 when absent or another app's.
    func model(_ id: String, of app: AppRecord) async throws(APIError) -> ModelRecord {
        try Self.validateModelID(id)
        guard let model = try await storeCall({ () async throws(StoreError) in try await store.model(id: id) }), model.appID == app.id else {
            throw APIError.notFound("no model \(id) in this app")
        }
        return model
    }
}

import COpenSSL
import Hummingbird
import RingletStore

extension APIRoutes {
    /// `POST /v1/apps/{appId}/devices` (operator or that app): `{sn, modelId, name}`.
    func createDevice(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let body = try await decode(CreateDeviceBody.self, from: request)
        try SNRules.validate(body.sn)
        let name = body.name ?? body.sn
        try Self.validateName(name)
        let model = try await model(body.modelId, of: app)
        let device = DeviceRecord(sn: body.sn, modelID: model.id, appID: app.id, name: name, createdAt: now())
        try await storeCall { () async throws(StoreError) in try await store.insertDevice(device) }
        return json(DeviceBody(device), status: .created)
    }

    /// `GET /v1/apps/{appId}/devices` (operator or that app): one page, oldest first.
    func listDevices(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let page = try pageRequest(request)
        return list(try await storeCall { () async throws(StoreError) in try await store.devices(appID: app.id, page: page) }, DeviceBody.init)
    }

    /// `GET /v1/devices/{sn}` (operator or the device's app).
    func getDevice(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        json(DeviceBody(try await ownedDevice(request, context)))
    }

    /// The path's device, for the operator or the device's app (401/403/404 otherwise).
    func ownedDevice(_ request: Request, _ context: RingletRequestContext) async throws(APIError) -> DeviceRecord {
        let sn = try parameter("sn", context)
        let caller = try await caller(request)
        try SNRules.validate(sn)
        guard let device = try await storeCall({ () async throws(StoreError) in try await store.device(sn: sn) }) else {
            throw APIError.notFound("no device \(sn)")
        }
        switch caller {
        case .operator: break
        case .app(let app) where app.id == device.appID: break
        default: throw APIError.forbidden("an app may only use its own devices")
        }
        return device
    }

    /// `PATCH /v1/devices/{sn}` (operator or the device's app): `{name}`, the name people see (the caller name).
    func patchDevice(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let device = try await ownedDevice(request, context)
        let body = try await decode(PatchDeviceBody.self, from: request)
        try Self.validateName(body.name)
        let renamed = try await storeCall { () async throws(StoreError) in
            try await store.renameDevice(sn: device.sn, name: body.name)
        }
        return json(DeviceBody(renamed))
    }

    /// `POST /v1/devices/{sn}/reset` (operator or the device's app): the device forgets its key (a new ticket
    /// may register it), its authorizations and its outstanding tickets; its signaling session is closed and its
    /// calls end. How a lost or stolen device is taken back, and how a re-provisioned one gets a new key.
    func resetDevice(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let device = try await ownedDevice(request, context)
        let reset = try await storeCall { () async throws(StoreError) in try await store.resetDevice(sn: device.sn) }
        logger.info("device reset", metadata: ["sn": "\(device.sn)"])
        await onRevocation(.device(sn: device.sn))
        return json(DeviceBody(reset))
    }

    /// `DELETE /v1/devices/{sn}` (operator or the device's app): the device, its authorizations and tickets
    /// are deleted (its call history stays); its session is closed. 204.
    func deleteDevice(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let device = try await ownedDevice(request, context)
        _ = try await storeCall { () async throws(StoreError) in try await store.deleteDevice(sn: device.sn) }
        logger.info("device deleted", metadata: ["sn": "\(device.sn)"])
        await onRevocation(.device(sn: device.sn))
        return Response(status: .noContent)
    }

    /// `POST /v1/apps/{appId}/tickets` (operator or that app): an SN ticket for `(sn, modelId)`, valid 5 minutes.
    /// The device is created (named `name`, else after its SN) if it does not exist yet; an existing device
    /// given a `name` is renamed.
    func issueTicket(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let app = try await requireApp(request, appID: parameter("appId", context))
        let body = try await decode(IssueTicketBody.self, from: request)
        try SNRules.validate(body.sn)
        if let name = body.name { try Self.validateName(name) }
        let model = try await model(body.modelId, of: app)
        let now = now()
        if let device = try await storeCall({ () async throws(StoreError) in try await store.device(sn: body.sn) }) {
            guard device.appID == app.id else { throw APIError.conflict("the SN belongs to another app") }
            guard device.modelID == model.id else {
                throw APIError(.unprocessableContent, .modelMismatch, "the device is of another model", seedCode: -17)
            }
            if let name = body.name, name != device.name {
                _ = try await storeCall { () async throws(StoreError) in
                    try await store.renameDevice(sn: body.sn, name: name)
                }
            }
        } else {
            let device = DeviceRecord(sn: body.sn, modelID: model.id, appID: app.id, name: body.name ?? body.sn,
                                      createdAt: now)
            try await storeCall { () async throws(StoreError) in try await store.insertDevice(device) }
        }
        let secret = identifiers.secret("rlt_")
        let ticket = TicketRecord(
            ticketHash: Identifiers.hash(secret), sn: body.sn, modelID: model.id, appID: app.id,
            expiresAt: now + configuration.ticketLifetimeMs, createdAt: now
        )
        try await storeCall { () async throws(StoreError) in try await store.insertTicket(ticket) }
        return json(
            TicketBody(ticket: secret, sn: ticket.sn, modelId: ticket.modelID, expiresAt: ticket.expiresAt),
            status: .created
        )
    }

    /// `POST /v1/devices/{sn}/register` (the ticket is the credential): stores the device's public key.
    /// An unknown, expired, used or other-SN ticket gives -10008 (and counts as a failed authentication of the
    /// client's address); a device registered already gives 409 `deviceRegistered` (also -10008: the device
    /// must be reset first), except for a retry with the same ticket and key, which gets the device again.
    func registerDevice(_ request: Request, _ context: RingletRequestContext) async throws -> Response {
        let sn = try parameter("sn", context)
        try SNRules.validate(sn)
        let body = try await decode(RegisterDeviceBody.self, from: request)
        guard let key = Identifiers.decodeBase64URL(body.publicKey), Self.isP256Point(key) else {
            throw APIError.invalid("publicKey must be a P-256 SEC1 uncompressed point (65 bytes), base64url")
        }
        let now = now()
        let device = try await guardAuthentication { () async throws(APIError) in
            guard body.ticket.hasPrefix("rlt_"), body.ticket.utf8.count <= 128 else { throw APIError.ticketInvalid }
            let hash = Identifiers.hash(body.ticket)
            return try await storeCall { () async throws(StoreError) in
                try await store.registerDevice(ticketHash: hash, sn: sn, publicKey: key, now: now)
            }
        }
        return json(DeviceBody(device))
    }

    /// Whether `bytes` is an uncompressed SEC1 point (`04 ‖ X ‖ Y`, 65 bytes) on P-256.
    static func isP256Point(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 65, bytes.first == 0x04 else { return false }
        guard let group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1) else { return false }
        defer { EC_GROUP_free(group) }
        guard let point = EC_POINT_new(group) else { return false }
        defer { EC_POINT_free(point) }
        return bytes.withUnsafeBufferPointer { EC_POINT_oct2point(group, point, $0.baseAddress, $0.count, nil) } == 1
    }
}

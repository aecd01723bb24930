import Foundation
import Hummingbird
import HummingbirdTesting
import RingletCore
import RingletServer
import RingletStore
import RingletWebPush
import Synchronization
import Testing

/// A clock the tests move by hand (Unix ms).
final class TestClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64 = 1_750_000_000_000) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(ms: Int64) { value.withLock { $0 += ms } }
}

/// Records the authorization changes the API reports.
actor AuthorizationRecorder {
    private(set) var records: [AuthorizationRecord] = []
    func record(_ record: AuthorizationRecord) { records.append(record) }
}

/// Records the credentials the API reports taken back.
actor RevocationRecorder {
    private(set) var revocations: [CredentialRevocation] = []
    func record(_ revocation: CredentialRevocation) { revocations.append(revocation) }
}

/// How a test reaches the server: in process (no sockets) or over loopback.
enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case router, live
    var setup: TestingSetup { self == .router ? .router : .live }
    var testDescription: String { rawValue }
}

/// The uncompressed P-256 base point G (SEC 2 §2.4.2): a valid device public key.
let validDeviceKey = [UInt8](
    hex: "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
) ?? []

/// An answer: status and JSON.
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let body: Data
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    var items: [[String: Any]] { (json["items"] as? [[String: Any]]) ?? [] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var seedCode: Int? { (json["error"] as? [String: Any])?["seedCode"] as? Int }
    func string(_ key: String) -> String { json[key] as? String ?? "" }
}

/// Credentials for a request.
enum Auth: Sendable {
    case none
    case bearer(String)
    case basic(appID: String, secret: String)
    case raw(String)

    var header: String? {
        switch self {
        case .none: return nil
        case .bearer(let token): return "Bearer \(token)"
        case .basic(let appID, let secret): return "Basic " + Data("\(appID):\(secret)".utf8).base64EncodedString()
        case .raw(let value): return value
        }
    }
}

extension TestClientProtocol {
    /// Sends a request with an optional JSON body (a dictionary, or raw text) and credentials.
    func call(_ method: HTTPRequest.Method, _ path: String, _ auth: Auth = .none, json: [String: Any]? = nil,
              raw: String? = nil) async throws -> Answer
    {
        var headers = HTTPFields()
        if let value = auth.header { headers[.authorization] = value }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        } else if let raw {
            body = ByteBuffer(string: raw)
            headers[.contentType] = "application/json"
        }
        let response = try await execute(uri: path, method: method, headers: headers, body: body)
        return Answer(status: response.status, body: Data(response.body.readableBytesView))
    }
}

/// A server over a store with a known admin token, a hand-moved clock and an authorization recorder.
struct APIHarness {
    static let adminToken = "rla_test-admin-token-0123456789abcdef"
    let store: any Store
    let clock = TestClock()
    let recorder = AuthorizationRecorder()
    let revocations = RevocationRecorder()
    let server: RingletServerApp

    init(store: (any Store)? = nil, devAppID: String? = nil,
         onlineDevices: @escaping @Sendable ([String]) async -> Set<String> = { _ in [] },
         push: Bool = false,
         configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        let store = if let store { store } else { try await APITestStore() }
        self.store = store
        var configuration = ServerConfiguration()
        configuration.http = .init(host: "127.0.0.1", port: 0)
        configuration.dev = true
        configuration.publicBaseURL = "http://ringlet.test:8080"
        // The rule tests make many failed authentications from one address on purpose; the limit on them has
        // tests of its own.
        configuration.limits.authFailureBurst = 100_000
        configure(&configuration)
        try configuration.validate()
        try await store.setSetting(APIRoutes.adminTokenHashSetting, Identifiers.hash(Self.adminToken))
        let clock = clock, recorder = recorder, revocations = revocations
        var service: PushService?
        if push, let subject = configuration.effectiveVAPIDSubject {
            service = PushService(configuration: .init(subject: subject, endpointPolicy: configuration.pushEndpointPolicy),
                                  key: VAPIDKey(), store: store, metricsFactory: ServerMetrics().factory)
        }
        server = RingletServerApp(
            configuration: configuration, store: store, now: { clock.now },
            onAuthorizationChange: { await recorder.record($0) }, onlineDevices: onlineDevices,
            onRevocation: { await revocations.record($0) }, devAppID: devAppID, push: service
        )
    }

    var admin: Auth { .bearer(Self.adminToken) }

    /// Runs `body` against the server over `transport`.
    func run(_ transport: Transport, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await server.makeApplication().test(transport.setup, body)
    }
}

/// The objects one flow creates, with their credentials.
struct Fixture: Sendable {
    var appID: String
    var appSecret: String
    var modelID: String
    var app: Auth { .basic(appID: appID, secret: appSecret) }
}

extension TestClientProtocol {
    /// Creates an app (operator) and a model (as the app); checks both answers.
    func makeApp(_ admin: Auth, name: String = "Door bells") async throws -> Fixture {
        let created = try await call(.post, "/v1/apps", admin, json: ["name": name, "releaseApproved": true])
        #expect(created.status == .created)
        let fixture = Fixture(appID: created.string("id"), appSecret: created.string("secret"), modelID: "")
        let model = try await call(.post, "/v1/apps/\(fixture.appID)/models", fixture.app, json: ["name": "Bell 1"])
        #expect(model.status == .created)
        return Fixture(appID: fixture.appID, appSecret: fixture.appSecret, modelID: model.string("id"))
    }

    /// Issues a ticket for `sn` as the app; returns it.
    func issueTicket(_ fixture: Fixture, sn: String) async throws -> String {
        let answer = try await call(.post, "/v1/apps/\(fixture.appID)/tickets", fixture.app,
                                    json: ["sn": sn, "modelId": fixture.modelID])
        #expect(answer.status == .created)
        return answer.string("ticket")
    }

    /// Creates a user and a session token for it (as the app); returns (userId, token).
    func makeUser(_ fixture: Fixture, name: String = "Ada") async throws -> (String, String) {
        let user = try await call(.post, "/v1/apps/\(fixture.appID)/users", fixture.app, json: ["name": name])
        #expect(user.status == .created)
        let session = try await call(.post, "/v1/apps/\(fixture.appID)/users/\(user.string("id"))/sessions", fixture.app,
                                     json: ["channel": "release", "ttlSeconds": 3600])
        #expect(session.status == .created)
        return (user.string("id"), session.string("token"))
    }
}

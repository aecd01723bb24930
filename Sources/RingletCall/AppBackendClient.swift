import Foundation
import NIOCore
import NIOHTTP1
import RingletCore

/// What an app backend does with `ringlet serve`'s HTTP API (docs/api.md) with its app secret: create users,
/// get them session tokens, issue SN tickets — and what a user does with a session token: authorize and revoke a
/// device. For `ringlet demo`, the benchmarks and the tests; a real backend has its own HTTP stack.
public struct AppBackendClient: Sendable {
    /// The app.
    public let appId: String
    private let secret: String
    private let client: HTTPJSONClient

    /// A client for the app `appId` with its secret on the server at `base`.
    public init(base: HTTPJSONClient.BaseURL, appId: String, secret: String, eventLoopGroup: any EventLoopGroup) {
        self.appId = appId
        self.secret = secret
        self.client = HTTPJSONClient(base: base, eventLoopGroup: eventLoopGroup)
    }

    private var basic: (String, String) { ("Authorization", "Basic " + Base64.encode(Array("\(appId):\(secret)".utf8))) }

    /// Sends a JSON request; returns the answer's object (empty for 204).
    /// - Throws: `badResponse` for a status outside 2xx (with the body), the client's errors.
    public func send(_ method: HTTPMethod, _ path: String, _ body: [String: Any]?, auth: (String, String)) async throws
        -> [String: Any]
    {
        let bytes = try body.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) }
        let response = try await client.request(method, path, json: bytes, headers: [auth])
        guard (200..<300).contains(response.status) else {
            throw CallClientError(.badResponse, "\(method) \(path): HTTP \(response.status) "
                                  + String(decoding: response.body, as: UTF8.self))
        }
        return (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    /// Creates a user of the app; returns its id and openId.
    public func createUser(name: String) async throws -> (id: String, openId: String) {
        let o = try await send(.POST, "/v1/apps/\(appId)/users", ["name": name], auth: basic)
        guard let id = o["id"] as? String, let openId = o["openId"] as? String else {
            throw CallClientError(.badResponse, "no user in the answer")
        }
        return (id, openId)
    }

    /// A session token for a user, on `channel` (release, debug, trial).
    public func sessionToken(userId: String, channel: String = "release") async throws -> String {
        let o = try await send(.POST, "/v1/apps/\(appId)/users/\(userId)/sessions", ["channel": channel], auth: basic)
        guard let token = o["token"] as? String else { throw CallClientError(.badResponse, "no token in the answer") }
        return token
    }

    /// An SN ticket for a device of `modelId` (the device is created when new).
    public func ticket(sn: String, modelId: String) async throws -> String {
        let o = try await send(.POST, "/v1/apps/\(appId)/tickets", ["sn": sn, "modelId": modelId], auth: basic)
        guard let ticket = o["ticket"] as? String else { throw CallClientError(.badResponse, "no ticket in the answer") }
        return ticket
    }

    /// The user (by session token) authorizes the device with an SN ticket.
    public func authorize(token: String, sn: String, ticket: String) async throws {
        _ = try await send(.POST, "/v1/me/authorizations", ["sn": sn, "ticket": ticket], auth: Self.bearer(token))
    }

    /// The user (by session token) revokes the device.
    public func revoke(token: String, sn: String) async throws {
        _ = try await send(.DELETE, "/v1/me/authorizations/\(sn)", nil, auth: Self.bearer(token))
    }

    static func bearer(_ token: String) -> (String, String) { ("Authorization", "Bearer \(token)") }
}

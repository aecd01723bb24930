#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import NIOSSL
import RingletCore

/// What an app backend does with `ringlet serve`'s HTTP API (docs/api.md) with its app secret: create users,
/// get them session tokens, issue SN tickets — and what a user does with a session token: authorize and revoke a
/// device. For `ringlet demo`, the benchmarks and the tests; a real backend has its own HTTP stack.
public struct AppBackendClient: Sendable {
    /// The app.
    public let appId: String
    private let secret: String
    private let client: HTTPJSONClient

    /// A client for the app `appId` with its secret on the server at `base` (`tlsConfiguration` for an
    /// `https://` server; nil: the system's trust store).
    public init(base: HTTPJSONClient.BaseURL, appId: String, secret: String, eventLoopGroup: any EventLoopGroup,
                tlsConfiguration: TLSConfiguration? = nil) {
        self.appId = appId
        self.secret = secret
        self.client = HTTPJSONClient(base: base, eventLoopGroup: eventLoopGroup, tlsConfiguration: tlsConfiguration)
    }

    private var basic: (String, String) { ("Authorization", "Basic " + Base64.encode(Array("\(appId):\(secret)".utf8))) }

    /// Sends a request with a JSON object of strings (or no body) and decodes the answer as `Answer`.
    /// - Throws: `badResponse` for a status outside 2xx (with the body) or an answer that does not decode.
    public func send<Answer: Decodable>(_ method: HTTPMethod, _ path: String, _ body: [String: String]?,
                                        auth: (String, String), as: Answer.Type) async throws -> Answer {
        let bytes = try body.map { [UInt8](try JSONEncoder().encode($0)) }
        let response = try await client.request(method, path, json: bytes, headers: [auth])
        guard (200..<300).contains(response.status) else {
            throw CallClientError(.badResponse, "\(method) \(path): HTTP \(response.status) "
                                  + String(decoding: response.body, as: UTF8.self))
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body.isEmpty ? Array("{}".utf8) : response.body))
        } catch {
            throw CallClientError(.badResponse, "\(method) \(path): the answer does not decode")
        }
    }

    private struct User: Decodable { let id: String; let openId: String }
    private struct Token: Decodable { let token: String }
    private struct Ticket: Decodable { let ticket: String }
    private struct Nothing: Decodable {}

    /// Creates a user of the app; returns its id and openId.
    public func createUser(name: String) async throws -> (id: String, openId: String) {
        let u = try await send(.POST, "/v1/apps/\(appId)/users", ["name": name], auth: basic, as: User.self)
        return (u.id, u.openId)
    }

    /// A session token for a user, on `channel` (release, debug, trial).
    public func sessionToken(userId: String, channel: String = "release") async throws -> String {
        try await send(.POST, "/v1/apps/\(appId)/users/\(userId)/sessions", ["channel": channel], auth: basic,
                       as: Token.self).token
    }

    /// An SN ticket for a device of `modelId` (the device is created when new).
    public func ticket(sn: String, modelId: String) async throws -> String {
        try await send(.POST, "/v1/apps/\(appId)/tickets", ["sn": sn, "modelId": modelId], auth: basic,
                       as: Ticket.self).ticket
    }

    /// The user (by session token) authorizes the device with an SN ticket.
    public func authorize(token: String, sn: String, ticket: String) async throws {
        _ = try await send(.POST, "/v1/me/authorizations", ["sn": sn, "ticket": ticket], auth: Self.bearer(token),
                           as: Nothing.self)
    }

    /// The user (by session token) revokes the device.
    public func revoke(token: String, sn: String) async throws {
        _ = try await send(.DELETE, "/v1/me/authorizations/\(sn)", nil, auth: Self.bearer(token), as: Nothing.self)
    }

    static func bearer(_ token: String) -> (String, String) { ("Authorization", "Bearer \(token)") }
}

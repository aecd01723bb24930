import Foundation
import Hummingbird
import RingletStore

/// An error the HTTP API answers with: a status and the JSON body
/// `{"error": {"code": "…", "message": "…", "seedCode": <int, when the seed has one>}}` (docs/api.md, "Errors").
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The machine-readable kind of error (the `code` string of the JSON body). Open set.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The body is not JSON, or not the JSON the endpoint takes (400).
        public static let badRequest = Code(rawValue: "badRequest")
        /// No credentials, or credentials the server does not know (401).
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// Known credentials that may not do this (403).
        public static let forbidden = Code(rawValue: "forbidden")
        /// No such resource or route (404).
        public static let notFound = Code(rawValue: "notFound")
        /// The route exists but not with this method (405).
        public static let methodNotAllowed = Code(rawValue: "methodNotAllowed")
        /// A resource with this key exists already (409).
        public static let conflict = Code(rawValue: "conflict")
        /// The body is larger than ``ServerConfiguration/maxBodySize`` (413).
        public static let payloadTooLarge = Code(rawValue: "payloadTooLarge")
        /// A well-formed request that breaks a rule (422): bad field values.
        public static let invalid = Code(rawValue: "invalid")
        /// SN longer than 128 bytes (422, seed code 9800001).
        public static let snTooLong = Code(rawValue: "snTooLong")
        /// SN empty or with characters outside `[A-Za-z0-9_-]` (422, seed code 9800002).
        public static let snBadCharacters = Code(rawValue: "snBadCharacters")
        /// SN ticket unknown, expired, used, for another SN or another app (422, seed code -10008).
        public static let ticketInvalid = Code(rawValue: "ticketInvalid")
        /// The device's model is not the one named (422, seed code -17).
        public static let modelMismatch = Code(rawValue: "modelMismatch")
        /// The device is registered already: it must be reset before a new ticket can register it (409, seed
        /// code -10008).
        public static let deviceRegistered = Code(rawValue: "deviceRegistered")
        /// Too many failed authentications from this address (429, with `Retry-After`).
        public static let rateLimited = Code(rawValue: "rateLimited")
        /// The server failed (500); never for bad input.
        public static let `internal` = Code(rawValue: "internal")
    }

    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// The error kind.
    public let code: Code
    /// A sentence for people.
    public let message: String
    /// The seed's integer code (tencent-sdk-notes §3), when the seed has one for this case.
    public let seedCode: Int32?
    /// Seconds to wait before trying again (`Retry-After` of a 429).
    public let retryAfterSeconds: Int?

    /// An error with every field given.
    public init(_ status: HTTPResponse.Status, _ code: Code, _ message: String, seedCode: Int32? = nil,
                retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.seedCode = seedCode
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status.code) \(code.rawValue): \(message)" }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, .badRequest, message) }
    static func invalid(_ message: String) -> APIError { APIError(.unprocessableContent, .invalid, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, .notFound, message) }
    static func forbidden(_ message: String = "these credentials may not do this") -> APIError {
        APIError(.forbidden, .forbidden, message)
    }
    static func unauthenticated(_ message: String = "missing or unknown credentials") -> APIError {
        APIError(.unauthorized, .unauthenticated, message)
    }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, .conflict, message) }
    static func rateLimited(retryAfter seconds: Int) -> APIError {
        APIError(.tooManyRequests, .rateLimited, "too many failed authentications from this address; try again later",
                 retryAfterSeconds: max(1, seconds))
    }
    static let deviceRegistered = APIError(
        .conflict, .deviceRegistered, "the device is registered already; the app or the operator must reset it first",
        seedCode: -10008
    )
    static let ticketInvalid = APIError(
        .unprocessableContent, .ticketInvalid, "the SN ticket is unknown, expired, used or not for this device",
        seedCode: -10008
    )

    /// The store's error as an API error: conflicts and missing records keep their meaning, a ticket error is
    /// -10008, a database failure is a 500 (the only one; the message is not shown to the client).
    init(_ error: StoreError) {
        switch error.code {
        case .conflict: self = .conflict(error.message)
        case .notFound: self = .notFound(error.message)
        case .ticketInvalid: self = .ticketInvalid
        case .alreadyRegistered: self = .deviceRegistered
        default: self.init(.internalServerError, .internal, "the store failed")
        }
    }

    /// The JSON body of this error.
    var body: ErrorBody { ErrorBody(error: .init(code: code.rawValue, message: message, seedCode: seedCode.map(Int.init))) }

    /// `{"error": {...}}`.
    struct ErrorBody: Codable, Sendable {
        struct Detail: Codable, Sendable {
            var code: String
            var message: String
            var seedCode: Int?
        }
        var error: Detail
    }

    /// The HTTP response carrying this error.
    func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data(#"{"error":{"code":"internal","message":"encoding failed"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="ringlet""# }
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error a route throws into the JSON error shape: ``APIError`` as it is, Hummingbird's own errors
/// (404 no route, 413 body too large, …) with their status, anything else a 500 that is logged.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            if error.status == .internalServerError {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return error.response()
        } catch let error as StoreError {
            context.logger.error("store failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return APIError(error).response()
        } catch let error as any HTTPResponseError {
            return Self.map(error.status).response()
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return APIError(.internalServerError, .internal, "the server failed").response()
        }
    }

    /// The API error for a status Hummingbird chose.
    static func map(_ status: HTTPResponse.Status) -> APIError {
        switch status {
        case .notFound: return .notFound("no such route")
        case .methodNotAllowed: return APIError(.methodNotAllowed, .methodNotAllowed, "method not allowed on this route")
        case .contentTooLarge: return APIError(.contentTooLarge, .payloadTooLarge, "the body is too large")
        case .unauthorized: return .unauthenticated()
        case .forbidden: return .forbidden()
        case .requestTimeout: return APIError(.requestTimeout, .badRequest, "the request took too long")
        default:
            if status.kind == .clientError { return APIError(status, .badRequest, "bad request") }
            return APIError(.internalServerError, .internal, "the server failed")
        }
    }
}

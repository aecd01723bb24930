import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `ringlet admin`: drives the `/v1` API from a shell with the admin token (docs/api.md). Prints the answer's
/// JSON on standard output; an error answer goes to standard error with exit code 1.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Operator commands over the HTTP API (admin token from --token or RINGLET_ADMIN_TOKEN).",
        subcommands: [AppGroup.self, ModelGroup.self, DeviceGroup.self, TicketGroup.self, UserGroup.self, CallsGroup.self]
    )

    struct AppGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "app", subcommands: [Create.self, RotateSecret.self])
        struct RotateSecret: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rotate-secret", abstract: "A new app secret (printed once); the old one stops working at once.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id.") var app: String
            func run() async throws {
                try await connection.call("POST", "/v1/apps/\(app.pathEscaped)/secret", body: nil)
            }
        }
        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create an app; prints its id and secret (once).")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app's name.") var name: String
            @Flag(name: .customLong("release-approved"), help: "Allow calls on the release channel.")
            var releaseApproved = false
            @Option(name: .customLong("call-quota"), help: "Calls allowed (default unlimited).") var callQuota: Int?
            func run() async throws {
                var body: [String: Any] = ["name": name, "releaseApproved": releaseApproved]
                if let callQuota { body["callQuota"] = callQuota }
                try await connection.call("POST", "/v1/apps", body: body)
            }
        }
    }

    struct ModelGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "model", subcommands: [Create.self])
        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Register a device model under an app.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id.") var app: String
            @Option(help: "The model's name.") var name: String
            @Option(help: "The model id ([A-Za-z0-9_-]{1,64}; default generated).") var id: String?
            func run() async throws {
                var body: [String: Any] = ["name": name]
                if let id { body["id"] = id }
                try await connection.call("POST", "/v1/apps/\(app.pathEscaped)/models", body: body)
            }
        }
    }

    struct DeviceGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "device",
                                                        subcommands: [Create.self, Reset.self, Delete.self])
        struct Reset: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Forget a device's key, authorizations and tickets (a new ticket may register it); ends its session.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The device SN.") var sn: String
            func run() async throws {
                try await connection.call("POST", "/v1/devices/\(sn.pathEscaped)/reset", body: nil)
            }
        }
        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a device (its call history stays).")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The device SN.") var sn: String
            func run() async throws {
                try await connection.call("DELETE", "/v1/devices/\(sn.pathEscaped)", body: nil)
            }
        }
        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a device of a model.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id.") var app: String
            @Option(help: "The device SN.") var sn: String
            @Option(help: "The model id.") var model: String
            @Option(help: "The name users see (default the SN).") var name: String?
            func run() async throws {
                var body: [String: Any] = ["sn": sn, "modelId": model]
                if let name { body["name"] = name }
                try await connection.call("POST", "/v1/apps/\(app.pathEscaped)/devices", body: body)
            }
        }
    }

    struct TicketGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ticket", subcommands: [Issue.self])
        struct Issue: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Issue an SN ticket (valid 5 minutes).")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id.") var app: String
            @Option(help: "The device SN.") var sn: String
            @Option(help: "The model id.") var model: String
            func run() async throws {
                try await connection.call("POST", "/v1/apps/\(app.pathEscaped)/tickets", body: ["sn": sn, "modelId": model])
            }
        }
    }

    struct UserGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "user",
                                                        subcommands: [Create.self, SignInLink.self, Revoke.self])
        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a user's authorization of a device; a call between them ends at once.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id.") var app: String
            @Option(help: "The user id.") var user: String
            @Option(help: "The device SN.") var sn: String
            func run() async throws {
                try await connection.call(
                    "DELETE", "/v1/apps/\(app.pathEscaped)/users/\(user.pathEscaped)/authorizations/\(sn.pathEscaped)",
                    body: nil)
            }
        }
        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a user of an app (gets an openId).")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id.") var app: String
            @Option(help: "The user's name.") var name: String?
            func run() async throws {
                var body: [String: Any] = [:]
                if let name { body["name"] = name }
                try await connection.call("POST", "/v1/apps/\(app.pathEscaped)/users", body: body)
            }
        }
        struct SignInLink: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "sign-in-link", abstract: "A web app link carrying a one-time sign-in code for a user."
            )
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id.") var app: String
            @Option(help: "The user id.") var user: String
            @Option(help: "release, debug or trial (default release).") var channel: String?
            @Option(help: "Session lifetime, seconds (default 1 day).") var ttl: Int?
            func run() async throws {
                var body: [String: Any] = [:]
                if let channel { body["channel"] = channel }
                if let ttl { body["ttlSeconds"] = ttl }
                try await connection.call(
                    "POST", "/v1/apps/\(app.pathEscaped)/users/\(user.pathEscaped)/sign-in-links", body: body
                )
            }
        }
    }

    struct CallsGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "calls", subcommands: [List.self])
        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The call history, newest first.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "Only this app's calls.") var app: String?
            @Option(help: "Only this device's calls.") var sn: String?
            @Option(help: "Only this user's calls.") var user: String?
            @Option(help: "At most this many (1 to 500, default 50).") var limit: Int?
            func run() async throws {
                var query = URLComponents()
                query.queryItems = [("appId", app), ("sn", sn), ("userId", user), ("limit", limit.map(String.init))]
                    .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
                let suffix = query.queryItems?.isEmpty == false ? "?" + (query.percentEncodedQuery ?? "") : ""
                try await connection.call("GET", "/v1/calls" + suffix, body: nil)
            }
        }
    }
}

/// Where the server is and the operator's token.
struct AdminConnection: ParsableArguments {
    @Option(help: "The server's base URL (default $RINGLET_SERVER or http://127.0.0.1:8080).")
    var server: String?
    @Option(help: "The admin token (default $RINGLET_ADMIN_TOKEN).")
    var token: String?

    /// Sends one request and prints the answer; throws `ExitCode.failure` for an error answer.
    func call(_ method: String, _ path: String, body: [String: Any]?) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let token = token ?? environment["RINGLET_ADMIN_TOKEN"] else {
            throw ValidationError("no admin token: pass --token or set RINGLET_ADMIN_TOKEN")
        }
        var base = server ?? environment["RINGLET_SERVER"] ?? "http://127.0.0.1:8080"
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base + path) else { throw ValidationError("bad server URL \(base)") }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, status) = try await Self.send(request)
        let text = Self.pretty(data)
        if (200..<300).contains(status) {
            print(text)
        } else {
            FileHandle.standardError.write(Data("HTTP \(status)\n\(text)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The answer's body and status (URLSession; FoundationNetworking on Linux).
    static func send(_ request: URLRequest) async throws -> (Data, Int) {
        try await withCheckedThrowingContinuation { continuation in
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: ValidationError("request failed: \(error.localizedDescription)"))
                } else {
                    continuation.resume(returning: (data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
                }
            }
            task.resume()
        }
    }

    /// The JSON pretty-printed with sorted keys (the raw text if it is not JSON).
    static func pretty(_ data: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data),
              let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return String(decoding: data, as: UTF8.self) }
        return String(decoding: pretty, as: UTF8.self)
    }
}

extension String {
    /// The string escaped for one path segment.
    var pathEscaped: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? self
    }
}

import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `ringlet admin`: drives the `/v1` API from a shell with the admin token (docs/api.md). Prints the answer's
/// JSON on standard output (or one field of it, `--field`); an error goes to standard error with exit code 1.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Operator commands over the HTTP API: apps, models, devices, tickets, users, calls.",
        discussion: """
            Each command needs the server (--server, $RINGLET_SERVER, default http://127.0.0.1:8080) and the admin \
            token (--token or $RINGLET_ADMIN_TOKEN). Next to a development server (ringlet serve --dev) neither \
            is needed: the token, the server's address and the demo app and model are read from \
            DATA-DIR/dev-credentials.json (--data-dir, $RINGLET_DATA_DIR, default ./ringlet-data), and --app and \
            --model default to the demo's. Answers are JSON on standard output; --field NAME prints one field.
            """,
        subcommands: [AppGroup.self, ModelGroup.self, DeviceGroup.self, TicketGroup.self, UserGroup.self, CallsGroup.self]
    )

    struct AppGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "app", abstract: "Apps (an app backend's identity): create one, rotate its secret.",
            subcommands: [Create.self, RotateSecret.self])
        struct RotateSecret: AdminSubcommand {
            static let configuration = CommandConfiguration(
                commandName: "rotate-secret", abstract: "A new app secret (printed once); the old one stops working at once.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id (default: the dev server's demo app).") var app: String?
            func run() async throws {
                let app = try require(app, \.demoAppID, "--app")
                try await send("POST", "/v1/apps/\(app.pathEscaped)/secret", body: nil)
            }
        }
        struct Create: AdminSubcommand {
            static let configuration = CommandConfiguration(abstract: "Create an app; prints its id and secret (once).")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app's name.") var name: String
            @Flag(name: .customLong("release-approved"), help: "Allow calls on the release channel.")
            var releaseApproved = false
            @Option(name: .customLong("call-quota"), help: "Calls allowed (default unlimited).") var callQuota: Int?
            func run() async throws {
                var body: [String: Any] = ["name": name, "releaseApproved": releaseApproved]
                if let callQuota { body["callQuota"] = callQuota }
                try await send("POST", "/v1/apps", body: body)
            }
        }
    }

    struct ModelGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model", abstract: "Device models (every device belongs to one): create one.",
            subcommands: [Create.self])
        struct Create: AdminSubcommand {
            static let configuration = CommandConfiguration(abstract: "Register a device model under an app.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id (default: the dev server's demo app).") var app: String?
            @Option(help: "The model's name.") var name: String
            @Option(help: "The model id ([A-Za-z0-9_-]{1,64}; default generated).") var id: String?
            func run() async throws {
                let app = try require(app, \.demoAppID, "--app")
                var body: [String: Any] = ["name": name]
                if let id { body["id"] = id }
                try await send("POST", "/v1/apps/\(app.pathEscaped)/models", body: body)
            }
        }
    }

    struct DeviceGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "device", abstract: "Devices: create, rename, reset (forget its key) or delete one.",
            subcommands: [Create.self, Rename.self, Reset.self, Delete.self])
        struct Reset: AdminSubcommand {
            static let configuration = CommandConfiguration(
                abstract: "Forget a device's key, authorizations and tickets (a new ticket may register it); ends its session.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The device SN.") var sn: String
            func run() async throws {
                try await send("POST", "/v1/devices/\(sn.pathEscaped)/reset", body: nil)
            }
        }
        struct Delete: AdminSubcommand {
            static let configuration = CommandConfiguration(abstract: "Delete a device (its call history stays).")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The device SN.") var sn: String
            func run() async throws {
                try await send("DELETE", "/v1/devices/\(sn.pathEscaped)", body: nil)
            }
        }
        struct Rename: AdminSubcommand {
            static let configuration = CommandConfiguration(
                abstract: "Change the name people see for a device (the caller name when it rings).")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The device SN.") var sn: String
            @Option(help: "The new name (1 to 200 bytes).") var name: String
            func run() async throws {
                try await send("PATCH", "/v1/devices/\(sn.pathEscaped)", body: ["name": name])
            }
        }
        struct Create: AdminSubcommand {
            static let configuration = CommandConfiguration(abstract: "Create a device of a model.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id (default: the dev server's demo app).") var app: String?
            @Option(help: "The device SN ([A-Za-z0-9_-], at most 128 bytes).") var sn: String
            @Option(help: "The model id (default: the dev server's demo model).") var model: String?
            @Option(help: "The name people see (default the SN).") var name: String?
            func run() async throws {
                let app = try require(app, \.demoAppID, "--app")
                var body: [String: Any] = ["sn": sn, "modelId": try require(model, \.demoModelID, "--model")]
                if let name { body["name"] = name }
                try await send("POST", "/v1/apps/\(app.pathEscaped)/devices", body: body)
            }
        }
    }

    struct TicketGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ticket", abstract: "SN tickets: what a device registers with and a person authorizes it with.",
            subcommands: [Issue.self])
        struct Issue: AdminSubcommand {
            static let configuration = CommandConfiguration(
                abstract: "Issue an SN ticket (valid 5 minutes); creates the device when it does not exist.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id (default: the dev server's demo app).") var app: String?
            @Option(help: "The device SN ([A-Za-z0-9_-], at most 128 bytes).") var sn: String
            @Option(help: "The model id (default: the dev server's demo model).") var model: String?
            @Option(help: "The device's name, shown to people (given: the device is named, or renamed, so).")
            var name: String?
            func run() async throws {
                let app = try require(app, \.demoAppID, "--app")
                var body: [String: Any] = ["sn": sn, "modelId": try require(model, \.demoModelID, "--model")]
                if let name { body["name"] = name }
                try await send("POST", "/v1/apps/\(app.pathEscaped)/tickets", body: body)
            }
        }
    }

    struct UserGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Users: create one, make a sign-in link, revoke an authorization.",
            subcommands: [Create.self, SignInLink.self, Revoke.self])
        struct Revoke: AdminSubcommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a user's authorization of a device; a call between them ends at once.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id (default: the dev server's demo app).") var app: String?
            @Option(help: "The user id (usr_…, not the openId).") var user: String
            @Option(help: "The device SN.") var sn: String
            func run() async throws {
                let app = try require(app, \.demoAppID, "--app")
                try await send(
                    "DELETE", "/v1/apps/\(app.pathEscaped)/users/\(user.pathEscaped)/authorizations/\(sn.pathEscaped)",
                    body: nil)
            }
        }
        struct Create: AdminSubcommand {
            static let configuration = CommandConfiguration(abstract: "Create a user of an app (gets an openId).")
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id (default: the dev server's demo app).") var app: String?
            @Option(help: "The user's name.") var name: String?
            func run() async throws {
                let app = try require(app, \.demoAppID, "--app")
                var body: [String: Any] = [:]
                if let name { body["name"] = name }
                try await send("POST", "/v1/apps/\(app.pathEscaped)/users", body: body)
            }
        }
        struct SignInLink: AdminSubcommand {
            static let configuration = CommandConfiguration(
                commandName: "sign-in-link", abstract: "A web app link carrying a one-time sign-in code for a user."
            )
            @OptionGroup var connection: AdminConnection
            @Option(help: "The app id (default: the dev server's demo app).") var app: String?
            @Option(help: "The user id (usr_…).") var user: String
            @Option(help: "release, debug or trial (default release).") var channel: String?
            @Option(help: "Session lifetime, seconds (default 1 day).") var ttl: Int?
            func run() async throws {
                let app = try require(app, \.demoAppID, "--app")
                var body: [String: Any] = [:]
                if let channel { body["channel"] = channel }
                if let ttl { body["ttlSeconds"] = ttl }
                try await send("POST", "/v1/apps/\(app.pathEscaped)/users/\(user.pathEscaped)/sign-in-links", body: body)
            }
        }
    }

    struct CallsGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calls", abstract: "The call history of every app.", subcommands: [List.self])
        struct List: AdminSubcommand {
            static let configuration = CommandConfiguration(abstract: "The call history, newest first.")
            @OptionGroup var connection: AdminConnection
            @Option(help: "Only this app's calls.") var app: String?
            @Option(help: "Only this device's calls.") var sn: String?
            @Option(help: "Only this user's calls (usr_…).") var user: String?
            @Option(help: "At most this many (1 to 500, default 50).") var limit: Int?
            func run() async throws {
                var query = URLComponents()
                query.queryItems = [("appId", app), ("sn", sn), ("userId", user), ("limit", limit.map(String.init))]
                    .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
                let suffix = query.queryItems?.isEmpty == false ? "?" + (query.percentEncodedQuery ?? "") : ""
                try await send("GET", "/v1/calls" + suffix, body: nil)
            }
        }
    }
}

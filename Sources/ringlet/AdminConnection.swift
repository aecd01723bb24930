import ArgumentParser
import Foundation
import RingletDeviceTool
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the server is, the operator's token, and what to print.
struct AdminConnection: ParsableArguments {
    @Option(help: "The server's base URL (default $RINGLET_SERVER, the dev server's, or http://127.0.0.1:8080).")
    var server: String?
    @Option(help: "The admin token (default $RINGLET_ADMIN_TOKEN, or the dev server's).")
    var token: String?
    @Option(name: .customLong("data-dir"),
            help: "A dev server's data folder, for its token, address, app and model (default $RINGLET_DATA_DIR or ./ringlet-data).")
    var dataDir: String?
    @Option(help: "Print only this field of the answer (its text, without quotes), e.g. --field ticket.")
    var field: String?

    /// The dev server's credentials file, when there is one.
    var devCredentials: DevServerCredentials? { DevServerCredentials.read(folder: DevServerCredentials.folder(dataDir)) }

    /// Sends one request and prints the answer (or its `--field`); an error answer is printed on standard error
    /// with its message and the command fails.
    func call(_ method: String, _ path: String, body: [String: Any]?) async throws(AdminFailure) {
        let environment = ProcessInfo.processInfo.environment
        let dev = devCredentials
        guard let token = token ?? environment["RINGLET_ADMIN_TOKEN"] ?? dev?.adminToken else {
            throw AdminFailure(usage: true, """
                no admin token: pass --token, set RINGLET_ADMIN_TOKEN, or run next to a dev server's data folder \
                (--data-dir, default ./ringlet-data)
                """)
        }
        var base = server ?? environment["RINGLET_SERVER"] ?? dev?.server ?? "http://127.0.0.1:8080"
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base + path), url.scheme == "http" || url.scheme == "https" else {
            throw AdminFailure(usage: true, "--server must be an http:// or https:// URL, not \(base)")
        }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try? JSONSerialization.data(withJSONObject: body)
        }
        let data: Data
        let status: Int
        do {
            (data, status) = try await Self.send(request)
        } catch {
            throw AdminFailure(usage: false, "cannot reach \(base): \(error.localizedDescription). Is ringlet serve running there?")
        }
        guard (200..<300).contains(status) else {
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let details = object?["error"] as? [String: Any]
            let code = details?["code"] as? String ?? "error"
            let message = details?["message"] as? String ?? String(decoding: data, as: UTF8.self)
            let seed = (details?["seedCode"] as? Int).map { " (seed code \($0))" } ?? ""
            throw AdminFailure(usage: false, "HTTP \(status) \(code)\(seed): \(message)")
        }
        if let field {
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let value = object[field] else {
                throw AdminFailure(usage: false, "the answer has no field \(field):\n\(Self.pretty(data))")
            }
            print(value as? String ?? Self.pretty(value))
        } else {
            print(Self.pretty(data))
        }
    }

    /// The answer's body and status (URLSession; FoundationNetworking on Linux).
    static func send(_ request: URLRequest) async throws -> (Data, Int) {
        try await withCheckedThrowingContinuation { continuation in
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: (data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
                }
            }
            task.resume()
        }
    }

    /// The JSON pretty-printed with sorted keys and slashes as they are (URLs can be pasted), or the raw text.
    static func pretty(_ data: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data) else { return String(decoding: data, as: UTF8.self) }
        return pretty(object)
    }

    static func pretty(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              let text = try? JSONSerialization.data(withJSONObject: object,
                                                     options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return "\(object)" }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Why an admin command failed: printed as `Error: …`, with the command's own usage when the command line
/// was at fault.
struct AdminFailure: Error {
    let usage: Bool
    let message: String
    init(usage: Bool, _ message: String) {
        self.usage = usage
        self.message = message
    }
}

/// A leaf of `ringlet admin`: sends one request with its connection.
protocol AdminSubcommand: AsyncParsableCommand {
    var connection: AdminConnection { get }
}

extension AdminSubcommand {
    /// Sends the request; a failure is printed with this command's usage (not `ringlet`'s) and exits 1.
    func send(_ method: String, _ path: String, body: [String: Any]?) async throws {
        do {
            try await connection.call(method, path, body: body)
        } catch {
            fail(error)
        }
    }

    /// `value`, or the dev server's (`keyPath`), or a failure naming `flag`.
    func require(_ value: String?, _ keyPath: KeyPath<DevServerCredentials, String?>, _ flag: String)
        throws -> String
    {
        if let value { return value }
        if let dev = connection.devCredentials?[keyPath: keyPath] { return dev }
        fail(AdminFailure(usage: true, "\(flag) is required (no dev server's data folder to take it from)"))
    }

    /// Prints `Error: …` (and this command's usage) on standard error and exits with status 1.
    func fail(_ failure: AdminFailure) -> Never {
        var text = "Error: \(failure.message)\n"
        if failure.usage { text += "Usage: \(Ringlet.usageString(for: Self.self))\n  (--help explains each option)\n" }
        FileHandle.standardError.write(Data(text.utf8))
        Self.exit(withError: ExitCode.failure)
    }
}

extension String {
    /// The string escaped for one path segment.
    var pathEscaped: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? self
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import RingletCore
import RingletServer
import RingletStore
import Testing

extension TestClientProtocol {
    /// A GET without credentials; returns status, headers and body text.
    func fetch(_ path: String) async throws -> (HTTPResponse.Status, HTTPFields, String) {
        let response = try await execute(uri: path, method: .get)
        return (response.status, response.headers, String(buffer: response.body))
    }
}

@Suite("The web app's files at /app/")
struct WebAppServingTests {
    @Test("the bundled app has its page, styles and modules")
    func bundled() {
        let paths = WebAppFiles.bundled.paths
        for path in ["index.html", "app.css", "icon.svg", "js/main.js", "js/call.js", "js/signaling.js"] {
            #expect(paths.contains(path), "missing \(path)")
        }
    }

    @Test("each kind of file is served with its content type and the security headers",
          arguments: [("/app/", "text/html; charset=utf-8"), ("/app/index.html", "text/html; charset=utf-8"),
                      ("/app/app.css", "text/css; charset=utf-8"), ("/app/js/main.js", "text/javascript; charset=utf-8"),
                      ("/app/icon.svg", "image/svg+xml")])
    func contentTypes(path: String, type: String) async throws {
        let harness = try APIHarness()
        try await harness.run(.router) { client in
            let (status, headers, body) = try await client.fetch(path)
            #expect(status == .ok)
            #expect(headers[.contentType] == type)
            #expect(headers[.xContentTypeOptions] == "nosniff")
            #expect(headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(!body.isEmpty)
        }
    }

    @Test("/app redirects to /app/")
    func redirect() async throws {
        let harness = try APIHarness()
        try await harness.run(.live) { client in
            let (status, headers, _) = try await client.fetch("/app")
            #expect(status == .movedPermanently)
            #expect(headers[.location] == "/app/")
        }
    }

    @Test("unknown files and paths that try to leave the folder get the API's JSON 404",
          arguments: ["/app/nope.js", "/app/js/", "/app/../Resources/openapi.yaml", "/app/%2e%2e/openapi.yaml",
                      "/app/js/..%2fmain.js", "/app/..%2F..%2Fetc%2Fpasswd", "/app/.hidden", "/app/js/main.js/x"])
    func notFound(path: String) async throws {
        let harness = try APIHarness()
        try await harness.run(.live) { client in
            let (status, headers, body) = try await client.fetch(path)
            #expect(status == .notFound, "\(path)")
            #expect(headers[.contentType] == "application/json")
            #expect(body.contains("\"notFound\""))
        }
    }

    @Test("the app loads nothing from another origin: no absolute URL in any src, href, import or url()")
    func noExternalResources() throws {
        let files = WebAppFiles.bundled
        #expect(!files.paths.isEmpty)
        let folder = sourceAppFolder()
        for path in files.paths where path.hasSuffix(".html") || path.hasSuffix(".js") || path.hasSuffix(".css") {
            let text = try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
            for marker in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import", "url(http", "import('http",
                           "from 'http", "from \"http"] {
                #expect(!text.contains(marker), "\(path) loads from outside the server: \(marker)")
            }
        }
    }

    /// Resources/app in the source tree.
    func sourceAppFolder() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/RingletServer/Resources/app")
    }
}

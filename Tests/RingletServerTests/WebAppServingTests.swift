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
                      ("/app/icon.svg", "image/svg+xml"), ("/app/sw.js", "text/javascript; charset=utf-8"),
                      ("/app/manifest.webmanifest", "application/manifest+json"), ("/app/icons/icon-192.png", "image/png")])
    func contentTypes(path: String, type: String) async throws {
        let harness = try await APIHarness()
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
        let harness = try await APIHarness()
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
        let harness = try await APIHarness()
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

    @Test("the service worker caches exactly the app's files: every one it lists exists, and every page, style, module and icon is listed")
    func shellList() throws {
        let paths = Set(WebAppFiles.bundled.paths)
        let worker = try String(contentsOf: sourceAppFolder().appendingPathComponent("sw.js"), encoding: .utf8)
        let start = try #require(worker.range(of: "const SHELL = ["))
        let end = try #require(worker.range(of: "];", range: start.upperBound..<worker.endIndex))
        let listed = worker[start.upperBound..<end.lowerBound].split(separator: "'").enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
        #expect(listed.contains("./"))
        for file in listed where file != "./" { #expect(paths.contains(file), "sw.js caches \(file), which the app lacks") }
        for file in paths where !file.hasSuffix("sw.js") && !file.hasPrefix("icons/icon-maskable") && !file.hasSuffix(".md") {
            #expect(listed.contains(file), "\(file) is not in sw.js's SHELL list")
        }
    }

    @Test("the manifest names the app, its start URL and scope, standalone display, and icons of 192 and 512 pixels that exist")
    func manifest() throws {
        let data = try Data(contentsOf: sourceAppFolder().appendingPathComponent("manifest.webmanifest"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(manifest["name"] as? String == "Ringlet" && manifest["short_name"] as? String == "Ringlet")
        #expect(manifest["start_url"] as? String == "/app/" && manifest["scope"] as? String == "/app/")
        #expect(manifest["display"] as? String == "standalone")
        let icons = try #require(manifest["icons"] as? [[String: Any]])
        let paths = Set(WebAppFiles.bundled.paths)
        for icon in icons { #expect(paths.contains(icon["src"] as? String ?? ""), "\(icon)") }
        for size in ["192x192", "512x512"] {
            #expect(icons.contains { $0["sizes"] as? String == size && $0["purpose"] as? String == "any" }, "\(size)")
        }
        #expect(icons.contains { $0["purpose"] as? String == "maskable" })
        // Each PNG really has the size the manifest says (the IHDR chunk).
        for icon in icons where (icon["src"] as? String ?? "").hasSuffix(".png") {
            let png = [UInt8](try Data(contentsOf: sourceAppFolder().appendingPathComponent(icon["src"] as? String ?? "")))
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(icon["sizes"] as? String == "\(width)x\(height)")
        }
    }

    /// Resources/app in the source tree.
    func sourceAppFolder() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/RingletServer/Resources/app")
    }
}

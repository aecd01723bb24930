import Foundation
import Hummingbird

/// The callee web app's files (Resources/app: HTML, CSS, JavaScript modules), read once into memory and served
/// at `/app/` (docs/webapp.md).
///
/// A request names a file by its path below `/app/`; it is looked up by exact match in the table made at start,
/// so nothing outside that folder can be named (`..`, encoded slashes and the like simply match no entry) and
/// nothing is read from disk per request. `/app` redirects to `/app/`, which is `index.html`. Unknown files get
/// the API's JSON 404 (`{"error": {"code": "notFound", …}}`), like any unknown route.
public struct WebAppFiles: Sendable {
    /// One file: its bytes and its `Content-Type`.
    struct File: Sendable {
        let body: ByteBuffer
        let contentType: String
    }

    /// Files by path relative to the app folder (`index.html`, `js/main.js`).
    let files: [String: File]

    /// The content types of the file kinds the app ships; other files in the folder are not served.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
        "json": "application/json",
        "webmanifest": "application/manifest+json",
    ]

    /// The Content-Security-Policy of the app's files: only this server (scripts, styles, fetch and WebSocket),
    /// media streams, no plugins, no framing.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob: mediastream:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    /// The headers every file gets: its type, no sniffing, the CSP, revalidation on each load (the app has no
    /// build step and no versioned names), no referrer, camera and microphone for this origin only.
    static func headers(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.cacheControl] = "no-cache"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        headers[.init("Permissions-Policy")!] = "camera=(self), microphone=(self)"
        return headers
    }

    /// The files of `folder` (recursively), or none when it is nil or unreadable.
    init(folder: URL?) {
        var files: [String: File] = [:]
        if let folder, let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) {
            let root = folder.standardizedFileURL.path
            for case let url as URL in enumerator {
                let path = url.standardizedFileURL.path
                guard path.hasPrefix(root + "/"), let type = Self.contentTypes[url.pathExtension.lowercased()],
                      let data = FileManager.default.contents(atPath: path)
                else { continue }
                files[String(path.dropFirst(root.count + 1))] = File(body: ByteBuffer(bytes: data), contentType: type)
            }
        }
        self.files = files
    }

    /// The app shipped in this module's resources (Resources/app).
    public static let bundled = WebAppFiles(
        folder: Bundle.module.url(forResource: "app", withExtension: nil, subdirectory: "Resources")
    )

    /// The paths of the files served (for tests and logs).
    public var paths: [String] { files.keys.sorted() }

    /// The answer for the path below `/app/` (`""` is `index.html`), or nil when there is no such file.
    func response(for relativePath: String) -> Response? {
        let key = relativePath.isEmpty ? "index.html" : relativePath
        guard let file = files[key] else { return nil }
        return Response(status: .ok, headers: Self.headers(contentType: file.contentType), body: .init(byteBuffer: file.body))
    }

    /// Adds `GET /` (302 to `/app/`), `GET /app` (redirect to `/app/`, or `index.html` for `/app/`) and
    /// `GET /app/**` to `router`; returns
    /// the routes in the OpenAPI spelling (they are not part of the JSON API and not in its document).
    @discardableResult
    public func register<Context: RequestContext>(on router: Router<Context>) -> [APIRoutes.Route] {
        // The server's address opens the web app (a person types the host name, not /app/).
        router.get("/") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.location] = "/app/"
            return Response(status: .found, headers: headers)
        }
        router.get("/app") { request, _ -> Response in
            guard request.uri.path.hasSuffix("/") else {
                var headers = HTTPFields()
                headers[.location] = "/app/"
                return Response(status: .movedPermanently, headers: headers)
            }
            guard let response = self.response(for: "") else { throw APIError.notFound("no such file") }
            return response
        }
        router.get("/app/**") { request, context -> Response in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard !request.uri.path.hasSuffix("/") || path.isEmpty, let response = self.response(for: path) else {
                throw APIError.notFound("no such file")
            }
            return response
        }
        return [APIRoutes.Route(method: .get, path: "/"), APIRoutes.Route(method: .get, path: "/app"),
                APIRoutes.Route(method: .get, path: "/app/{path}")]
    }
}

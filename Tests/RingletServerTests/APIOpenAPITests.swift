import Foundation
import Hummingbird
import RingletServer
import RingletStore
import Testing

@Suite("The OpenAPI document matches the server")
struct OpenAPIRouteTests {
    /// Resources/openapi.yaml from the source tree.
    static func documentText() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/RingletServer/Resources/openapi.yaml")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The operations the document lists: under `paths:`, a path at indent 2, its methods at indent 4.
    static func documentedRoutes(_ text: String) -> Set<String> {
        var routes: Set<String> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" ") { inPaths = false; continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let word = line.dropFirst(4).dropLast()
                if line.hasSuffix(":"), ["get", "post", "put", "patch", "delete", "head", "options"].contains(word) {
                    routes.insert("\(word.uppercased()) \(path)")
                }
            }
        }
        return routes
    }

    /// Routes the server registers that are deliberately not in the document: the web app's static files
    /// (docs/webapp.md). They are HTML, CSS and JavaScript for a browser, not part of the JSON API, and have their
    /// own tests (WebAppServingTests).
    static let undocumented: Set<String> = ["GET /", "GET /app", "GET /app/{path}"]

    @Test("every route the server registers is in the document (but the web app's files), and every documented operation is a route")
    func routesMatch() async throws {
        let server = RingletServerApp(configuration: ServerConfiguration(), store: try await APITestStore())
        let (_, routes) = server.makeRouter()
        let all = Set(routes.map(\.description))
        #expect(Self.undocumented.isSubset(of: all), "the exclusions name routes that no longer exist")
        let registered = all.subtracting(Self.undocumented)
        #expect(all.count == routes.count, "a route is registered twice")
        let documented = Self.documentedRoutes(try Self.documentText())
        #expect(documented.count >= 20)
        #expect(registered.subtracting(documented).isEmpty, "not documented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "not served: \(documented.subtracting(registered).sorted())")
    }

    @Test("every documented error response and schema reference resolves in components")
    func referencesResolve() throws {
        let text = try Self.documentText()
        let references = text.components(separatedBy: "\"#/components/").dropFirst().compactMap { $0.split(separator: "\"").first }
        #expect(!references.isEmpty)
        for reference in Set(references) {
            let parts = reference.split(separator: "/")
            guard parts.count == 2 else { Issue.record("odd reference \(reference)"); continue }
            #expect(text.contains("\n  \(parts[0]):\n") && text.contains("\n    \(parts[1]):\n"), "unresolved \(reference)")
        }
    }
}

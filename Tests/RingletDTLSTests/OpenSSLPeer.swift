import Foundation
import RingletTestSupport

/// The `openssl` command-line tool, a peer nobody here wrote. Missing, it fails the test (it does not skip).
enum OpenSSLTool {
    static func temporaryFolder() throws -> URL { try RingletTestSupport.temporaryFolder(prefix: "ringlet-dtls") }

    /// Starts openssl with `arguments`; its standard input stays open (s_server and s_client end their session
    /// at end of input). Stopping it sends SIGTERM, then SIGKILL after 0.5 s.
    static func start(_ arguments: [String], folder: URL, name: String) throws -> ChildProcess {
        try ChildProcess(try requireTool("openssl", package: "openssl"), arguments: arguments, folder: folder,
                         name: name, options: .init(keepStandardInputOpen: true, grace: 0.5))
    }

    /// Runs openssl to completion (bounded) and returns its stdout.
    static func run(_ arguments: [String], folder: URL) throws -> String {
        let p = try start(arguments, folder: folder, name: "run")
        guard p.wait(timeout: 20) else { throw TestSupportError("openssl \(arguments) did not finish") }
        return p.outputText
    }
}

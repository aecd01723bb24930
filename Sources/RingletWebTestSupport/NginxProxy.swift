import Foundation
import RingletNIO
import RingletTestSupport

/// Debian's nginx as the TLS-terminating reverse proxy in front of `ringlet serve --behind-proxy`, inside the
/// test's network namespace, run with the repository's own site file `contrib/nginx/ringlet.conf` (the file
/// docs/deploy.md tells operators to install) with only its host name, certificate paths and ports changed.
package final class NginxProxy {
    private let process: RingletTestSupport.ChildProcess
    let folder: URL

    /// The site file of the repository.
    static var siteFile: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("contrib/nginx/ringlet.conf")
    }

    /// Starts nginx in `namespace` on 127.0.0.1:`port` (HTTPS; its redirect from plain HTTP on `plainPort`, default
    /// `port + 1`) in front of 127.0.0.1:8080, and waits (30 s) until it answers over HTTPS.
    package init(namespace: NetworkNamespace, folder: URL, certificates: ServerCertificates, port: Int,
                 plainPort: Int? = nil) async throws {
        _ = try requireTool("nginx", package: "nginx")
        let folder = folder.appendingPathComponent("nginx")
        self.folder = folder
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        var site = try String(contentsOf: Self.siteFile, encoding: .utf8)
        // Each change must find its text: the test runs the file as docs/deploy.md ships it.
        let changes: [(String, String)] = [
            ("/etc/letsencrypt/live/ringlet.example.com/fullchain.pem", certificates.leaf.chainPath),
            ("/etc/letsencrypt/live/ringlet.example.com/privkey.pem", certificates.leaf.keyPath),
            ("listen 443 ssl;", "listen 127.0.0.1:\(port) ssl;"),
            ("listen [::]:443 ssl;", ""),
            ("listen 80;", "listen 127.0.0.1:\(plainPort ?? port + 1);"),
            ("listen [::]:80;", ""),
            ("ringlet.example.com", ServerCertificates.host),
        ]
        for (from, to) in changes {
            guard site.contains(from) else { throw TestSupportError("contrib/nginx/ringlet.conf has no \"\(from)\"") }
            site = site.replacingOccurrences(of: from, with: to)
        }
        try site.write(to: folder.appendingPathComponent("ringlet.conf"), atomically: true, encoding: .utf8)
        let tmp = folder.appendingPathComponent("tmp").path
        let main = """
            daemon off;
            user root;
            worker_processes 1;
            pid \(folder.path)/nginx.pid;
            error_log \(folder.path)/error.log info;
            events { worker_connections 256; }
            http {
                access_log \(folder.path)/access.log;
                client_body_temp_path \(tmp)/body;
                proxy_temp_path \(tmp)/proxy;
                fastcgi_temp_path \(tmp)/fastcgi;
                uwsgi_temp_path \(tmp)/uwsgi;
                scgi_temp_path \(tmp)/scgi;
                include \(folder.path)/ringlet.conf;
            }

            """
        try main.write(to: folder.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        let command = namespace.exec(["nginx", "-p", folder.path, "-c", folder.appendingPathComponent("nginx.conf").path,
                                      "-e", folder.appendingPathComponent("error.log").path])
        process = try RingletTestSupport.ChildProcess(command[0], arguments: Array(command.dropFirst()), folder: folder,
                                                      name: "nginx", options: .init(grace: 3))
        let probe = namespace.exec(["curl", "-sS", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                                    certificates.caFile, "https://\(ServerCertificates.host):\(port)/app/"])
        // (Both the proxy and the server behind it must be up: 200 comes from Ringlet through nginx.)
        let end = ContinuousClock.now + .seconds(30)
        while true {
            let curl = try RingletTestSupport.ChildProcess(probe[0], arguments: Array(probe.dropFirst()), folder: folder,
                                                           name: "probe")
            if await curl.wait(timeout: 5), curl.outputText == "200" { break }
            await curl.stop()
            guard process.isRunning, ContinuousClock.now < end else {
                await process.stop()
                throw TestSupportError("nginx did not proxy to ringlet serve: \(log)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// nginx's error log.
    package var log: String {
        (try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? process.errorText
    }

    /// Stops nginx (SIGTERM to the master, bounded).
    package func stop() async { await process.stop() }
}

import Foundation

/// A throwaway certificate authority made by the `openssl` command line in a test's folder: an ECDSA P-256 CA
/// valid for two days, and server certificates it signs for the names and IP addresses a test serves on. Nothing
/// of it outlives the test's folder.
public struct TestCA: Sendable {
    /// The folder holding the files.
    public let folder: URL
    /// The CA certificate (PEM): what a client under test trusts.
    public let certificatePath: String

    /// A server certificate and its key (PEM files).
    public struct Issued: Sendable {
        /// The certificate, followed by the CA's (a chain, as servers send it).
        public let chainPath: String
        /// The certificate alone.
        public let certificatePath: String
        /// The private key.
        public let keyPath: String
    }

    /// Makes the CA in `folder` (created if missing).
    /// - Throws: ``TestSupportError`` when `openssl` is missing or fails.
    public static func make(in folder: URL, name: String = "Ringlet Test CA") async throws -> TestCA {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ca = TestCA(folder: folder, certificatePath: folder.appendingPathComponent("ca.pem").path)
        try await ca.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", folder.appendingPathComponent("ca.key").path, "-out", ca.certificatePath, "-days", "2",
            "-subj", "/CN=\(name)", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return ca
    }

    /// Issues a server certificate for `dnsNames` and `ipAddresses` (subjectAltName), valid from now for `days`
    /// days, named `file` in the folder.
    public func issue(file: String, dnsNames: [String] = [], ipAddresses: [String] = [], days: Int = 2)
        async throws -> Issued
    {
        let key = folder.appendingPathComponent("\(file).key").path
        let csr = folder.appendingPathComponent("\(file).csr").path
        let cert = folder.appendingPathComponent("\(file).pem").path
        let chain = folder.appendingPathComponent("\(file)-chain.pem").path
        let ext = folder.appendingPathComponent("\(file).ext")
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        try """
            basicConstraints=CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth
            subjectAltName=\(names.joined(separator: ","))

            """.write(to: ext, atomically: true, encoding: .utf8)
        try await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                           "-out", csr, "-subj", "/CN=\(dnsNames.first ?? ipAddresses.first ?? file)"])
        try await openssl(["x509", "-req", "-in", csr, "-CA", certificatePath,
                           "-CAkey", folder.appendingPathComponent("ca.key").path, "-CAcreateserial", "-out", cert,
                           "-days", String(days), "-extfile", ext.path])
        let pem = try String(contentsOfFile: cert, encoding: .utf8) + String(contentsOfFile: certificatePath, encoding: .utf8)
        try pem.write(toFile: chain, atomically: true, encoding: .utf8)
        return Issued(chainPath: chain, certificatePath: cert, keyPath: key)
    }

    private func openssl(_ arguments: [String]) async throws {
        let tool = try requireTool("openssl", package: "openssl")
        let p = try ChildProcess(tool, arguments: arguments, folder: folder,
                                 name: "openssl-\(UInt32.random(in: 0...UInt32.max))")
        guard await p.wait(timeout: 30), p.terminationStatus == 0 else {
            throw TestSupportError("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(p.errorText)")
        }
    }
}

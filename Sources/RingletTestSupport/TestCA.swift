import Foundation

/// A throwaway certificate authority made by the `openssl` command line in a test's folder: an ECDSA P-256 CA
/// valid for two days, and server certificates it signs for the names and IP addresses a test serves on — valid
/// from now, or between given dates (an expired one) — for HTTPS, WSS and TURN over TLS tests, whose clients are
/// told to trust ``certificatePath`` (or, for Chromium, the SPKI hash of the leaf,
/// `--ignore-certificate-errors-spki-list`). Nothing of it outlives the test's folder, and nothing is committed.
///
/// The `openssl` children are awaited, so making certificates never blocks a thread of the cooperative pool.
public struct TestCA: Sendable {
    /// The folder holding the files.
    public let folder: URL
    /// The CA certificate (PEM): what a client under test trusts.
    public let certificatePath: String
    /// The CA's private key (PEM).
    let keyPath: String

    /// A server certificate and its key (PEM files).
    public struct Issued: Sendable {
        /// The certificate, followed by the CA's (a chain, as servers send it).
        public let chainPath: String
        /// The certificate alone.
        public let certificatePath: String
        /// The private key (unencrypted).
        public let keyPath: String
        /// base64(SHA-256(SubjectPublicKeyInfo)) of the certificate, as Chromium's
        /// `--ignore-certificate-errors-spki-list` takes it.
        public let spkiHash: String
    }

    /// Makes the CA in `folder` (created if missing); its name gets a random suffix, so that two CAs of one run
    /// are never taken for each other.
    /// - Throws: ``TestSupportError`` when `openssl` is missing or fails.
    public static func make(in folder: URL, name: String = "Ringlet Test CA") async throws -> TestCA {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ca = TestCA(folder: folder, certificatePath: folder.appendingPathComponent("ca.pem").path,
                        keyPath: folder.appendingPathComponent("ca.key").path)
        try await ca.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca.keyPath, "-out", ca.certificatePath, "-days", "2",
            "-subj", "/CN=\(name) \(UInt32.random(in: 0...UInt32.max))", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return ca
    }

    /// Issues a server certificate for `dnsNames` and `ipAddresses` (subjectAltName), named `file` in the folder:
    /// valid from now for `days` days, or from `notBefore` to `notAfter` (`YYYYMMDDHHMMSSZ`, e.g. an expired
    /// one); with a fresh key unless `keyPath` names an existing one.
    /// - Throws: ``TestSupportError`` when `openssl` fails.
    public func issue(file: String, dnsNames: [String] = [], ipAddresses: [String] = [], days: Int = 2,
                      notBefore: String? = nil, notAfter: String? = nil, keyPath existingKey: String? = nil)
        async throws -> Issued
    {
        let base = folder.appendingPathComponent(file).path
        let key = existingKey ?? base + ".key"
        let csr = base + ".csr"
        let cert = base + ".pem"
        let chain = base + "-chain.pem"
        let ext = base + ".ext"
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        try """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth
            subjectAltName=\(names.joined(separator: ","))

            """.write(toFile: ext, atomically: true, encoding: .utf8)
        if existingKey == nil {
            try await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        }
        try await openssl(["req", "-new", "-key", key, "-out", csr,
                           "-subj", "/CN=\(dnsNames.first ?? ipAddresses.first ?? file)"])
        if let notBefore, let notAfter {
            // `openssl x509` of OpenSSL 3.0 takes only -days; `openssl ca` takes explicit dates.
            let database = base + "-index.txt"
            FileManager.default.createFile(atPath: database, contents: nil)
            try """
                [ca]
                default_ca = test
                [test]
                database = \(database)
                serial = \(base).srl
                new_certs_dir = \(folder.path)
                default_md = sha256
                policy = any
                unique_subject = no
                [any]
                commonName = supplied

                """.write(toFile: base + ".cnf", atomically: true, encoding: .utf8)
            try await openssl(["ca", "-batch", "-config", base + ".cnf", "-cert", certificatePath, "-keyfile", keyPath,
                               "-in", csr, "-out", cert, "-startdate", notBefore, "-enddate", notAfter,
                               "-extfile", ext, "-notext", "-create_serial"])
        } else {
            try await openssl(["x509", "-req", "-in", csr, "-CA", certificatePath, "-CAkey", keyPath,
                               "-CAcreateserial", "-out", cert, "-days", String(days), "-sha256", "-extfile", ext])
        }
        let pem = try String(contentsOfFile: cert, encoding: .utf8) + String(contentsOfFile: certificatePath, encoding: .utf8)
        try pem.write(toFile: chain, atomically: true, encoding: .utf8)
        try await openssl(["pkey", "-in", key, "-pubout", "-outform", "DER", "-out", base + ".spki"])
        try await openssl(["dgst", "-sha256", "-binary", "-out", base + ".spki.sha256", base + ".spki"])
        let digest = try Data(contentsOf: URL(fileURLWithPath: base + ".spki.sha256"))
        return Issued(chainPath: chain, certificatePath: cert, keyPath: key, spkiHash: digest.base64EncodedString())
    }

    /// Runs `openssl ARGS` in the folder (bounded: 30 s) and fails with its output when it does not succeed.
    private func openssl(_ arguments: [String]) async throws {
        let tool = try requireTool("openssl", package: "openssl")
        let p = try ChildProcess(tool, arguments: arguments, folder: folder,
                                 name: "openssl-\(UInt32.random(in: 0...UInt32.max))")
        guard await p.wait(timeout: 30), p.terminationStatus == 0 else {
            await p.stop()
            throw TestSupportError("openssl \(arguments.joined(separator: " ")) failed: \(p.errorText)")
        }
    }
}

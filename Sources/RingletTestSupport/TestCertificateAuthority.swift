import Foundation

/// A throwaway certificate authority made by the `openssl` CLI in a test's folder, and server certificates it
/// signs (ECDSA P-256): for HTTPS, WSS and TURN over TLS tests, whose clients are told to trust ``caFile`` (or,
/// for Chromium, the SPKI hash of the leaf, `--ignore-certificate-errors-spki-list`).
///
/// Nothing is committed: each test run makes its own, valid for two days.
public final class TestCertificateAuthority {
    /// A server certificate and its key.
    public struct Leaf: Sendable {
        /// The PEM chain: the leaf, then the CA (as a server sends it).
        public let chainFile: String
        /// The leaf alone (PEM).
        public let certificateFile: String
        /// The PEM private key (unencrypted).
        public let keyFile: String
        /// base64(SHA-256(SubjectPublicKeyInfo)) of the leaf, as Chromium's `--ignore-certificate-errors-spki-list`
        /// takes it.
        public let spkiHash: String
    }

    /// The folder everything is written to.
    public let folder: URL
    /// The CA certificate (PEM): what clients trust.
    public let caFile: String
    let caKey: String
    private var serial = 1

    /// Makes a CA named `name` in `folder`.
    /// - Throws: ``TestSupportError`` when openssl is missing or fails.
    public init(folder: URL, name: String = "Ringlet Test CA") throws {
        self.folder = folder
        caFile = folder.appendingPathComponent("ca.pem").path
        caKey = folder.appendingPathComponent("ca.key").path
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-keyout", caKey, "-out", caFile, "-days", "2",
                          "-subj", "/CN=\(name) \(UInt32.random(in: 0...UInt32.max))",
                          "-addext", "basicConstraints=critical,CA:TRUE",
                          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: folder)
    }

    /// Issues a server certificate for `dnsNames` and `ipAddresses` (subjectAltName), valid now for two days, or
    /// from `notBefore` to `notAfter` (`YYYYMMDDHHMMSSZ`, e.g. an expired one), with a fresh key unless `keyFile`
    /// names an existing one.
    public func issue(name: String, dnsNames: [String] = ["ringlet.test"], ipAddresses: [String] = ["127.0.0.1"],
                      notBefore: String? = nil, notAfter: String? = nil, keyFile existingKey: String? = nil) throws -> Leaf
    {
        serial += 1
        let base = folder.appendingPathComponent(name).path
        let keyFile = existingKey ?? base + ".key"
        if existingKey == nil {
            try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile],
                             in: folder)
        }
        try Self.openssl(["req", "-new", "-key", keyFile, "-out", base + ".csr", "-subj", "/CN=\(dnsNames.first ?? name)"],
                         in: folder)
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        let extensions = """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth
            subjectAltName=\(names.joined(separator: ","))

            """
        try extensions.write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        let certificateFile = base + ".pem"
        if let notBefore, let notAfter {
            // `openssl x509` of OpenSSL 3.0 takes only -days; `openssl ca` takes explicit dates.
            let database = folder.appendingPathComponent("index-\(serial).txt").path
            FileManager.default.createFile(atPath: database, contents: nil)
            let configuration = """
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

                """
            try configuration.write(toFile: base + ".cnf", atomically: true, encoding: .utf8)
            try Self.openssl(["ca", "-batch", "-config", base + ".cnf", "-cert", caFile, "-keyfile", caKey,
                              "-in", base + ".csr", "-out", certificateFile, "-startdate", notBefore,
                              "-enddate", notAfter, "-extfile", base + ".ext", "-notext",
                              "-create_serial"], in: folder)
        } else {
            try Self.openssl(["x509", "-req", "-in", base + ".csr", "-CA", caFile, "-CAkey", caKey,
                              "-set_serial", "\(serial)", "-days", "2", "-sha256", "-extfile", base + ".ext",
                              "-out", certificateFile], in: folder)
        }
        let chainFile = base + "-chain.pem"
        let chain = try String(contentsOfFile: certificateFile, encoding: .utf8) + String(contentsOfFile: caFile, encoding: .utf8)
        try chain.write(toFile: chainFile, atomically: true, encoding: .utf8)
        try Self.openssl(["pkey", "-in", keyFile, "-pubout", "-outform", "DER", "-out", base + ".spki"], in: folder)
        try Self.openssl(["dgst", "-sha256", "-binary", "-out", base + ".spki.sha256", base + ".spki"], in: folder)
        let digest = try Data(contentsOf: URL(fileURLWithPath: base + ".spki.sha256"))
        return Leaf(chainFile: chainFile, certificateFile: certificateFile, keyFile: keyFile,
                    spkiHash: digest.base64EncodedString())
    }

    /// Runs `openssl ARGS` (bounded: 30 s) and fails with its output when it does not succeed.
    static func openssl(_ arguments: [String], in folder: URL) throws {
        _ = try requireTool("openssl", package: "openssl")
        let child = try ChildProcess("openssl", arguments: arguments, folder: folder, name: "openssl")
        guard child.wait(timeout: 30), child.terminationStatus == 0 else {
            child.stop()
            throw TestSupportError("openssl \(arguments.joined(separator: " ")) failed: \(child.errorText)")
        }
    }
}

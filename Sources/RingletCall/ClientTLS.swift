public import NIOSSL

/// The TLS settings of Ringlet's clients (device, phone) for `https://` and `wss://` servers: certificates are
/// always verified (chain and host name, NIOSSL's full verification); the roots are the system's trust store,
/// or the CA certificates of one PEM file for a server with a private CA (tests, a closed deployment).
public enum ClientTLS {
    /// A client configuration trusting the certificates in `caFile` (PEM, one or more), or nil for the
    /// system's trust store (NIOSSL's default).
    /// - Throws: `invalidArgument` when the file cannot be read or holds no certificate.
    public static func configuration(trusting caFile: String?) throws(CallClientError) -> TLSConfiguration? {
        guard let caFile else { return nil }
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw CallClientError(.invalidArgument, "cannot read CA certificates from \(caFile)", underlying: error)
        }
        guard !roots.isEmpty else { throw CallClientError(.invalidArgument, "\(caFile) holds no certificate") }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(roots)
        configuration.certificateVerification = .fullVerification
        return configuration
    }
}

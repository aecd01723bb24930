import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOSSL
import RingletCore

/// A certificate or key that cannot be served: what is wrong, in words an operator can act on.
public struct ServerTLSError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "TLS: \(message)" }
}

/// The server's certificate chain and private key, loaded from PEM files and checked (docs/deploy.md,
/// "Certificates"): the files parse, the key belongs to the leaf certificate, and the leaf is valid now.
public struct ServerCertificate: Sendable {
    /// The chain, leaf first.
    public let chain: [NIOSSLCertificate]
    /// The leaf's private key.
    public let key: NIOSSLPrivateKey
    /// The leaf's validity.
    public let notValidBefore: Date
    public let notValidAfter: Date
    /// The DNS names and IP addresses the leaf names (subjectAltName).
    public let names: [String]

    /// Loads and checks `certificateFile` (PEM, leaf first, intermediates after) and `keyFile` (PEM).
    ///
    /// - Throws: ``ServerTLSError`` when a file cannot be read or parsed, holds no certificate, the key does not
    ///   match the leaf, or the leaf is expired or not yet valid at `now`.
    public static func load(certificateFile: String, keyFile: String, now: Date = Date())
        throws(ServerTLSError) -> ServerCertificate
    {
        guard FileManager.default.isReadableFile(atPath: certificateFile) else {
            throw ServerTLSError("cannot read the certificate file \(certificateFile)")
        }
        guard FileManager.default.isReadableFile(atPath: keyFile) else {
            throw ServerTLSError("cannot read the key file \(keyFile)")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw ServerTLSError("\(certificateFile) is not a PEM certificate chain (\(error))")
        }
        guard let leaf = chain.first else { throw ServerTLSError("\(certificateFile) holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ServerTLSError("\(keyFile) is not a PEM private key (unencrypted) (\(error))")
        }
        let notBefore = Date(timeIntervalSince1970: TimeInterval(leaf.notValidBefore))
        let notAfter = Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter))
        if notAfter <= now {
            throw ServerTLSError("the certificate in \(certificateFile) expired on \(Self.format(notAfter)); renew it")
        }
        if notBefore > now {
            throw ServerTLSError("the certificate in \(certificateFile) is not valid before \(Self.format(notBefore)) "
                                 + "(is this host's clock right?)")
        }
        var names: [String] = []
        for name in leaf._subjectAlternativeNames() {
            switch name.nameType {
            case .dnsName: names.append(String(decoding: name.contents, as: UTF8.self))
            case .ipAddress:
                if let ip = IPAddress(bytes: Array(name.contents)) { names.append(ip.description) }
            default: break
            }
        }
        let certificate = ServerCertificate(chain: chain, key: key, notValidBefore: notBefore, notValidAfter: notAfter,
                                            names: names)
        // The key must belong to the leaf: BoringSSL checks it when both go into a context.
        do {
            _ = try ServerTLS.makeContext(certificate, applicationProtocols: [])
        } catch {
            throw ServerTLSError("the private key in \(keyFile) does not match the certificate in \(certificateFile) "
                                 + "(\(error))")
        }
        return certificate
    }

    /// What an operator should hear about but that does not stop the server: the certificate ends within
    /// 14 days, or does not name `host` (the host of the public base URL).
    public func warnings(host: String?, now: Date = Date()) -> [String] {
        var warnings: [String] = []
        if notValidAfter.timeIntervalSince(now) < 14 * 86_400 {
            warnings.append("the TLS certificate expires on \(Self.format(notValidAfter)); renew it and send SIGHUP")
        }
        if let host, !names.contains(where: { Self.name($0, covers: host) }) {
            warnings.append("the TLS certificate does not name \(host) (it names \(names.joined(separator: ", "))): "
                            + "browsers and devices will refuse it there")
        }
        return warnings
    }

    /// Whether a subjectAltName covers `host` (RFC 6125 §6.4: one left-most wildcard label).
    static func name(_ name: String, covers host: String) -> Bool {
        let name = name.lowercased(), host = host.lowercased()
        if name == host { return true }
        guard name.hasPrefix("*."), let dot = host.firstIndex(of: ".") else { return false }
        return host[dot...] == name.dropFirst()
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// The TLS settings Ringlet serves with (docs/deploy.md, "TLS"): TLS 1.2 and 1.3 only; for TLS 1.2 only ECDHE key
/// exchange with AES-GCM or ChaCha20-Poly1305 (forward secrecy, AEAD: Mozilla's "intermediate" list); TLS 1.3's
/// suites are all AEAD.
public enum ServerTLS {
    /// The TLS 1.2 cipher suites, in OpenSSL's syntax.
    public static let cipherSuites = "ECDHE+AESGCM:ECDHE+CHACHA20"
    /// ALPN of HTTPS (Hummingbird speaks HTTP/1.1).
    public static let httpALPN = "http/1.1"
    /// ALPN of TURN over TLS (RFC 7443).
    public static let turnALPN = "stun.turn"

    /// A server context for `certificate` offering `applicationProtocols` by ALPN (none: no ALPN).
    /// - Throws: NIOSSL's error when BoringSSL refuses the chain or the key (a key of another certificate).
    public static func makeContext(_ certificate: ServerCertificate, applicationProtocols: [String]) throws
        -> NIOSSLContext
    {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificate.chain.map { .certificate($0) }, privateKey: .privateKey(certificate.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuites = cipherSuites
        configuration.applicationProtocols = applicationProtocols
        return try NIOSSLContext(configuration: configuration)
    }
}

/// What a TLS listener serves; it decides the ALPN protocols offered.
public enum TLSListenerRole: Sendable, Hashable, CaseIterable {
    /// HTTPS and WSS (ALPN `http/1.1`).
    case https
    /// TURN over TLS only (no ALPN: clients such as browsers offer none).
    case turn
    /// HTTPS and TURN over TLS on one port (ALPN `http/1.1` and `stun.turn`; without ALPN the first byte
    /// decides, see ``TLSServerChannel``).
    case httpsAndTURN

    var applicationProtocols: [String] {
        switch self {
        case .https: [ServerTLS.httpALPN]
        case .turn: []
        case .httpsAndTURN: [ServerTLS.httpALPN, ServerTLS.turnALPN]
        }
    }
}

/// The server's current certificate and the TLS contexts made from it, replaced as a whole by ``reload()``
/// (SIGHUP). Every new connection takes the current context; connections already open keep theirs, so a reload
/// drops no call.
public final class TLSContextStore: Sendable {
    /// The PEM files (read again on reload).
    public let certificateFile: String
    public let keyFile: String
    private let state: NIOLockedValueBox<(certificate: ServerCertificate, contexts: [TLSListenerRole: NIOSSLContext])>

    /// Loads the files and makes a context for every role.
    /// - Throws: ``ServerTLSError`` (see ``ServerCertificate/load(certificateFile:keyFile:now:)``).
    public init(certificateFile: String, keyFile: String, now: Date = Date()) throws(ServerTLSError) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        state = NIOLockedValueBox(try Self.load(certificateFile, keyFile, now))
    }

    /// The certificate in use.
    public var certificate: ServerCertificate { state.withLockedValue { $0.certificate } }

    /// The context new connections of `role` use.
    public func context(_ role: TLSListenerRole) -> NIOSSLContext? { state.withLockedValue { $0.contexts[role] } }

    /// Reads the files again; the new certificate is used from the next connection on. On any error the
    /// current one stays.
    /// - Returns: the new certificate, or why it was not taken.
    @discardableResult
    public func reload(now: Date = Date()) -> Result<ServerCertificate, ServerTLSError> {
        do throws(ServerTLSError) {
            let loaded = try Self.load(certificateFile, keyFile, now)
            state.withLockedValue { $0 = loaded }
            return .success(loaded.certificate)
        } catch {
            return .failure(error)
        }
    }

    private static func load(_ certificateFile: String, _ keyFile: String, _ now: Date) throws(ServerTLSError)
        -> (certificate: ServerCertificate, contexts: [TLSListenerRole: NIOSSLContext])
    {
        let certificate = try ServerCertificate.load(certificateFile: certificateFile, keyFile: keyFile, now: now)
        var contexts: [TLSListenerRole: NIOSSLContext] = [:]
        for role in TLSListenerRole.allCases {
            do {
                contexts[role] = try ServerTLS.makeContext(certificate, applicationProtocols: role.applicationProtocols)
            } catch {
                throw ServerTLSError("cannot make a TLS context from \(certificateFile): \(error)")
            }
        }
        return (certificate, contexts)
    }
}

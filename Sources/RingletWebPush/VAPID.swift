import Crypto
import Foundation
import RingletCore

/// Voluntary Application Server Identification (RFC 8292): the application server's P-256 key, and the
/// `Authorization: vapid t=JWT, k=KEY` header that proves a push message comes from it.
///
/// The JWT (RFC 7519, ES256 per RFC 7518 §3.4: the signature is r‖s, 64 bytes) carries `aud` (the push
/// resource's origin), `exp` (at most 24 hours ahead, RFC 8292 §2) and `sub` (a contact the push service can
/// reach: `mailto:` or `https:`; Apple's service refuses anything else).
public struct VAPIDKey: Sendable {
    /// The signing key.
    public let privateKey: P256.Signing.PrivateKey

    /// The key whose private scalar is `rawRepresentation` (32 bytes, as stored).
    ///
    /// - Throws: `invalidVAPIDKey` when it is not a P-256 scalar.
    public init(rawRepresentation: [UInt8]) throws(WebPushError) {
        guard rawRepresentation.count == 32,
              let key = try? P256.Signing.PrivateKey(rawRepresentation: rawRepresentation)
        else { throw WebPushError(.invalidVAPIDKey, "not a 32-byte P-256 private key") }
        privateKey = key
    }

    /// A new random key.
    public init() {
        privateKey = P256.Signing.PrivateKey()
    }

    /// The private scalar (32 bytes) — what the store keeps.
    public var rawRepresentation: [UInt8] { Array(privateKey.rawRepresentation) }

    /// The public key as an uncompressed point (65 bytes): the browser's `applicationServerKey` and the header's
    /// `k`.
    public var publicKey: [UInt8] { Array(privateKey.publicKey.x963Representation) }

    /// ``publicKey`` in base64url without padding.
    public var publicKeyBase64URL: String { Base64URL.encode(publicKey) }

    /// A signed JWT for `audience` that expires at `expiresAt` (Unix seconds).
    ///
    /// - Parameters:
    ///   - audience: the push resource's origin (``PushEndpoint/origin``).
    ///   - expiresAt: Unix seconds; the caller keeps it within 24 hours of now.
    ///   - subject: a validated ``VAPIDSubject``.
    public func token(audience: String, expiresAt: Int64, subject: VAPIDSubject) -> String {
        let header = #"{"typ":"JWT","alg":"ES256"}"#
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let claims = (try? encoder.encode(Claims(aud: audience, exp: expiresAt, sub: subject.value))).map { [UInt8]($0) } ?? []
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(claims)
        let signature: [UInt8]
        if let signed = try? privateKey.signature(for: Array(signingInput.utf8)) {
            signature = Array(signed.rawRepresentation)
        } else {
            signature = []
        }
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The `Authorization` header value (RFC 8292 §3): `vapid t=<JWT>, k=<public key>`.
    public func authorization(audience: String, expiresAt: Int64, subject: VAPIDSubject) -> String {
        "vapid t=\(token(audience: audience, expiresAt: expiresAt, subject: subject)), k=\(publicKeyBase64URL)"
    }

    /// The JWT claims RFC 8292 §2 asks for.
    struct Claims: Encodable {
        let aud: String
        let exp: Int64
        let sub: String
    }
}

/// The VAPID `sub` claim: how the push service's operator can reach the sender (RFC 8292 §2.1).
///
/// Accepted: `mailto:LOCAL@DOMAIN` with a dotted domain that is not `localhost`, or `https://HOST…` with a dotted
/// host. Apple's push service answers 403 `BadJwtToken` for other forms (`mailto:x@localhost` among them), so the
/// server refuses them at start rather than failing every push to an iPhone.
public struct VAPIDSubject: Hashable, Sendable, CustomStringConvertible {
    /// The claim's text.
    public let value: String

    /// Checks `text`.
    ///
    /// - Throws: `invalidSubject` saying what is wrong.
    public init(_ text: String) throws(WebPushError) {
        func invalid(_ why: String) -> WebPushError { WebPushError(.invalidSubject, "\(why): \(text)") }
        guard text.utf8.count <= 256 else { throw invalid("the subject is longer than 256 bytes") }
        guard text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw invalid("the subject has a space or a character that is not printable ASCII")
        }
        let lower = text.lowercased()
        let domain: Substring
        if lower.hasPrefix("mailto:") {
            let address = lower.dropFirst("mailto:".count)
            let parts = address.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw invalid("mailto: needs one address LOCAL@DOMAIN") }
            domain = parts[1]
        } else if lower.hasPrefix("https://") {
            let rest = lower.dropFirst("https://".count)
            domain = rest.prefix { $0 != "/" && $0 != ":" && $0 != "?" }
        } else {
            throw invalid("the subject must be a mailto: address or an https:// URL")
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }),
              domain.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." })
        else { throw invalid("the domain must be a dotted DNS name (push services refuse localhost)") }
        guard !domain.hasSuffix(".localhost") else { throw invalid("the domain must not be localhost") }
        value = text
    }

    public var description: String { value }
}

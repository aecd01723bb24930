import COpenSSL

/// A certificate fingerprint as SDP carries it: `a=fingerprint:sha-256 AB:CD:…` (RFC 8122 §5).
///
/// The value after `a=fingerprint:` is a hash function token and the digest as colon-separated hex pairs.
/// Parsing accepts any token and either hex case; `sdpValue` prints the token in lower case and the hex in
/// upper case, as RFC 8122's grammar (`UHEX`) asks. Only sha-256, sha-384 and sha-512 can be checked against a
/// certificate (`DTLSTransport` compares with these); other tokens round-trip but never match.
public struct DTLSFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The hash function token, lower-cased (e.g. "sha-256").
    public let hashFunction: String
    /// The digest bytes.
    public let digest: [UInt8]

    /// Makes a fingerprint; the digest length must match the hash function when it is a known one.
    /// - Throws: `.invalidFingerprint` for an empty token or digest, or a length that does not fit the function.
    public init(hashFunction: String, digest: [UInt8]) throws(DTLSError) {
        let token = hashFunction.lowercased()
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !digest.isEmpty, digest.count <= 64 else {
            throw DTLSError(.invalidFingerprint, field: "fingerprint", "empty or oversized hash function or digest")
        }
        if let expected = Self.digestLength(of: token), expected != digest.count {
            throw DTLSError(
                .invalidFingerprint, field: "fingerprint digest",
                "\(token) needs \(expected) bytes, got \(digest.count)"
            )
        }
        self.hashFunction = token
        self.digest = digest
    }

    /// Parses the value of an SDP `a=fingerprint` attribute, e.g. `"sha-256 AB:CD:…"` (RFC 8122 §5).
    /// - Throws: `.invalidFingerprint` saying what is wrong and at which character offset.
    public init(parsing text: String) throws(DTLSError) {
        let bytes = Array(text.utf8)
        guard let space = bytes.firstIndex(of: 0x20) else {
            throw DTLSError(.invalidFingerprint, field: "fingerprint", "no space between hash function and digest")
        }
        let token = String(decoding: bytes[..<space], as: UTF8.self)
        var digest: [UInt8] = []
        var i = space + 1
        while i < bytes.count {
            guard i + 1 < bytes.count, let hi = Self.hexValue(bytes[i]), let lo = Self.hexValue(bytes[i + 1]) else {
                throw DTLSError(.invalidFingerprint, field: "fingerprint digest", offset: i, "expected two hex digits")
            }
            digest.append(hi << 4 | lo)
            i += 2
            if i < bytes.count {
                guard bytes[i] == UInt8(ascii: ":"), i + 1 < bytes.count else {
                    throw DTLSError(.invalidFingerprint, field: "fingerprint digest", offset: i, "expected ':'")
                }
                i += 1
            }
        }
        try self.init(hashFunction: token, digest: digest)
    }

    /// The attribute value in SDP form: `"sha-256 AB:CD:…"` (RFC 8122 §5).
    public var sdpValue: String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out = Array(hashFunction.utf8)
        out.reserveCapacity(out.count + 1 + digest.count * 3)
        out.append(0x20)
        for (n, byte) in digest.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ":")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { sdpValue }

    /// The digest length of a hash function this module can compute, or nil.
    static func digestLength(of token: String) -> Int? {
        switch token {
        case "sha-1": 20
        case "sha-224": 28
        case "sha-256": 32
        case "sha-384": 48
        case "sha-512": 64
        default: nil
        }
    }

    /// The OpenSSL digest for a hash function this module checks (RFC 8122 §5 tokens), or nil.
    static func evpDigest(for token: String) -> OpaquePointer? {
        switch token {
        case "sha-256": EVP_sha256()
        case "sha-384": EVP_sha384()
        case "sha-512": EVP_sha512()
        default: nil
        }
    }

    /// The fingerprint of `certificate` with `hashFunction`, or nil when OpenSSL cannot compute it.
    static func of(certificate: OpaquePointer, hashFunction: String) -> DTLSFingerprint? {
        guard let md = evpDigest(for: hashFunction) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let ok = buffer.withUnsafeMutableBufferPointer { X509_digest(certificate, md, $0.baseAddress, &length) }
        guard ok == 1, length > 0, length <= 64 else { return nil }
        return try? DTLSFingerprint(hashFunction: hashFunction, digest: Array(buffer.prefix(Int(length))))
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c &- 0x30
        case 0x41...0x46: c &- 0x37
        case 0x61...0x66: c &- 0x57
        default: nil
        }
    }
}

import COpenSSL

/// A keyed HMAC for MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) or MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256,
/// §14.6), set up once and reused for every message, so that a check costs one HMAC and no key schedule.
///
/// Keys (RFC 8489 §9): short-term is the password's bytes (``shortTerm(password:algorithm:)``); long-term is
/// MD5 or SHA-256 of `username ":" realm ":" password` (``longTerm(username:realm:password:passwordAlgorithm:algorithm:)``).
/// Passwords and realms are taken as their UTF-8 bytes (OpaqueString/SASLprep is the caller's business).
///
/// Thread safety: not `Sendable`. The key holds a mutable OpenSSL MAC context that every computation resets
/// and updates, so one instance must be used by one thread (or actor) at a time. Use ``copy()`` to get an
/// independent key for another thread.
public final class STUNIntegrityKey {
    /// Which HMAC the key computes.
    public enum Algorithm: Hashable, Sendable {
        /// HMAC-SHA1, 20-byte output, for MESSAGE-INTEGRITY.
        case hmacSHA1
        /// HMAC-SHA256, 32-byte output, for MESSAGE-INTEGRITY-SHA256.
        case hmacSHA256

        /// Bytes of HMAC output.
        public var outputSize: Int { self == .hmacSHA1 ? 20 : 32 }
        var digestName: String { self == .hmacSHA1 ? "SHA1" : "SHA256" }
    }

    /// The HMAC this key computes.
    public let algorithm: Algorithm
    private let context: OpaquePointer

    /// Keys an HMAC with `key` bytes.
    /// - Throws: `crypto` if OpenSSL cannot set up the MAC.
    public init(key: [UInt8], algorithm: Algorithm = .hmacSHA1) throws(STUNError) {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else {
            throw STUNError(.crypto, field: "HMAC", "EVP_MAC_fetch failed")
        }
        defer { EVP_MAC_free(mac) }
        guard let ctx = EVP_MAC_CTX_new(mac) else {
            throw STUNError(.crypto, field: "HMAC", "EVP_MAC_CTX_new failed")
        }
        // A non-null pointer even for an empty key: a null key means "reuse the previous key" to OpenSSL.
        var keyBytes = key
        if keyBytes.isEmpty { keyBytes.reserveCapacity(1) }
        let ok: Int32 = "digest".withCString { paramName in
            algorithm.digestName.withCString { digest in
                var params = [
                    OSSL_PARAM_construct_utf8_string(paramName, UnsafeMutablePointer(mutating: digest), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return keyBytes.withUnsafeBufferPointer { k in
                    var one: UInt8 = 0
                    return withUnsafePointer(to: &one) { fallback in
                        EVP_MAC_init(ctx, k.baseAddress ?? fallback, key.count, &params)
                    }
                }
            }
        }
        guard ok == 1 else {
            EVP_MAC_CTX_free(ctx)
            throw STUNError(.crypto, field: "HMAC", "EVP_MAC_init failed")
        }
        self.algorithm = algorithm
        self.context = ctx
    }

    private init(algorithm: Algorithm, context: OpaquePointer) {
        self.algorithm = algorithm
        self.context = context
    }

    deinit { EVP_MAC_CTX_free(context) }

    /// An independent key with the same secret, for use on another thread.
    /// - Throws: `crypto` if OpenSSL cannot duplicate the context.
    public func copy() throws(STUNError) -> STUNIntegrityKey {
        guard let dup = EVP_MAC_CTX_dup(context) else {
            throw STUNError(.crypto, field: "HMAC", "EVP_MAC_CTX_dup failed")
        }
        return STUNIntegrityKey(algorithm: algorithm, context: dup)
    }

    /// A short-term credential key: the password's UTF-8 bytes (RFC 8489 §9.1.1).
    public static func shortTerm(password: String, algorithm: Algorithm = .hmacSHA1) throws(STUNError)
        -> STUNIntegrityKey
    {
        try STUNIntegrityKey(key: Array(password.utf8), algorithm: algorithm)
    }

    /// A long-term credential key (RFC 8489 §9.2.2): `H(username ":" realm ":" password)` with H = MD5
    /// (16 bytes) or SHA-256 (32 bytes) as `passwordAlgorithm` says.
    public static func longTerm(username: String, realm: String, password: String,
                                passwordAlgorithm: STUNPasswordAlgorithm.Kind = .md5,
                                algorithm: Algorithm = .hmacSHA1) throws(STUNError) -> STUNIntegrityKey
    {
        try STUNIntegrityKey(key: longTermKeyBytes(username: username, realm: realm, password: password,
                                                   passwordAlgorithm: passwordAlgorithm),
                             algorithm: algorithm)
    }

    /// The raw long-term key bytes, `MD5` or `SHA-256` of `username ":" realm ":" password` (RFC 8489 §9.2.2).
    public static func longTermKeyBytes(username: String, realm: String, password: String,
                                        passwordAlgorithm: STUNPasswordAlgorithm.Kind = .md5) throws(STUNError)
        -> [UInt8]
    {
        let input = Array(username.utf8) + [0x3A] + Array(realm.utf8) + [0x3A] + Array(password.utf8)
        return try digest(input, sha256: passwordAlgorithm == .sha256)
    }

    /// MD5 or SHA-256 of `input`.
    static func digest(_ input: [UInt8], sha256: Bool) throws(STUNError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var size: UInt32 = 0
        let ok = input.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                EVP_Digest(p.baseAddress, p.count, o.baseAddress, &size, sha256 ? EVP_sha256() : EVP_md5(), nil)
            }
        }
        guard ok == 1 else { throw STUNError(.crypto, field: "digest", "EVP_Digest failed") }
        return Array(out.prefix(Int(size)))
    }

    /// The HMAC of `bytes`, as a new array (for building messages and other uses such as TURN REST passwords).
    public func authenticationCode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let n = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { p in
                compute(o, UnsafeRawBufferPointer(p), UnsafeRawBufferPointer(start: nil, count: 0),
                        UnsafeRawBufferPointer(start: nil, count: 0))
            }
        }
        return Array(out.prefix(n))
    }

    /// The HMAC of `bytes`, as a new array.
    public func authenticationCode(_ bytes: [UInt8]) -> [UInt8] { authenticationCode(bytes[...]) }

    /// Resets the context to the stored key, feeds `a`, `b`, `c` and writes the MAC to `out` (≥ 32 bytes).
    /// Returns the MAC size, or 0 if OpenSSL failed (which then never matches). Three fixed parts rather than a
    /// variadic list, so that the hot path allocates nothing.
    func compute(_ out: UnsafeMutableBufferPointer<UInt8>, _ a: UnsafeRawBufferPointer,
                 _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer) -> Int
    {
        guard EVP_MAC_init(context, nil, 0, nil) == 1 else { return 0 }
        func feed(_ p: UnsafeRawBufferPointer) -> Bool {
            p.count == 0 || EVP_MAC_update(context, p.baseAddress?.assumingMemoryBound(to: UInt8.self), p.count) == 1
        }
        guard feed(a), feed(b), feed(c) else { return 0 }
        var size = 0
        guard EVP_MAC_final(context, out.baseAddress, &size, out.count) == 1 else { return 0 }
        return size
    }
}

import COpenSSL
import RingletCore

/// The device's DTLS identity: an ECDSA P-256 key and a self-signed X.509 certificate (RFC 5763 §5, RFC 8827
/// §6.5), made once and reused for every call; the SDP fingerprint tells the peer which certificate to expect.
///
/// - Subject and issuer: CN=Ringlet. Version 3, signature ecdsa-with-SHA256, no extensions (browsers check
///   only the fingerprint, RFC 8122 §5).
/// - Serial: 16 bytes from the caller's random source, top bit cleared, never zero (RFC 5280 §4.1.2.2).
/// - Validity: from `unixTime` − 30 days (tolerates a device clock that runs behind) to `unixTime` + 365 days.
///   Peers in WebRTC do not check it, but a device should make a new one after `notAfter`.
/// - Stored as PEM (PKCS#8 private key, then the certificate): about 800 bytes, well inside the 8 KB credentials
///   file.
///
/// Sendable: the key and certificate are never changed after `init`; OpenSSL 3 reference counts and reads of
/// `EVP_PKEY` and `X509` (signing, `X509_digest`, `SSL_CTX_use_certificate`) are safe from several threads, and
/// every mutation happened before the object was published.
public final class DTLSCertificate: @unchecked Sendable {
    /// Validity before the given time: 30 days.
    public static let validityBefore: Int64 = 30 * 86_400
    /// Validity after the given time: 365 days.
    public static let validityAfter: Int64 = 365 * 86_400

    let key: OpaquePointer
    let certificate: OpaquePointer
    /// The certificate's SHA-256 fingerprint, for the local SDP (`a=fingerprint:` + `fingerprint.sdpValue`).
    public let fingerprint: DTLSFingerprint

    /// Makes a new key and self-signed certificate valid from `unixTime` − 30 days to `unixTime` + 365 days.
    /// - Parameters:
    ///   - unixTime: the current wall-clock time in seconds since 1970 (the caller's; this module reads no clock).
    ///   - rng: the source of the serial number. The key itself comes from OpenSSL's generator.
    /// - Throws: `.cryptoFailure` when OpenSSL cannot make or sign it.
    public init(unixTime: Int64, using rng: inout some RandomNumberGenerator) throws(DTLSError) {
        guard let key = Self.generateKey() else {
            throw DTLSError(.cryptoFailure, field: "P-256 key", OpenSSLSupport.takeErrorString())
        }
        var serial = rng.bytes(16)
        serial[0] &= 0x7F
        if serial.allSatisfy({ $0 == 0 }) { serial[15] = 1 }
        guard let certificate = Self.makeCertificate(key: key, serial: serial, unixTime: unixTime) else {
            EVP_PKEY_free(key)
            throw DTLSError(.cryptoFailure, field: "self-signed certificate", OpenSSLSupport.takeErrorString())
        }
        guard let fingerprint = DTLSFingerprint.of(certificate: certificate, hashFunction: "sha-256") else {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw DTLSError(.cryptoFailure, field: "fingerprint", OpenSSLSupport.takeErrorString())
        }
        self.key = key
        self.certificate = certificate
        self.fingerprint = fingerprint
    }

    /// Reads a certificate written by `pem`: a private key and the certificate it signs, in either order.
    /// - Throws: `.invalidPEM` when either is missing or malformed, or the key does not belong to the certificate.
    public init(pem: String) throws(DTLSError) {
        let bytes = Array(pem.utf8)
        guard !bytes.isEmpty, bytes.count <= 64 * 1024 else {
            throw DTLSError(.invalidPEM, field: "PEM", "empty or larger than 64 KiB")
        }
        func withBIO<T>(_ body: (OpaquePointer) -> T?) -> T? {
            bytes.withUnsafeBytes { raw -> T? in
                guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return nil }
                defer { BIO_free(bio) }
                return body(bio)
            }
        }
        ERR_clear_error()
        guard let key = withBIO({ PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw DTLSError(.invalidPEM, field: "private key", OpenSSLSupport.takeErrorString())
        }
        guard let certificate = withBIO({ PEM_read_bio_X509($0, nil, nil, nil) }) else {
            EVP_PKEY_free(key)
            throw DTLSError(.invalidPEM, field: "certificate", OpenSSLSupport.takeErrorString())
        }
        guard X509_check_private_key(certificate, key) == 1,
            let fingerprint = DTLSFingerprint.of(certificate: certificate, hashFunction: "sha-256")
        else {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw DTLSError(.invalidPEM, field: "key pair", "the private key does not belong to the certificate")
        }
        ERR_clear_error()
        self.key = key
        self.certificate = certificate
        self.fingerprint = fingerprint
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// The private key (PKCS#8, `BEGIN PRIVATE KEY`) followed by the certificate (`BEGIN CERTIFICATE`), as text
    /// for the credentials file. Secret: it holds the private key.
    public var pem: Redacted<String> {
        Redacted(privateKeyPEM + certificatePEM)
    }

    /// The certificate alone in PEM (public).
    public var certificatePEM: String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard PEM_write_bio_X509(bio, certificate) == 1 else { return "" }
        return OpenSSLSupport.string(of: bio)
    }

    /// The private key alone in PEM (PKCS#8, unencrypted). Secret.
    var privateKeyPEM: String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else { return "" }
        return OpenSSLSupport.string(of: bio)
    }

    /// The end of the certificate's validity, in seconds since 1970 (nil if OpenSSL cannot read it).
    public var notAfter: Int64? {
        guard let time = X509_get0_notAfter(certificate) else { return nil }
        var tm = tm()
        guard ASN1_TIME_to_tm(time, &tm) == 1 else { return nil }
        return Self.unixTime(tm)
    }

    // MARK: - Making one

    private static func generateKey() -> OpaquePointer? {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1 else { return nil }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &key) == 1 else { return nil }
        return key
    }

    private static func makeCertificate(key: OpaquePointer, serial: [UInt8], unixTime: Int64) -> OpaquePointer? {
        guard let x509 = X509_new() else { return nil }
        var ok = X509_set_version(x509, 2) == 1
        ok = ok && serial.withUnsafeBufferPointer { p -> Bool in
            guard let bn = BN_bin2bn(p.baseAddress, Int32(p.count), nil) else { return false }
            defer { BN_free(bn) }
            guard let asn1 = BN_to_ASN1_INTEGER(bn, nil) else { return false }
            defer { ASN1_INTEGER_free(asn1) }
            return X509_set_serialNumber(x509, asn1) == 1
        }
        let (before, beforeOverflow) = unixTime.subtractingReportingOverflow(validityBefore)
        let (after, afterOverflow) = unixTime.addingReportingOverflow(validityAfter)
        ok = ok && !beforeOverflow && !afterOverflow
        ok = ok && ASN1_TIME_set(X509_getm_notBefore(x509), time_t(before)) != nil
        ok = ok && ASN1_TIME_set(X509_getm_notAfter(x509), time_t(after)) != nil
        if ok, let name = X509_NAME_new() {
            defer { X509_NAME_free(name) }
            ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "Ringlet", -1, -1, 0) == 1
            ok = ok && X509_set_subject_name(x509, name) == 1 && X509_set_issuer_name(x509, name) == 1
        } else {
            ok = false
        }
        ok = ok && X509_set_pubkey(x509, key) == 1
        ok = ok && X509_sign(x509, key, EVP_sha256()) > 0
        guard ok else {
            X509_free(x509)
            return nil
        }
        return x509
    }

    /// Seconds since 1970 for a UTC broken-down time (days-from-civil, no libc time zone involved).
    private static func unixTime(_ tm: tm) -> Int64 {
        let y0 = Int64(tm.tm_year) + 1900
        let m = Int64(tm.tm_mon) + 1
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + Int64(tm.tm_mday) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + Int64(tm.tm_hour) * 3600 + Int64(tm.tm_min) * 60 + Int64(tm.tm_sec)
    }
}

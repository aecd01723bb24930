import RingletCore

/// Which side of the DTLS handshake this endpoint plays (RFC 5763 §5, RFC 8842 §5).
///
/// The SDP `a=setup` attribute decides it: the offerer says `actpass`; the answerer picks `active` (it becomes
/// the DTLS client and sends the ClientHello) or `passive` (it becomes the server); the offerer takes the other
/// role. Browsers answer `active`.
public enum DTLSRole: Hashable, Sendable {
    /// Sends the ClientHello (`a=setup:active`).
    case client
    /// Waits for the ClientHello (`a=setup:passive`).
    case server

    /// The role for this endpoint's own resolved `a=setup` value: "active" → client, "passive" → server.
    /// Returns nil for "actpass" (not resolved yet: the answer decides, RFC 8842 §5.3) and for anything else.
    public init?(localSetup value: String) {
        switch value.lowercased() {
        case "active": self = .client
        case "passive": self = .server
        default: return nil
        }
    }

    /// The role opposite to the remote endpoint's `a=setup` value: remote "active" → server, remote "passive" →
    /// client (RFC 8842 §5.3). Returns nil for "actpass" and anything else.
    public init?(remoteSetup value: String) {
        switch value.lowercased() {
        case "active": self = .server
        case "passive": self = .client
        default: return nil
        }
    }
}

/// The SRTP keys a finished DTLS-SRTP handshake produced (RFC 5764 §4.2): the negotiated protection profile and
/// the raw output of the TLS exporter with label "EXTRACTOR-dtls_srtp".
///
/// The bytes are `client_write_SRTP_master_key || server_write_SRTP_master_key || client_write_SRTP_master_salt
/// || server_write_SRTP_master_salt`. For role `.client` the local (sending) key and salt are the client halves;
/// for `.server` the server halves. The engine splits them (RingletSRTP's `SRTPMasterKey.split`); this module does
/// not depend on RingletSRTP.
public struct DTLSSRTPKeyingMaterial: Hashable, Sendable {
    /// The negotiated DTLS-SRTP protection profile (RFC 5764 §4.1.2, RFC 7714 §14.2): the same numbers as
    /// RingletSRTP's `SRTPProtectionProfile.rawValue` (1 = AES128_CM_HMAC_SHA1_80, 2 = _32, 7 = AEAD_AES_128_GCM).
    public let profile: UInt16
    /// The exporter output: 60 bytes for the AES-CM profiles, 56 for AEAD_AES_128_GCM, 88 for AEAD_AES_256_GCM.
    public let keyingMaterial: Redacted<[UInt8]>
    /// This endpoint's role, which says which halves are local.
    public let localRole: DTLSRole

    /// Makes a value (tests and the engine; the transport makes these after a handshake).
    public init(profile: UInt16, keyingMaterial: [UInt8], localRole: DTLSRole) {
        self.profile = profile
        self.keyingMaterial = Redacted(keyingMaterial)
        self.localRole = localRole
    }

    /// Master key and salt lengths for a profile this module offers, or nil (RFC 5764 §4.1.2, RFC 7714 §12).
    static func keyAndSaltLength(profile: UInt16) -> (key: Int, salt: Int)? {
        switch profile {
        case 0x0001, 0x0002: (16, 14)
        case 0x0007: (16, 12)
        case 0x0008: (32, 12)
        default: nil
        }
    }

    /// The OpenSSL name of a profile this module can offer, or nil.
    static func openSSLName(profile: UInt16) -> String? {
        switch profile {
        case 0x0001: "SRTP_AES128_CM_SHA1_80"
        case 0x0002: "SRTP_AES128_CM_SHA1_32"
        case 0x0007: "SRTP_AEAD_AES_128_GCM"
        case 0x0008: "SRTP_AEAD_AES_256_GCM"
        default: nil
        }
    }
}

/// What a `DTLSTransport` tells its owner.
public enum DTLSEvent: Hashable, Sendable {
    /// The handshake finished and the peer's certificate matched the remote fingerprint: SRTP keys are ready.
    case connected(DTLSSRTPKeyingMaterial)
    /// Application data (one DTLS record's payload), e.g. SCTP for data channels (RFC 8261).
    case applicationData([UInt8])
    /// The transport failed and is finished: handshake failure, timeout, fingerprint mismatch, fatal alert.
    case failed(DTLSError)
    /// The session was closed with close_notify, by this side (`close(now:)`) or by the peer (RFC 5246 §7.2.1).
    case closed
}

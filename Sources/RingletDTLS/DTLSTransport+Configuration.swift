extension DTLSTransport {
    /// Settings for one transport, validated by `DTLSTransport.init`. Defaults suit browsers.
    public struct Configuration: Hashable, Sendable {
        /// Largest datagram this transport sends (DTLS record bytes, without UDP/IP headers): `DTLS_set_link_mtu`.
        /// Default 1200, the WebRTC norm that fits inside TURN and IPv6 paths. Range 256…16 384.
        public var mtu: Int = 1200
        /// The first retransmission interval of a flight (RFC 6347 §4.2.4.1: 1 s). It doubles per retransmission
        /// up to `maximumRetransmitInterval`. Range 10 ms…60 s.
        public var initialRetransmitInterval: Duration = .seconds(1)
        /// The ceiling of the doubling retransmission interval (RFC 6347 §4.2.4.1: 60 s).
        public var maximumRetransmitInterval: Duration = .seconds(60)
        /// How long the handshake may take from `start(now:)` before the transport fails with
        /// `.handshakeTimeout`. Default 30 s. OpenSSL also gives up after 12 retransmissions of one flight.
        public var handshakeTimeout: Duration = .seconds(30)
        /// DTLS-SRTP profiles offered (client) or accepted (server), in order of preference (RFC 5764 §4.1.2).
        /// Default: AEAD_AES_128_GCM (7), AES128_CM_HMAC_SHA1_80 (1), AES128_CM_HMAC_SHA1_32 (2).
        public var srtpProfiles: [UInt16] = [0x0007, 0x0001, 0x0002]
        /// The OpenSSL cipher list: ECDHE with ECDSA (our certificate) or RSA (older peers), AEAD first.
        public var cipherList: String =
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
            + "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
            + "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA"
        /// Key-exchange groups, in order of preference.
        public var groups: String = "X25519:P-256"

        /// The defaults.
        public init() {}

        func validate() throws(DTLSError) {
            guard (256...16_384).contains(mtu) else {
                throw DTLSError(.invalidConfiguration, field: "mtu", "\(mtu) is outside 256…16384")
            }
            guard initialRetransmitInterval >= .milliseconds(10), initialRetransmitInterval <= .seconds(60),
                maximumRetransmitInterval >= initialRetransmitInterval, maximumRetransmitInterval <= .seconds(600)
            else {
                throw DTLSError(.invalidConfiguration, field: "retransmit interval", "needs 10 ms ≤ initial ≤ maximum ≤ 600 s")
            }
            guard handshakeTimeout > .zero else {
                throw DTLSError(.invalidConfiguration, field: "handshakeTimeout", "must be positive")
            }
            guard !srtpProfiles.isEmpty, srtpProfiles.allSatisfy({ DTLSSRTPKeyingMaterial.openSSLName(profile: $0) != nil }) else {
                throw DTLSError(.invalidConfiguration, field: "srtpProfiles", "empty or not one of 1, 2, 7, 8")
            }
        }

        var openSSLProfileList: String {
            srtpProfiles.compactMap { DTLSSRTPKeyingMaterial.openSSLName(profile: $0) }.joined(separator: ":")
        }
    }
}

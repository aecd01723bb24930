import RingletCore
import RingletDTLS
import RingletICE
import RingletRTP
import RingletSDP

extension PeerConnection {
    /// A TURN server to allocate a relayed candidate on (RFC 8656), with long-term credentials.
    public struct TURNServerConfiguration: Hashable, Sendable {
        /// The server's address.
        public var address: TransportAddress
        /// UDP or TCP to the server (TLS is the shell's business).
        public var transport: TransportProtocol
        /// The username (for TURN REST credentials, `"<expiry>:<id>"`).
        public var username: String
        /// The password; redacted in descriptions.
        public var password: Redacted<String>

        /// Makes a TURN server entry.
        public init(address: TransportAddress, transport: TransportProtocol = .udp, username: String,
                    password: String) {
            self.address = address
            self.transport = transport
            self.username = username
            self.password = Redacted(password)
        }
    }

    /// Which candidates ICE may use (W3C `RTCIceTransportPolicy`).
    public enum ICETransportPolicy: String, Hashable, Sendable {
        /// Host, server-reflexive and relayed candidates.
        case all
        /// Relayed candidates only (no host or server-reflexive candidate is signalled or checked).
        case relay
    }

    /// One kind of media: its direction and codecs in order of preference.
    public struct MediaConfiguration: Hashable, Sendable {
        /// `sendrecv`, `sendonly` (a camera), `recvonly` (a viewer).
        public var direction: MediaDirection
        /// Codecs in order of preference (audio: Opus, PCMU, PCMA; video: H.264 42e01f packetization-mode 1).
        public var codecs: [RingletCodec]

        /// Makes a media configuration.
        public init(direction: MediaDirection = .sendrecv, codecs: [RingletCodec]) {
            self.direction = direction
            self.codecs = codecs
        }
    }

    /// Everything a peer connection needs from its caller; a plain struct, validated once by
    /// ``PeerConnection/init(configuration:using:)``.
    public struct Configuration: Sendable {
        /// The DTLS certificate (made once by the caller and reused by every connection).
        public var certificate: DTLSCertificate
        /// The local sockets' addresses (host candidates): the shell's bound sockets or a simulated host's
        /// addresses with a port each. The first one of each family also carries TURN traffic.
        public var hostAddresses: [TransportAddress]
        /// STUN servers for server-reflexive candidates (RFC 8445 §5.1.1.2).
        public var stunServers: [TransportAddress] = []
        /// TURN servers for relayed candidates (RFC 8656).
        public var turnServers: [TURNServerConfiguration] = []
        /// Which candidates to use. Default `.all`.
        public var iceTransportPolicy: ICETransportPolicy = .all
        /// Audio, or nil for none. Default sendrecv Opus, PCMU, PCMA.
        public var audio: MediaConfiguration? = MediaConfiguration(codecs: [.opus, .pcmu, .pcma])
        /// Video, or nil for none. Default sendrecv H.264.
        public var video: MediaConfiguration? = MediaConfiguration(codecs: [.h264])
        /// ICE timers (pacing, retransmission, nomination, consent); `stunServers` above is copied into it.
        public var ice = ICEAgent.Configuration()
        /// DTLS settings (MTU, retransmission, SRTP profiles).
        public var dtls = DTLSTransport.Configuration()
        /// Send-side settings (pacing, watermarks, retransmission, reports). Its `audio`/`video` streams are
        /// filled in from the negotiation; other fields pass through.
        public var send = RTPSendSession.Configuration()
        /// Receive-side settings for video streams (format is set from the negotiation).
        public var videoReceive = RTPReceiveStream.Configuration(format: .h264)
        /// Receive-side settings for audio streams (format is set from the negotiation).
        public var audioReceive = RTPReceiveStream.Configuration(format: .opus)
        /// Interval of receiver reports (RFC 3550 §6.2; fixed, not randomised). Default 1 s.
        public var receiverReportInterval: Duration = .seconds(1)
        /// Interval of transport-wide feedback when negotiated. Default 100 ms.
        public var transportFeedbackInterval: Duration = .milliseconds(100)
        /// The RTCP CNAME (RFC 7022); nil draws a random 16-character one.
        public var cname: String?
        /// The media stream id announced in `a=msid` (RFC 8830).
        public var streamID = "ringlet"
        /// NTP time at `Instant.zero` for sender reports (the shell's wall clock, read once).
        public var ntpOffset: Duration = .zero
        /// Once one TURN server has given a relayed candidate, how much longer the others (and server-reflexive
        /// gathering) get before end-of-candidates is signaled; those still pending then are given up (closed).
        /// A server that is blocked (UDP dropped, a port filtered) would otherwise hold end-of-candidates for the
        /// 39.5 s of a STUN transaction (RFC 8489 §6.2.1), and a peer that waits for it would wait that long.
        /// Default 1 s.
        public var gatheringGrace: Duration = .seconds(1)
        /// The longest gathering waits for any server when none has given a relayed candidate. Default 10 s.
        public var gatheringTimeout: Duration = .seconds(10)

        /// A configuration with the defaults above.
        public init(certificate: DTLSCertificate, hostAddresses: [TransportAddress]) {
            self.certificate = certificate
            self.hostAddresses = hostAddresses
        }

        func validate() throws(EngineError) {
            guard audio != nil || video != nil else {
                throw EngineError(.invalidConfiguration, field: "media", "neither audio nor video is configured")
            }
            if let audio, audio.codecs.isEmpty || audio.codecs.contains(where: { $0.media != .audio }) {
                throw EngineError(.invalidConfiguration, field: "audio.codecs", "need audio codecs only")
            }
            if let video, video.codecs.isEmpty || video.codecs.contains(where: { $0.media != .video }) {
                throw EngineError(.invalidConfiguration, field: "video.codecs", "need video codecs only")
            }
            guard !hostAddresses.isEmpty || !turnServers.isEmpty else {
                throw EngineError(.invalidConfiguration, field: "hostAddresses", "no local address to send from")
            }
            guard iceTransportPolicy == .all || !turnServers.isEmpty else {
                throw EngineError(.invalidConfiguration, field: "iceTransportPolicy",
                                  "relay policy without a TURN server can never connect")
            }
            guard receiverReportInterval > .zero, transportFeedbackInterval > .zero else {
                throw EngineError(.invalidConfiguration, field: "intervals", "RTCP intervals must be positive")
            }
        }
    }
}

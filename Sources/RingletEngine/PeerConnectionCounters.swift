/// What a ``PeerConnection`` counted: traffic and every kind of dropped input (STYLE §6: dropped, counted).
public struct PeerConnectionCounters: Hashable, Sendable {
    /// Datagrams handed to ``PeerConnection/handle(_:now:)``.
    public var datagramsReceived = 0
    /// Their bytes.
    public var bytesReceived: Int64 = 0
    /// Datagrams queued for sending.
    public var datagramsSent = 0
    /// Their bytes.
    public var bytesSent: Int64 = 0
    /// Datagrams of no WebRTC kind (RFC 7983), or arriving before ICE exists.
    public var unknownDropped = 0
    /// Datagrams ICE dropped (bad STUN, unknown source or local address, closed).
    public var iceDropped = 0
    /// DTLS or SRTP datagrams that arrived before their layer was ready.
    public var notReadyDropped = 0
    /// SRTP/SRTCP packets that failed authentication, replay checks or parsing.
    public var srtpDropped = 0
    /// RTP packets of an unknown SSRC or payload type.
    public var unknownSSRCDropped = 0
    /// RTP or RTCP that did not parse after SRTP.
    public var malformedDropped = 0
    /// Outgoing datagrams that could not leave (no selected pair, relay refused).
    public var sendDropped = 0
    /// Remote candidates that could not be used (mDNS names, TCP, bad lines).
    public var candidatesIgnored = 0
    /// TURN servers that had not answered by the gathering deadline, and server-reflexive requests given up then
    /// (``PeerConnection/Configuration/gatheringGrace``).
    public var turnServersGivenUp = 0
    public var gathersGivenUp = 0

    /// Makes zero counters.
    public init() {}
}

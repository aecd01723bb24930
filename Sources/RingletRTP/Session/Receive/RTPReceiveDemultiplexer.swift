/// Picks the receive stream for an incoming RTP packet (RFC 8843 §9.2 in spirit, without the MID extension
/// parsing, which the engine does): by SSRC when it is known, else by MID, else by payload type, learning the
/// SSRC for later packets.
///
/// Learning is bounded: at most `maxLearnedSSRCs` unsignalled SSRCs are learned; packets from further unknown
/// SSRCs are counted in `droppedPackets` and dropped (a flood of random SSRCs cannot grow the table).
public struct RTPReceiveDemultiplexer<StreamID: Hashable & Sendable>: Sendable {
    /// Most SSRCs learned from MID or payload type.
    public let maxLearnedSSRCs: Int
    private var bySSRC: [UInt32: StreamID] = [:]
    private var byMID: [String: StreamID] = [:]
    private var byPayloadType: [UInt8: StreamID] = [:]
    private var learned: Set<UInt32> = []
    /// SSRCs learned so far (and not removed).
    public var learnedSSRCs: Int { learned.count }
    /// Packets dropped because their SSRC was unknown and could not be learned.
    public private(set) var droppedPackets = 0

    /// Makes an empty demultiplexer.
    /// - Parameter maxLearnedSSRCs: bound on learned SSRCs; default 8, at least 0.
    public init(maxLearnedSSRCs: Int = 8) { self.maxLearnedSSRCs = max(0, maxLearnedSSRCs) }

    /// Maps a signalled SSRC (`a=ssrc`, RFC 5576) to a stream.
    public mutating func register(ssrc: UInt32, for stream: StreamID) { bySSRC[ssrc] = stream }

    /// Maps a MID (RFC 8843) to a stream, for SSRCs not signalled.
    public mutating func register(mid: String, for stream: StreamID) { byMID[mid] = stream }

    /// Maps a payload type to a stream, for SSRCs not signalled (the payload type must be unique to it).
    public mutating func register(payloadType: UInt8, for stream: StreamID) { byPayloadType[payloadType] = stream }

    /// Forgets an SSRC (after an RTCP BYE, RFC 3550 §6.6); a learned one frees its place.
    public mutating func remove(ssrc: UInt32) {
        bySSRC.removeValue(forKey: ssrc)
        learned.remove(ssrc)
    }

    /// The stream of a packet, learning its SSRC when the MID or payload type names one; nil (counted) when
    /// the packet must be dropped.
    public mutating func route(ssrc: UInt32, payloadType: UInt8, mid: String? = nil) -> StreamID? {
        if let known = bySSRC[ssrc] { return known }
        let candidate = mid.flatMap { byMID[$0] } ?? byPayloadType[payloadType]
        guard let stream = candidate, learnedSSRCs < maxLearnedSSRCs else {
            droppedPackets &+= 1
            return nil
        }
        learned.insert(ssrc)
        bySSRC[ssrc] = stream
        return stream
    }
}

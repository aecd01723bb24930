/// Splits H.265 access units into RTP payloads (RFC 7798 without DONL (sprop-max-don-diff=0)).
///
/// Each NAL unit no larger than the payload budget goes in a single NAL unit packet, or, with neighbours that fit
/// together, in aggregation packets (type 48, §4.4.2); a larger one is split into fragmentation units (type 49, §4.4.3). The latest VPS, SPS and PPS seen are kept and sent
/// before every IRAP (types 16–21) access unit that lacks them. The marker bit is set on the last packet of the access unit.
public struct H265Packetizer: Sendable {
    private var core: NALPacketizer

    /// Makes a packetizer.
    public init(configuration: VideoPacketizerConfiguration = .default) {
        core = NALPacketizer(format: .h265, configuration: configuration)
    }

    /// The payload budget in bytes.
    public var maxPayloadSize: Int { core.maxPayloadSize }

    /// Packetizes an access unit in Annex B form (3- or 4-byte start codes).
    /// - Throws: `PayloadFormatError` for a stream that is not Annex B, an empty or truncated NAL unit, or a NAL
    ///   unit type RTP cannot carry. Nothing is produced then.
    public mutating func packetize(accessUnit: ArraySlice<UInt8>) throws(PayloadFormatError) -> [PayloadPacket] {
        var out: [PayloadPacket] = []
        try packetize(nalUnits: AnnexB.split(accessUnit), into: &out)
        return out
    }

    /// Packetizes an access unit in Annex B form, appending its packets to `out`.
    /// - Throws: `PayloadFormatError`, as `packetize(accessUnit:)`.
    public mutating func packetize(accessUnit: ArraySlice<UInt8>, into out: inout [PayloadPacket]) throws(PayloadFormatError) {
        try packetize(nalUnits: AnnexB.split(accessUnit), into: &out)
    }

    /// Packetizes an access unit given as NAL units (each with its header, without start codes).
    /// - Throws: `PayloadFormatError` for an empty list, a truncated NAL unit or a type RTP cannot carry.
    public mutating func packetize(nalUnits: [ArraySlice<UInt8>], into out: inout [PayloadPacket]) throws(PayloadFormatError) {
        try core.packetize(nalUnits: nalUnits, into: &out)
    }
}

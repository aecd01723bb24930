import RingletCore

/// Fuzz entry points for the RTP and RTCP parsers (for libFuzzer shims; never reachable from the network).
///
/// Each runs a parser on arbitrary bytes and, when parsing succeeds, checks the round-trip invariant; it traps only
/// when that invariant is broken, which is the bug a fuzzer should find.
@_spi(Fuzzing)
public enum RTPFuzz {
    /// Parses `data` as an RTP packet; on success checks that it re-encodes to the same bytes, that re-parsing gives
    /// an equal packet, that ``RTPHeader`` agrees, and that header extension elements rebuild to equal elements.
    public static func rtp(_ data: [UInt8]) {
        guard let packet = try? RTPPacket(parsing: data) else { return }
        let bytes = packet.bytes
        guard bytes == data, bytes.count == packet.encodedSize else {
            fatalError("RTP re-encoding differs from the parsed bytes")
        }
        guard let again = try? RTPPacket(parsing: bytes), again == packet else {
            fatalError("RTP decode → encode → decode differs")
        }
        guard let header = try? RTPHeader(parsing: data), header.ssrc == packet.ssrc,
              header.sequenceNumber == packet.sequenceNumber,
              header.headerLength == data.count - packet.payload.count - packet.paddingLength else {
            fatalError("RTPHeader disagrees with RTPPacket")
        }
        if let ext = packet.headerExtension, ext.form != .other(profile: ext.profile) {
            let elements = ext.elements
            if let rebuilt = try? RTPHeaderExtension(elements: elements, form: ext.form),
               rebuilt.elements != elements {
                fatalError("RTP header extension elements do not survive a rebuild")
            }
        }
    }

    /// Parses `data` as a compound RTCP packet; on success checks that encoding and re-parsing give an equal value,
    /// and that the TWCC and NACK helpers do not trap.
    public static func rtcp(_ data: [UInt8]) {
        guard let compound = try? RTCPCompoundPacket(parsing: data) else { return }
        let bytes = compound.bytes
        guard bytes.count == compound.encodedSize else {
            fatalError("RTCP encodedSize disagrees with encode")
        }
        guard let again = try? RTCPCompoundPacket(parsing: bytes), again == compound else {
            fatalError("RTCP decode → encode → decode differs")
        }
        for packet in compound.packets {
            switch packet {
            case .transportWideFeedback(let twcc):
                let results = twcc.packetResults()
                guard results.count == Int(twcc.packetStatusCount) else {
                    fatalError("TWCC results do not cover the packet status count")
                }
            case .genericNACK(let nack):
                _ = nack.lostSequenceNumbers
            default:
                break
            }
        }
    }
}

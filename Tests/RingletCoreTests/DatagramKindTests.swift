import Testing
import RingletCore

/// RFC 7983 §7 as updated by RFC 9443 §3: the expected kind for every first byte, written from the RFC's ranges.
private func expectedKind(first: UInt8, second: UInt8) -> DatagramKind {
    switch Int(first) {
    case 0...3: return .stun
    case 4...15: return .unknown
    case 16...19: return .zrtp
    case 20...63: return .dtls
    case 64...79: return .turnChannelData
    case 80...127: return .quic
    case 128...191: return (192...223).contains(Int(second)) ? .rtcp : .rtp
    default: return .quic
    }
}

@Suite("Datagram demultiplexer (RFC 7983, RFC 9443)")
struct DatagramKindTests {
    @Test("Every one of the 256 first bytes maps to the kind RFC 7983/9443 gives it", arguments: 0...255)
    func everyFirstByte(first: Int) {
        let b = UInt8(first)
        #expect(DatagramKind.classify([b, 0x00, 0x00, 0x00]) == expectedKind(first: b, second: 0))
        #expect(DatagramKind.classify([b, 200, 0x00, 0x00]) == expectedKind(first: b, second: 200))
    }

    @Test("Known first bytes from real packets")
    func realPackets() {
        #expect(DatagramKind.classify([0x00, 0x01, 0x00, 0x58]) == .stun)       // Binding request
        #expect(DatagramKind.classify([0x16, 0xfe, 0xfd]) == .dtls)             // DTLS 1.2 handshake
        #expect(DatagramKind.classify([0x40, 0x00, 0x00, 0x04]) == .turnChannelData)
        #expect(DatagramKind.classify([0x80, 0x60]) == .rtp)                    // V=2, PT 96
        #expect(DatagramKind.classify([0x80, 0xE0]) == .rtp)                    // V=2, marker, PT 96
        #expect(DatagramKind.classify([0x80, 200]) == .rtcp)                    // SR
        #expect(DatagramKind.classify([0x81, 205]) == .rtcp)                    // RTPFB
    }

    @Test("An empty datagram or an RTP first byte alone is unknown")
    func shortInput() {
        #expect(DatagramKind.classify([UInt8]()) == .unknown)
        #expect(DatagramKind.classify([0x80]) == .unknown)
    }
}

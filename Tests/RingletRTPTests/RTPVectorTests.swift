import Foundation
import RingletCore
import Testing
@testable import RingletRTP

/// Loads hex vectors from `Vectors/` (format described in Vectors/PROVENANCE.md).
enum Vectors {
    static func text(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Vectors"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func lines(_ name: String) throws -> [String] {
        try text(name).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// One datagram per line.
    static func datagrams(_ name: String) throws -> [[UInt8]] {
        try lines(name).map { try #require([UInt8](hex: $0)) }
    }

    /// The whole file as one datagram.
    static func datagram(_ name: String) throws -> [UInt8] {
        try #require([UInt8](hex: lines(name).joined()))
    }

    static let rtpFiles = ["rtp-one-byte-extension", "rtp-two-byte-extension", "rtp-other-profile", "rtp-one-byte-id15"]
    static let rtcpFiles = ["rtcp-sr-sdes-bye", "rtcp-rr-empty", "rtcp-nack", "rtcp-pli", "rtcp-fir", "rtcp-remb",
                            "rtcp-twcc", "rtcp-twcc-rtcp-padding", "rtcp-unknown"]

    static func allRTP() throws -> [[UInt8]] {
        try rtpFiles.map(datagram) + datagrams("rtp-ffmpeg-h264") + datagrams("rtp-ffmpeg-pcmu")
    }

    static func allRTCP() throws -> [[UInt8]] {
        try rtcpFiles.map(datagram) + datagrams("rtcp-ffmpeg-sr")
    }
}

@Suite("RTP and RTCP vectors")
struct RTPVectorTests {
    @Test("Every RTP vector decodes, re-encodes to the same bytes and decodes to an equal packet")
    func rtpRoundTrip() throws {
        let all = try Vectors.allRTP()
        #expect(all.count == 4 + 19 + 12)
        for bytes in all {
            let packet = try RTPPacket(parsing: bytes)
            var writer = ByteWriter()
            packet.encode(into: &writer)
            #expect(writer.bytes == bytes)
            #expect(packet.encodedSize == bytes.count)
            #expect(try RTPPacket(parsing: writer.bytes) == packet)
        }
    }

    @Test("Every RTCP vector decodes, re-encodes to the same bytes and decodes to an equal compound packet")
    func rtcpRoundTrip() throws {
        let all = try Vectors.allRTCP()
        #expect(all.count == 9 + 2)
        for bytes in all {
            let compound = try RTCPCompoundPacket(parsing: bytes)
            #expect(compound.bytes == bytes)
            #expect(compound.encodedSize == bytes.count)
            #expect(try RTCPCompoundPacket(parsing: compound.bytes) == compound)
        }
    }

    @Test("ffmpeg's H.264 packets carry its SSRC, payload type 96 and consecutive sequence numbers")
    func ffmpegH264() throws {
        let packets = try Vectors.datagrams("rtp-ffmpeg-h264").map { try RTPPacket(parsing: $0) }
        for (a, b) in zip(packets, packets.dropFirst()) {
            #expect(b.sequenceNumber == a.sequenceNumber &+ 1)
        }
        for p in packets {
            #expect(p.ssrc == 0x1122_3344)
            #expect(p.payloadType == 96)
            #expect(p.csrcs.isEmpty && p.headerExtension == nil && p.paddingLength == 0)
        }
        #expect(packets.contains { $0.marker }, "the last packet of each frame has the marker set")
        #expect(packets[0].payload.first.map { $0 & 0x1F } == 24, "the first packet is a STAP-A with SPS and PPS")
    }

    @Test("ffmpeg's PCMU packets are payload type 0 with timestamps 1024 samples apart")
    func ffmpegPCMU() throws {
        let packets = try Vectors.datagrams("rtp-ffmpeg-pcmu").map { try RTPPacket(parsing: $0) }
        for (a, b) in zip(packets, packets.dropFirst()) {
            #expect(b.timestamp &- a.timestamp == UInt32(a.payload.count))
        }
        #expect(packets.allSatisfy { $0.payloadType == 0 && $0.ssrc == 0x5566_7788 })
    }

    @Test("ffmpeg's RTCP is one sender report per stream with its SSRC")
    func ffmpegSR() throws {
        let reports = try Vectors.datagrams("rtcp-ffmpeg-sr").map { try RTCPCompoundPacket(parsing: $0) }
        let ssrcs = try reports.map { compound -> UInt32 in
            #expect(compound.packets.count == 1)
            guard case .senderReport(let sr) = try #require(compound.packets.first) else {
                Issue.record("not an SR")
                return 0
            }
            #expect(sr.reports.isEmpty)
            return sr.ssrc
        }
        #expect(ssrcs == [0x1122_3344, 0x5566_7788])
    }
}

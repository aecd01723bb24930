import RingletCore

/// An RTCP sender report, SR (RFC 3550 §6.4.1): sender info and up to 31 reception report blocks, followed by
/// any profile-specific extension (kept raw).
///
/// ```
/// |V=2|P|    RC   |   PT=SR=200   |             length            |
/// |                         SSRC of sender                        |
/// |              NTP timestamp, most significant word             |
/// |             NTP timestamp, least significant word             |
/// |                         RTP timestamp                         |
/// |                     sender's packet count                     |
/// |                      sender's octet count                     |
/// |                 report blocks (24 bytes each) ...             |
/// |                  profile-specific extensions                  |
/// ```
public struct RTCPSenderReport: Hashable, Sendable {
    /// The sender's SSRC.
    public let ssrc: UInt32
    /// Wallclock time of this report, 64-bit NTP format.
    public let ntpTimestamp: UInt64
    /// The same instant in RTP timestamp units.
    public let rtpTimestamp: UInt32
    /// Packets sent since starting transmission.
    public let packetCount: UInt32
    /// Payload octets sent since starting transmission.
    public let octetCount: UInt32
    /// Reception report blocks (at most 31).
    public let reports: [RTCPReceptionReport]
    /// Profile-specific extension bytes after the blocks (a whole number of words), kept raw.
    public let profileExtension: ArraySlice<UInt8>

    /// Makes a sender report.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` with more than 31 reports; `.badLength` when the extension is not a
    ///   whole number of words.
    public init(ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
                reports: [RTCPReceptionReport] = [], profileExtension: ArraySlice<UInt8> = []) throws(RTPError) {
        guard reports.count <= 31 else {
            throw RTPError(.invalidValue, field: "RTCP.SR.reports", "\(reports.count) report blocks, at most 31")
        }
        guard profileExtension.count % 4 == 0 else {
            throw RTPError(.badLength, field: "RTCP.SR.extension", "extension is not a whole number of words")
        }
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
        self.profileExtension = profileExtension
    }

    init(count: UInt8, body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.SR")
        ssrc = try r.u32()
        ntpTimestamp = try r.u64()
        rtpTimestamp = try r.u32()
        packetCount = try r.u32()
        octetCount = try r.u32()
        reports = try RTCPReceptionReport.readList(count: count, from: &r)
        profileExtension = r.rest()
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { 28 + RTCPReceptionReport.encodedSize * reports.count + profileExtension.count }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: UInt8(truncatingIfNeeded: reports.count), type: .senderReport,
                               bodyLength: encodedSize - 4)
        writer.writeUInt32(ssrc)
        writer.writeUInt64(ntpTimestamp)
        writer.writeUInt32(rtpTimestamp)
        writer.writeUInt32(packetCount)
        writer.writeUInt32(octetCount)
        for report in reports { report.encode(into: &writer) }
        writer.writeBytes(profileExtension)
    }
}

import RingletCore

/// An RTCP receiver report, RR (RFC 3550 §6.4.2): the reporter's SSRC and up to 31 reception report blocks,
/// followed by any profile-specific extension (kept raw).
///
/// ```
/// |V=2|P|    RC   |   PT=RR=201   |             length            |
/// |                     SSRC of packet sender                     |
/// |                 report blocks (24 bytes each) ...             |
/// |                  profile-specific extensions                  |
/// ```
public struct RTCPReceiverReport: Hashable, Sendable {
    /// The reporter's SSRC.
    public let ssrc: UInt32
    /// Reception report blocks (at most 31).
    public let reports: [RTCPReceptionReport]
    /// Profile-specific extension bytes after the blocks (a whole number of words), kept raw.
    public let profileExtension: ArraySlice<UInt8>

    /// Makes a receiver report.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` with more than 31 reports; `.badLength` when the extension is not a
    ///   whole number of words.
    public init(ssrc: UInt32, reports: [RTCPReceptionReport] = [],
                profileExtension: ArraySlice<UInt8> = []) throws(RTPError) {
        guard reports.count <= 31 else {
            throw RTPError(.invalidValue, field: "RTCP.RR.reports", "\(reports.count) report blocks, at most 31")
        }
        guard profileExtension.count % 4 == 0 else {
            throw RTPError(.badLength, field: "RTCP.RR.extension", "extension is not a whole number of words")
        }
        self.ssrc = ssrc
        self.reports = reports
        self.profileExtension = profileExtension
    }

    init(count: UInt8, body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.RR")
        ssrc = try r.u32()
        reports = try RTCPReceptionReport.readList(count: count, from: &r)
        profileExtension = r.rest()
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { 8 + RTCPReceptionReport.encodedSize * reports.count + profileExtension.count }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: UInt8(truncatingIfNeeded: reports.count), type: .receiverReport,
                               bodyLength: encodedSize - 4)
        writer.writeUInt32(ssrc)
        for report in reports { report.encode(into: &writer) }
        writer.writeBytes(profileExtension)
    }
}

import RingletCore

/// A PSFB picture loss indication, PLI (RFC 4585 §6.3.1): the receiver lost picture data and asks for a
/// refresh (for video, a key frame). It has no FCI.
///
/// ```
/// |V=2|P|  FMT=1  |   PT=206      |          length=2             |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source                         |
/// ```
public struct RTCPPictureLossIndication: Hashable, Sendable {
    /// The SSRC of the packet's sender.
    public let senderSSRC: UInt32
    /// The SSRC of the media source that should send a key frame.
    public let mediaSSRC: UInt32

    /// Makes a PLI.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    init(body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.PLI")
        senderSSRC = try r.u32()
        mediaSSRC = try r.u32()
        try r.expectEnd()
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { 12 }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: RTCPFeedbackFormat.pictureLossIndication.rawValue,
                               type: .payloadSpecificFeedback, bodyLength: 8)
        writer.writeUInt32(senderSSRC)
        writer.writeUInt32(mediaSSRC)
    }
}

import RingletCore

/// An RTCP goodbye, BYE (RFC 3550 §6.6): up to 31 sources leaving, with an optional reason.
///
/// ```
/// |V=2|P|    SC   |   PT=BYE=203  |             length            |
/// |                           SSRC/CSRC                           |
/// |                              ...                              |
/// |     length    |               reason for leaving            ...  (opt, null-padded to a word)
/// ```
public struct RTCPGoodbye: Hashable, Sendable {
    /// The sources leaving (at most 31).
    public let sources: [UInt32]
    /// The reason for leaving (UTF-8, at most 255 bytes), when given.
    public let reason: ArraySlice<UInt8>?

    /// Makes a BYE packet.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` with more than 31 sources or a reason over 255 bytes.
    public init(sources: [UInt32], reason: String? = nil) throws(RTPError) {
        guard sources.count <= 31 else {
            throw RTPError(.invalidValue, field: "RTCP.BYE.sources", "\(sources.count) sources, at most 31")
        }
        let bytes = reason.map { Array($0.utf8)[...] }
        guard (bytes?.count ?? 0) <= 255 else {
            throw RTPError(.invalidValue, field: "RTCP.BYE.reason", "reason exceeds 255 bytes")
        }
        self.sources = sources
        self.reason = bytes
    }

    /// The reason decoded as UTF-8 (invalid sequences replaced).
    public var reasonText: String? { reason.map { String(decoding: $0, as: UTF8.self) } }

    init(count: UInt8, body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.BYE")
        var list = [UInt32]()
        list.reserveCapacity(Int(count))
        for _ in 0..<count { list.append(try r.u32()) }
        sources = list
        if r.isAtEnd {
            reason = nil
        } else if body.count % 4 != 0 {
            throw RTPError(.badLength, field: "RTCP.BYE", offset: r.offset,
                           "a reason must be null-padded to a word, not by RTCP padding")
        } else {
            let length = try r.u8()
            reason = try r.slice(Int(length))
            guard r.remaining < 4 else {
                throw RTPError(.badLength, field: "RTCP.BYE", offset: r.offset,
                               "\(r.remaining) bytes after the reason, more than padding")
            }
        }
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int {
        let reasonSize = reason.map { (1 + $0.count + 3) / 4 * 4 } ?? 0
        return 4 + 4 * sources.count + reasonSize
    }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: UInt8(truncatingIfNeeded: sources.count), type: .goodbye,
                               bodyLength: encodedSize - 4)
        for source in sources { writer.writeUInt32(source) }
        if let reason {
            writer.writeUInt8(UInt8(truncatingIfNeeded: reason.count))
            writer.writeBytes(reason)
            writer.writeRepeating(0, count: (4 - (1 + reason.count) % 4) % 4)
        }
    }
}

import RingletCore

/// Fuzz entry points for RingletTURN (SPI, never reachable from the network).
@_spi(Fuzzing)
public enum TURNFuzz {
    /// Parses `data` as a ChannelData datagram and as the front of a TCP stream; when it parses, checks that
    /// encode → parse gives an equal message, padded and unpadded. Traps only if that round trip is broken.
    public static func channelData(_ data: [UInt8]) {
        _ = ChannelData.looksLikeChannelData(data)
        _ = try? TURNStreamFraming.frameLength(data)
        if let m = try? ChannelData(parsing: data) {
            for padded in [false, true] {
                var w = ByteWriter()
                m.encode(into: &w, padded: padded)
                guard w.count == m.encodedSize(padded: padded) else { fatalError("encodedSize disagrees") }
                guard let again = try? ChannelData(parsing: w.bytes), again == m else {
                    fatalError("ChannelData decode → encode → decode changed the message")
                }
            }
        }
        if let (m, consumed) = (try? ChannelData.parse(stream: data[...])) ?? nil {
            var w = ByteWriter()
            m.encode(into: &w, padded: true)
            guard w.count == consumed, let (again, n) = (try? ChannelData.parse(stream: w.bytes[...])) ?? nil,
                  again == m, n == consumed
            else { fatalError("ChannelData stream round trip changed the message") }
        }
    }
}

// Fuzz entry points for RingletMediaStreams. SPI only: the libFuzzer shims in Fuzz/ call these. See docs/fuzzing.md.

/// libFuzzer entry points for the readers of a device's media input (a file, FIFO or pipe is untrusted bytes).
@_spi(Fuzzing)
public enum MediaStreamsFuzz {
    /// Feeds `data` to an ``OggOpusReader`` in chunks whose sizes come from the first byte, draining after each,
    /// going on after errors; checks that memory stays bounded (at most one page, 65 307 bytes, beyond a
    /// chunk) and that presentation times never go back.
    public static func oggOpus(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let chunk = Int(first) * 7 + 1
        var reader = OggOpusReader(maximumPacketSize: 4096)
        var lastPTS: Int64 = -1
        var i = 1
        var errors = 0
        while i < data.count, errors < 10_000 {
            let end = min(data.count, i + chunk)
            reader.push(data[i..<end])
            i = end
            while true {
                do {
                    guard let p = try reader.nextPacket() else { break }
                    if p.ptsMilliseconds < lastPTS || p.bytes.count > 4096 { fatalError("Ogg Opus reader invariant broken") }
                    lastPTS = p.ptsMilliseconds
                } catch {
                    errors += 1
                    if errors >= 10_000 { break }
                }
            }
            if reader.bufferedBytes > 65_307 + chunk { fatalError("Ogg reader buffers \(reader.bufferedBytes) bytes") }
        }
    }
}

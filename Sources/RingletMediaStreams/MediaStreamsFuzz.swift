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

    /// Feeds `data` to an ``AnnexBStreamReader`` (H.264 when the first byte is even, else H.265) in chunks whose
    /// sizes come from the first byte, with a 64 KiB unit limit; every unit must fit it and hold a start code,
    /// the buffer must stay bounded, and every SPS that comes out is parsed.
    public static func annexB(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let chunk = Int(first) * 13 + 1
        var reader = AnnexBStreamReader(codec: first % 2 == 0 ? .h264 : .h265, maximumAccessUnitSize: 65_536)
        var i = 1
        func drain() {
            var errors = 0
            while errors < 64 {
                do {
                    guard let unit = try reader.nextAccessUnit() else { return }
                    if unit.bytes.count > 65_536 || unit.bytes.prefix(4) != [0, 0, 0, 1] { fatalError("Annex B unit broken") }
                    if let sps = unit.sequenceParameterSet, first % 2 == 0 { _ = try? H264SequenceParameterSet(nal: sps) }
                } catch {
                    errors += 1
                }
            }
        }
        while i < data.count {
            let end = min(data.count, i + chunk)
            reader.push(data[i..<end])
            i = end
            drain()
            if reader.bufferedBytes > 2 * 65_536 + chunk + 65_536 { fatalError("Annex B reader buffers \(reader.bufferedBytes)") }
        }
        reader.finish()
        drain()
    }
}

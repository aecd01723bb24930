/// One packet of an Ogg logical bitstream (RFC 3533 §3): its bytes, and the granule position of the page it
/// completed on when it is the last packet completed there (−1 otherwise, RFC 3533 §6).
public struct OggPacket: Hashable, Sendable {
    /// The packet's bytes.
    public let bytes: [UInt8]
    /// The granule position of its page when this packet is the last one to end on it; −1 otherwise.
    public let granulePosition: Int64
    /// Whether the page it ended on is the stream's last (`EOS`).
    public let endOfStream: Bool
}

/// Reads the packets of the first logical bitstream of an Ogg physical bitstream (RFC 3533), incrementally and
/// sans-IO: ``push(_:)`` bytes as they arrive (a file, a FIFO, a pipe), take packets with ``nextPacket()``.
///
/// Each page is checked: capture pattern `OggS`, version 0, its CRC-32 (polynomial 0x04C11DB7, RFC 3533 §6,
/// computed over the page with the CRC field zeroed). Pages of other logical streams (multiplexed or chained)
/// are skipped; a packet continued from a page that is missing (a page sequence gap) is dropped.
///
/// Memory is bounded: at most one page (≤ 65 307 bytes) beyond what the caller pushed and has not been
/// parsed yet, and one packet under assembly of at most ``maximumPacketSize`` bytes. Push about a page at a time
/// and drain with ``nextPacket()`` before pushing more.
public struct OggPacketReader: Sendable {
    /// The largest packet accepted (bytes). Default 64 KiB.
    public let maximumPacketSize: Int
    private var buffer: [UInt8] = []
    private var head = 0
    /// Stream offset of `buffer[head]`.
    private var consumed: Int64 = 0
    private var serial: UInt32?
    private var lastSequence: UInt32?
    private var partial: [UInt8] = []
    private var partialValid = false
    private var ready: [OggPacket] = []
    private var readyHead = 0
    private var ended = false

    /// A reader whose packets may be at most `maximumPacketSize` bytes.
    public init(maximumPacketSize: Int = 64 << 10) {
        self.maximumPacketSize = max(1, maximumPacketSize)
    }

    /// Whether the followed stream's last page (`EOS`) was read.
    public var isAtEndOfStream: Bool { ended }

    /// Bytes pushed and not parsed yet.
    public var bufferedBytes: Int { buffer.count - head }

    /// Adds bytes of the physical stream.
    public mutating func push(_ bytes: some Sequence<UInt8>) {
        if head > 0, head >= buffer.count / 2 {
            buffer.removeSubrange(0..<head)
            head = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole packet of the followed stream, or nil when more bytes are needed.
    /// - Throws: `invalidContainer` (no capture pattern, version, CRC), `frameTooLarge` (a packet over the limit).
    ///   After a throw the reader is positioned after the bad page; reading on is the caller's choice.
    public mutating func nextPacket() throws(MediaStreamError) -> OggPacket? {
        while readyHead >= ready.count {
            ready.removeAll(keepingCapacity: true)
            readyHead = 0
            guard try readPage() else { return nil }
        }
        defer { readyHead += 1 }
        return ready[readyHead]
    }

    /// At the end of the input: whether a page or packet was cut short.
    public var isTruncated: Bool { bufferedBytes > 0 || (partialValid && !partial.isEmpty) }

    // MARK: Pages

    /// Parses one page if a whole one is buffered; returns false when more bytes are needed.
    private mutating func readPage() throws(MediaStreamError) -> Bool {
        let available = buffer.count - head
        guard available >= 27 else { return false }
        let at = consumed
        guard buffer[head] == 0x4F, buffer[head + 1] == 0x67, buffer[head + 2] == 0x67, buffer[head + 3] == 0x53 else {
            skipToNextCapture()
            throw MediaStreamError(.invalidContainer, offset: at, "no Ogg capture pattern (OggS): not an Ogg stream")
        }
        let version = buffer[head + 4]
        guard version == 0 else {
            advance(4)
            throw MediaStreamError(.invalidContainer, offset: at + 4, "Ogg version \(version) (only 0 exists)")
        }
        let segments = Int(buffer[head + 26])
        guard available >= 27 + segments else { return false }
        var bodySize = 0
        for i in 0..<segments { bodySize += Int(buffer[head + 27 + i]) }
        let pageSize = 27 + segments + bodySize
        guard available >= pageSize else { return false }

        let flags = buffer[head + 5]
        let granule = Int64(bitPattern: littleEndian(at: head + 6, count: 8))
        let pageSerial = UInt32(truncatingIfNeeded: littleEndian(at: head + 14, count: 4))
        let sequence = UInt32(truncatingIfNeeded: littleEndian(at: head + 18, count: 4))
        let crc = UInt32(truncatingIfNeeded: littleEndian(at: head + 22, count: 4))
        guard Self.crc(buffer[head..<(head + pageSize)]) == crc else {
            advance(pageSize)
            throw MediaStreamError(.invalidContainer, offset: at, "Ogg page CRC mismatch (a damaged stream)")
        }
        let pageStart = head
        advance(pageSize)
        if serial == nil {
            guard flags & 0x02 != 0 else { return true }  // not a stream's first page: wait for one
            serial = pageSerial
        }
        guard pageSerial == serial, !ended else { return true }
        let continued = flags & 0x01 != 0
        if let last = lastSequence, sequence != last &+ 1 {
            partialValid = false  // a page is missing: what it continued is lost
        }
        lastSequence = sequence
        if !continued {
            partial.removeAll(keepingCapacity: true)
            partialValid = true
        }
        var offset = pageStart + 27 + segments
        var lastCompleted: Int?
        for i in 0..<segments {
            let lacing = Int(buffer[pageStart + 27 + i])
            if partialValid {
                guard partial.count + lacing <= maximumPacketSize else {
                    partial.removeAll()
                    partialValid = false
                    throw MediaStreamError(.frameTooLarge, offset: at,
                                           "an Ogg packet over \(maximumPacketSize) bytes")
                }
                partial.append(contentsOf: buffer[offset..<(offset + lacing)])
            }
            offset += lacing
            if lacing < 255 {
                if partialValid {
                    ready.append(OggPacket(bytes: partial, granulePosition: -1, endOfStream: false))
                    lastCompleted = ready.count - 1
                }
                partial.removeAll(keepingCapacity: true)
                partialValid = true
            }
        }
        let eos = flags & 0x04 != 0
        if let i = lastCompleted {
            ready[i] = OggPacket(bytes: ready[i].bytes, granulePosition: granule, endOfStream: eos)
        }
        if eos { ended = true }
        return true
    }

    private mutating func advance(_ count: Int) {
        head += count
        consumed += Int64(count)
    }

    /// Skips to the next `OggS` after the current position (or keeps the last 3 bytes when there is none yet).
    private mutating func skipToNextCapture() {
        var i = head + 1
        while i + 3 < buffer.count {
            if buffer[i] == 0x4F, buffer[i + 1] == 0x67, buffer[i + 2] == 0x67, buffer[i + 3] == 0x53 { break }
            i += 1
        }
        advance(min(i, max(head + 1, buffer.count - 3)) - head)
    }

    private func littleEndian(at index: Int, count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<count).reversed() { v = v << 8 | UInt64(buffer[index + i]) }
        return v
    }

    /// The page CRC of RFC 3533 §6: CRC-32, polynomial 0x04C11DB7, initial 0, not reflected, no final XOR, over
    /// the page with its CRC field (bytes 22–25) taken as zero.
    static func crc(_ page: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0
        var i = 0
        for byte in page {
            let b: UInt8 = (i >= 22 && i < 26) ? 0 : byte
            c = (c << 8) ^ crcTable[Int((c >> 24) ^ UInt32(b))]
            i += 1
        }
        return c
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var r = UInt32(n) << 24
        for _ in 0..<8 { r = r & 0x8000_0000 != 0 ? (r << 1) ^ 0x04C1_1DB7 : r << 1 }
        return r
    }
}

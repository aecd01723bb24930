import RingletCore

/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): an
/// RTPFB message (FMT 15) telling the sender when each packet, by transport-wide sequence number, arrived.
///
/// ```
/// |V=2|P|  FMT=15 |    PT=205     |           length              |
/// |                     SSRC of packet sender                     |
/// |                      SSRC of media source                     |
/// |      base sequence number     |      packet status count      |
/// |                 reference time                | fb pkt. count |
/// |          packet chunk         |         packet chunk          |
/// .                                                               .
/// |         packet chunk          |  recv delta   |  recv delta   |
/// .                                                               .
/// |           recv delta          |  recv delta   | zero padding  |
/// ```
/// Chunks and deltas are kept as parsed, so the packet re-encodes byte for byte; ``packetResults()`` decodes them.
/// Reference time is in multiples of 64 ms; receive deltas are in multiples of 250 µs.
public struct RTCPTransportWideFeedback: Hashable, Sendable {
    /// A packet's status symbol (§3.1.1).
    public struct Status: RawRepresentable, Hashable, Sendable {
        /// The 2-bit symbol.
        public let rawValue: UInt8
        /// Makes a status from its symbol.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// 00: packet not received.
        public static let notReceived = Status(rawValue: 0)
        /// 01: received, with a small delta (one byte, 0–255 × 250 µs).
        public static let receivedSmallDelta = Status(rawValue: 1)
        /// 10: received, with a large or negative delta (two bytes, signed).
        public static let receivedLargeDelta = Status(rawValue: 2)

        /// Bytes of receive delta this status carries (0, 1 or 2).
        var deltaSize: Int { Int(rawValue) }
    }

    /// A 16-bit packet status chunk (§3.1.3, §3.1.4), kept as its raw value.
    public struct PacketStatusChunk: RawRepresentable, Hashable, Sendable {
        /// The chunk's 16 bits.
        public let rawValue: UInt16
        /// Makes a chunk from its bits.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// A run length chunk: `length` (0–8191) packets with the same status.
        public static func runLength(_ status: Status, length: Int) -> PacketStatusChunk {
            PacketStatusChunk(rawValue: UInt16(status.rawValue & 3) << 13 | UInt16(clamping: length) & 0x1FFF)
        }

        /// A status vector chunk of 14 one-bit symbols (not received / small delta); missing ones are 0.
        public static func oneBitVector(_ statuses: some Collection<Status>) -> PacketStatusChunk {
            var bits: UInt16 = 0x8000
            for (k, s) in statuses.prefix(14).enumerated() { bits |= UInt16(s.rawValue & 1) << (13 - k) }
            return PacketStatusChunk(rawValue: bits)
        }

        /// A status vector chunk of 7 two-bit symbols; missing ones are 0.
        public static func twoBitVector(_ statuses: some Collection<Status>) -> PacketStatusChunk {
            var bits: UInt16 = 0xC000
            for (k, s) in statuses.prefix(7).enumerated() { bits |= UInt16(s.rawValue & 3) << (12 - 2 * k) }
            return PacketStatusChunk(rawValue: bits)
        }

        /// Whether this is a run length chunk (T = 0).
        public var isRunLength: Bool { rawValue & 0x8000 == 0 }

        /// Packets this chunk describes: the run length, or 14 or 7 for a status vector.
        public var symbolCount: Int {
            if isRunLength { return Int(rawValue & 0x1FFF) }
            return rawValue & 0x4000 == 0 ? 14 : 7
        }

        /// The status of the chunk's `k`th packet (`k` < ``symbolCount``; ``Status/notReceived`` outside a vector).
        public func status(at k: Int) -> Status {
            if isRunLength { return Status(rawValue: UInt8(truncatingIfNeeded: rawValue >> 13) & 3) }
            guard k >= 0, k < symbolCount else { return .notReceived }
            if rawValue & 0x4000 == 0 {
                return Status(rawValue: UInt8(truncatingIfNeeded: rawValue >> (13 - k)) & 1)
            }
            return Status(rawValue: UInt8(truncatingIfNeeded: rawValue >> (12 - 2 * k)) & 3)
        }
    }

    /// What the feedback says of one packet.
    public struct PacketResult: Hashable, Sendable {
        /// The packet's transport-wide sequence number.
        public let sequenceNumber: UInt16
        /// Its status.
        public let status: Status
        /// For a received packet, its receive delta in 250 µs units (from the previous received packet, or from
        /// the reference time for the first); nil when not received.
        public let delta: Int16?
    }

    /// The SSRC of the packet's sender.
    public let senderSSRC: UInt32
    /// The SSRC of the media source (unused by TWCC; usually the first media SSRC or 0).
    public let mediaSSRC: UInt32
    /// Transport-wide sequence number of the first packet described.
    public let baseSequenceNumber: UInt16
    /// Number of packets described.
    public let packetStatusCount: UInt16
    /// Reference time, signed 24 bits, in multiples of 64 ms.
    public let referenceTime: Int32
    /// Feedback packet count, incremented per feedback sent (to detect lost feedback).
    public let feedbackPacketCount: UInt8
    /// The packet status chunks, as parsed or built.
    public let chunks: [PacketStatusChunk]
    /// The receive deltas' bytes (1 per small, 2 per large delta), in packet order.
    public let deltas: ArraySlice<UInt8>
    /// Bytes after the deltas up to the packet's end (zero padding to a 32-bit boundary).
    public let padding: ArraySlice<UInt8>

    init(body: ArraySlice<UInt8>, base: Int) throws(RTPError) {
        var r = RTCPBodyReader(body, base: base, field: "RTCP.TWCC")
        senderSSRC = try r.u32()
        mediaSSRC = try r.u32()
        baseSequenceNumber = try r.u16()
        packetStatusCount = try r.u16()
        let reference = try r.u24()
        referenceTime = Int32(bitPattern: reference << 8) >> 8
        feedbackPacketCount = try r.u8()
        var list = [PacketStatusChunk]()
        list.reserveCapacity(min(r.remaining / 2, Int(packetStatusCount)))
        var covered = 0
        var deltaBytes = 0
        let total = Int(packetStatusCount)
        while covered < total {
            let chunkOffset = r.offset
            let chunk = PacketStatusChunk(rawValue: try r.u16())
            let n = min(chunk.symbolCount, total - covered)
            if chunk.isRunLength {
                let s = chunk.status(at: 0)
                guard s.rawValue != 3 else {
                    throw RTPError(.invalidValue, field: "RTCP.TWCC.chunk", offset: chunkOffset, "reserved status 11")
                }
                deltaBytes += n * s.deltaSize
            } else if chunk.rawValue & 0x4000 == 0 {
                // One-bit symbols: each set bit among the first n is a small delta.
                let used = (chunk.rawValue & 0x3FFF) >> (14 - n)
                deltaBytes += used.nonzeroBitCount
            } else {
                // Two-bit symbols: high bits mark large deltas, low bits small ones; both set is reserved.
                let used = (chunk.rawValue & 0x3FFF) >> (14 - 2 * n)
                let high = (used >> 1) & 0x1555
                let low = used & 0x1555
                guard high & low == 0 else {
                    throw RTPError(.invalidValue, field: "RTCP.TWCC.chunk", offset: chunkOffset, "reserved status 11")
                }
                deltaBytes += 2 * high.nonzeroBitCount + low.nonzeroBitCount
            }
            covered += n
            list.append(chunk)
        }
        chunks = list
        deltas = try r.slice(deltaBytes)
        padding = r.rest()
    }

    /// Makes a feedback packet from per-packet receive deltas.
    ///
    /// - Parameters:
    ///   - referenceTime: signed 24-bit reference time, in multiples of 64 ms.
    ///   - deltas: one entry per packet from `baseSequenceNumber`: nil when not received, else its receive delta
    ///     in 250 µs units (0–255 is sent small, anything else large).
    /// - Throws: ``RTPError`` `.invalidValue` when the reference time exceeds 24 signed bits or there are more
    ///   than 65 535 packets.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, referenceTime: Int32,
                feedbackPacketCount: UInt8, deltas: [Int16?]) throws(RTPError) {
        guard (-0x80_0000...0x7F_FFFF).contains(referenceTime) else {
            throw RTPError(.invalidValue, field: "RTCP.TWCC.referenceTime", "\(referenceTime) exceeds 24 signed bits")
        }
        guard deltas.count <= Int(UInt16.max) else {
            throw RTPError(.invalidValue, field: "RTCP.TWCC.packetStatusCount", "\(deltas.count) packets, at most 65535")
        }
        var statuses = [Status]()
        statuses.reserveCapacity(deltas.count)
        var deltaBytes = [UInt8]()
        for d in deltas {
            guard let d else {
                statuses.append(.notReceived)
                continue
            }
            if (0...255).contains(d) {
                statuses.append(.receivedSmallDelta)
                deltaBytes.append(UInt8(d))
            } else {
                statuses.append(.receivedLargeDelta)
                deltaBytes.append(UInt8(truncatingIfNeeded: UInt16(bitPattern: d) >> 8))
                deltaBytes.append(UInt8(truncatingIfNeeded: UInt16(bitPattern: d)))
            }
        }
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.packetStatusCount = UInt16(deltas.count)
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        let built = Self.chunks(for: statuses)
        self.chunks = built
        self.deltas = deltaBytes[...]
        let unpadded = 20 + 2 * built.count + deltaBytes.count
        self.padding = [UInt8](repeating: 0, count: (4 - unpadded % 4) % 4)[...]
    }

    /// Makes a feedback packet from arrival instants: `arrivals[i]` is when packet `baseSequenceNumber + i`
    /// arrived, or nil if it did not. The reference time is the first arrival rounded down to 64 ms; each delta
    /// is measured in 250 µs ticks from the previous arrival, so rounding errors do not accumulate.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` when a delta does not fit 16 signed bits (split the feedback), or
    ///   for the reasons of the other initializer.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, feedbackPacketCount: UInt8,
                arrivals: [Instant?]) throws(RTPError) {
        func ticks(_ instant: Instant) -> Int64 { floorDiv(instant.nanoseconds, 250_000) }
        let first = arrivals.lazy.compactMap { $0 }.first ?? .zero
        let reference = floorDiv(first.nanoseconds, 64_000_000)
        var previous = reference &* 256
        var deltas = [Int16?]()
        deltas.reserveCapacity(arrivals.count)
        for arrival in arrivals {
            guard let arrival else {
                deltas.append(nil)
                continue
            }
            let t = ticks(arrival)
            let d = t &- previous
            guard let small = Int16(exactly: d) else {
                throw RTPError(.invalidValue, field: "RTCP.TWCC.delta", "delta of \(d) × 250 µs exceeds 16 bits")
            }
            deltas.append(small)
            previous = t
        }
        let wrapped = Int32(truncatingIfNeeded: (reference << 40) >> 40)
        try self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: baseSequenceNumber,
                      referenceTime: wrapped, feedbackPacketCount: feedbackPacketCount, deltas: deltas)
    }

    /// Decodes every packet's sequence number, status and receive delta, in order.
    public func packetResults() -> [PacketResult] {
        var out = [PacketResult]()
        out.reserveCapacity(Int(packetStatusCount))
        var seq = baseSequenceNumber
        var d = deltas.startIndex
        let total = Int(packetStatusCount)
        for chunk in chunks {
            let n = min(chunk.symbolCount, total - out.count)
            for k in 0..<n {
                let s = chunk.status(at: k)
                var delta: Int16?
                if s == .receivedSmallDelta, d < deltas.endIndex {
                    delta = Int16(deltas[d])
                    d += 1
                } else if s == .receivedLargeDelta, deltas.endIndex - d >= 2 {
                    delta = Int16(bitPattern: UInt16(deltas[d]) << 8 | UInt16(deltas[d + 1]))
                    d += 2
                }
                out.append(PacketResult(sequenceNumber: seq, status: s, delta: delta))
                seq &+= 1
            }
        }
        return out
    }

    /// Bytes this packet takes on the wire.
    public var encodedSize: Int { 20 + 2 * chunks.count + deltas.count + padding.count }

    /// Appends the packet to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRTCPHeader(count: RTCPFeedbackFormat.transportWideCC.rawValue, type: .transportFeedback,
                               bodyLength: encodedSize - 4)
        writer.writeUInt32(senderSSRC)
        writer.writeUInt32(mediaSSRC)
        writer.writeUInt16(baseSequenceNumber)
        writer.writeUInt16(packetStatusCount)
        writer.writeUInt24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF)
        writer.writeUInt8(feedbackPacketCount)
        for chunk in chunks { writer.writeUInt16(chunk.rawValue) }
        writer.writeBytes(deltas)
        writer.writeBytes(padding)
    }

    /// Encodes statuses as chunks: runs of 14 or more (or a final run) as run length chunks, else one-bit vectors
    /// when the next 14 have no large delta, else runs of 7 or more, else two-bit vectors.
    static func chunks(for statuses: [Status]) -> [PacketStatusChunk] {
        var out = [PacketStatusChunk]()
        var i = 0
        let n = statuses.count
        while i < n {
            let s = statuses[i]
            var run = 1
            while i + run < n, run < 0x1FFF, statuses[i + run] == s { run += 1 }
            let remaining = n - i
            if run >= 14 || run == remaining {
                out.append(.runLength(s, length: run))
                i += run
                continue
            }
            let window1 = min(14, remaining)
            if statuses[i..<(i + window1)].allSatisfy({ $0.rawValue <= 1 }) {
                out.append(.oneBitVector(statuses[i..<(i + window1)]))
                i += window1
            } else if run >= 7 {
                out.append(.runLength(s, length: run))
                i += run
            } else {
                let window2 = min(7, remaining)
                out.append(.twoBitVector(statuses[i..<(i + window2)]))
                i += window2
            }
        }
        return out
    }
}

/// Division rounding toward negative infinity.
private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

import RingletCore
import RingletRTP

/// A video codec whose byte stream is Annex B.
public enum AnnexBCodec: String, Sendable, Hashable, CaseIterable {
    /// H.264 (ITU-T H.264 Annex B).
    case h264
    /// H.265 (ITU-T H.265 Annex B).
    case h265
}

/// One access unit (a picture) of an Annex B stream.
public struct AccessUnit: Sendable, Hashable {
    /// Its NAL units with 4-byte start codes.
    public let bytes: [UInt8]
    /// Whether it is a keyframe: an IDR (H.264 type 5) or an IRAP picture (H.265 types 16–23).
    public let isKeyframe: Bool
    /// Its sequence parameter set, without start code, when it carries one.
    public let sequenceParameterSet: [UInt8]?
}

/// Splits an H.264 or H.265 Annex B byte stream into access units, incrementally and sans-IO: ``push(_:)`` bytes
/// as they arrive (an encoder, a file, a FIFO, a pipe), take units with ``nextAccessUnit()``, ``finish()`` at the
/// end of the input.
///
/// A new access unit starts (ITU-T H.264 §7.4.1.2.3, H.265 §7.4.2.4.4, as far as a sender needs) at an access
/// unit delimiter, a parameter set or an SEI (H.265: a prefix SEI), or at the first slice of a picture
/// (`first_mb_in_slice` 0, `first_slice_segment_in_pic_flag` 1) — once the unit being built holds a slice.
///
/// Memory is bounded by ``maximumAccessUnitSize``: a unit (or a run of bytes without a start code) beyond it is
/// refused (`frameTooLarge`) and skipped up to the next start code.
public struct AnnexBStreamReader: Sendable {
    /// The codec of the stream.
    public let codec: AnnexBCodec
    /// The largest access unit accepted (bytes). Default 4 MiB.
    public let maximumAccessUnitSize: Int
    private var buffer: [UInt8] = []
    /// Where the current NAL unit's payload starts in `buffer` (after its start code), nil before the first.
    private var nalStart: Int?
    /// Where to go on looking for the next start code.
    private var scan = 0
    /// Stream offset of `buffer[0]`.
    private var consumed: Int64 = 0
    private var unit: [ArraySlice<UInt8>] = []
    private var unitBytes = 0
    private var unitHasSlice = false
    private var unitKeyframe = false
    private var unitSPS: [UInt8]?
    private var skippingUnit = false
    private var ready: [AccessUnit] = []
    private var errors: [MediaStreamError] = []

    /// A reader of a `codec` stream.
    public init(codec: AnnexBCodec, maximumAccessUnitSize: Int = 4 << 20) {
        self.codec = codec
        self.maximumAccessUnitSize = max(64, maximumAccessUnitSize)
    }

    /// Bytes pushed and not yet part of a returned unit.
    public var bufferedBytes: Int { buffer.count + unitBytes }

    /// Adds bytes of the stream.
    public mutating func push(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        split(final: false)
    }

    /// The input ended: the last NAL unit and access unit are complete.
    public mutating func finish() {
        split(final: true)
        closeUnit()
    }

    /// The next whole access unit, or nil when more bytes are needed.
    /// - Throws: `frameTooLarge` for a unit over the limit (skipped; reading goes on), `invalidContainer` for
    ///   bytes that are not an Annex B stream (no start code in the first 64 KiB).
    public mutating func nextAccessUnit() throws(MediaStreamError) -> AccessUnit? {
        if !errors.isEmpty { throw errors.removeFirst() }
        guard !ready.isEmpty else { return nil }
        return ready.removeFirst()
    }

    // MARK: Splitting

    private mutating func split(final: Bool) {
        while true {
            guard let (codeStart, payload) = nextStartCode(from: scan) else {
                scan = max(nalStart ?? 0, buffer.count - 3)
                if nalStart == nil, buffer.count > 65_536 {
                    fail(.invalidContainer, "no Annex B start code (00 00 01) in 64 KiB: not an H.264/H.265 byte stream")
                    drop(upTo: buffer.count - 3)
                } else if let start = nalStart, buffer.count - start > maximumAccessUnitSize {
                    fail(.frameTooLarge, "a NAL unit over \(maximumAccessUnitSize) bytes")
                    skippingUnit = true
                    nalStart = nil
                    drop(upTo: buffer.count - 3)
                }
                break
            }
            if let start = nalStart {
                var end = codeStart
                while end > start && buffer[end - 1] == 0 { end -= 1 }  // trailing_zero_8bits
                if end > start { take(nal: Array(buffer[start..<end])) }
            }
            nalStart = payload
            scan = payload
            // Keep the buffer small: what precedes the current NAL unit is done.
            if payload > 65_536 { drop(upTo: payload) }
        }
        if final, let start = nalStart, start < buffer.count {
            var end = buffer.count
            while end > start && buffer[end - 1] == 0 { end -= 1 }
            if end > start { take(nal: Array(buffer[start..<end])) }
            nalStart = nil
            drop(upTo: buffer.count)
        }
    }

    private mutating func drop(upTo index: Int) {
        let n = max(0, min(index, buffer.count))
        buffer.removeFirst(n)
        consumed += Int64(n)
        if let s = nalStart { nalStart = s - n >= 0 ? s - n : nil }
        scan = max(0, scan - n)
    }

    private func nextStartCode(from: Int) -> (Int, Int)? {
        AnnexB.nextStartCode(buffer[...], from: max(0, from)).map { ($0.codeStart, $0.payloadStart) }
    }

    // MARK: Access units

    private mutating func take(nal: [UInt8]) {
        guard let kind = NALKind(nal, codec: codec) else { return }
        let boundary = kind.startsUnit || (kind.isSlice && kind.firstSliceOfPicture)
        if boundary && (unitHasSlice || skippingUnit) { closeUnit() }
        if skippingUnit { return }
        guard unitBytes + nal.count + 4 <= maximumAccessUnitSize else {
            fail(.frameTooLarge, "an access unit over \(maximumAccessUnitSize) bytes")
            skippingUnit = true
            return
        }
        unit.append(nal[...])
        unitBytes += nal.count + 4
        if kind.isSlice { unitHasSlice = true }
        if kind.isKeyframe { unitKeyframe = true }
        if kind.isSPS { unitSPS = nal }
    }

    private mutating func closeUnit() {
        defer {
            unit = []
            unitBytes = 0
            unitHasSlice = false
            unitKeyframe = false
            unitSPS = nil
            skippingUnit = false
        }
        guard !skippingUnit, unitHasSlice else { return }
        var w = ByteWriter()
        AnnexB.write(unit, into: &w)
        ready.append(AccessUnit(bytes: w.bytes, isKeyframe: unitKeyframe, sequenceParameterSet: unitSPS))
    }

    private mutating func fail(_ code: MediaStreamError.Code, _ message: String) {
        if errors.count < 16 { errors.append(MediaStreamError(code, offset: consumed, message)) }
    }
}

/// What a NAL unit's header says, for access unit splitting.
struct NALKind {
    var isSlice = false
    var firstSliceOfPicture = false
    var isKeyframe = false
    var startsUnit = false
    var isSPS = false

    init?(_ nal: [UInt8], codec: AnnexBCodec) {
        guard let b0 = nal.first, b0 & 0x80 == 0 else { return nil }
        switch codec {
        case .h264:
            let type = b0 & 0x1F
            switch type {
            case 1...5:
                isSlice = true
                // first_mb_in_slice ue(v) is 0 exactly when its first bit is 1.
                firstSliceOfPicture = nal.count > 1 && nal[1] & 0x80 != 0
                isKeyframe = type == 5
            case 6, 7, 8, 9, 14...18:
                startsUnit = true
                isSPS = type == 7
            default:
                break
            }
        case .h265:
            guard nal.count >= 2 else { return nil }
            let type = (b0 >> 1) & 0x3F
            switch type {
            case 0...31:
                isSlice = true
                firstSliceOfPicture = nal.count > 2 && nal[2] & 0x80 != 0
                isKeyframe = type >= 16 && type <= 23
            case 32, 33, 34, 35, 39, 41...44, 48...55:
                startsUnit = true
                isSPS = type == 33
            default:
                break
            }
        }
    }
}

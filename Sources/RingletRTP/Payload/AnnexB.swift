import RingletCore

/// The H.264/H.265 Annex B byte stream format (ITU-T H.264 Annex B, H.265 Annex B): NAL units separated by start
/// codes `00 00 01` or `00 00 00 01`.
public enum AnnexB {
    /// Splits an Annex B access unit into its NAL units (without start codes or trailing zero bytes).
    ///
    /// Leading zero bytes are allowed before the first start code; anything else there is refused. Empty NAL units
    /// (two start codes in a row) are skipped.
    /// - Throws: `PayloadFormatError` `.invalidAnnexB` when there is no start code or non-zero bytes precede it.
    public static func split(_ bytes: ArraySlice<UInt8>) throws(PayloadFormatError) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        try split(bytes, into: &out)
        return out
    }

    /// Splits an Annex B access unit into `out` (which is emptied first), reusing its storage.
    /// - Throws: `PayloadFormatError` `.invalidAnnexB`, as `split(_:)`.
    public static func split(_ bytes: ArraySlice<UInt8>, into out: inout [ArraySlice<UInt8>]) throws(PayloadFormatError) {
        out.removeAll(keepingCapacity: true)
        let start = bytes.startIndex, end = bytes.endIndex
        guard let first = nextStartCode(bytes, from: start) else {
            throw PayloadFormatError(.invalidAnnexB, field: "start code", offset: 0, "no start code in \(bytes.count) bytes")
        }
        var i = start
        while i < first.codeStart {
            guard bytes[i] == 0 else {
                throw PayloadFormatError(.invalidAnnexB, field: "leading bytes", offset: i - start,
                                         "non-zero byte before the first start code")
            }
            i += 1
        }
        var nalStart = first.payloadStart
        while nalStart < end {
            let next = nextStartCode(bytes, from: nalStart)
            var nalEnd = next?.codeStart ?? end
            while nalEnd > nalStart && bytes[nalEnd - 1] == 0 { nalEnd -= 1 }
            if nalEnd > nalStart { out.append(bytes[nalStart..<nalEnd]) }
            guard let next else { break }
            nalStart = next.payloadStart
        }
    }

    /// Finds the next `00 00 01` at or after `from`: where it begins and where the NAL unit after it begins.
    @inline(__always)
    package static func nextStartCode(_ b: ArraySlice<UInt8>, from: Int) -> (codeStart: Int, payloadStart: Int)? {
        var i = from
        let end = b.endIndex
        while i + 2 < end {
            let c = b[i + 2]
            if c > 1 {
                i += 3
            } else if c == 1 {
                if b[i] == 0 && b[i + 1] == 0 { return (i, i + 3) }
                i += 3
            } else {
                i += 1
            }
        }
        return nil
    }

    /// Writes NAL units as an Annex B stream with 4-byte start codes.
    public static func write(_ nalUnits: [ArraySlice<UInt8>], into writer: inout ByteWriter) {
        for nal in nalUnits {
            writer.writeUInt32(1)
            writer.writeBytes(nal)
        }
    }
}

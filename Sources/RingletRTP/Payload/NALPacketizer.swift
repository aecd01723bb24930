import RingletCore

/// The packetizer shared by H.264 (RFC 6184, packetization-mode 1) and H.265 (RFC 7798, no DONL): single NAL unit
/// packets, aggregation of small NAL units (STAP-A / AP), fragmentation of large ones (FU-A / FU), parameter sets
/// cached and repeated before keyframes that lack them, marker on the last packet of the access unit.
struct NALPacketizer: Sendable {
    let format: NALFormat
    let maxPayloadSize: Int
    /// Latest parameter set seen per slot (SPS, PPS; or VPS, SPS, PPS).
    private(set) var parameterSets: [[UInt8]?]
    private var units: [ArraySlice<UInt8>] = []
    private var group: [ArraySlice<UInt8>] = []
    private var pending: [UInt8]?

    init(format: NALFormat, configuration: VideoPacketizerConfiguration) {
        self.format = format
        self.maxPayloadSize = configuration.maxPayloadSize
        self.parameterSets = Array(repeating: nil, count: format.parameterSetCount)
    }

    /// Packetizes one access unit given as NAL units; appends its packets to `out`. Validates every NAL unit
    /// before emitting anything, so a refused access unit adds no packets.
    mutating func packetize(nalUnits: [ArraySlice<UInt8>], into out: inout [PayloadPacket]) throws(PayloadFormatError) {
        let hs = format.headerSize
        var present = Array(repeating: false, count: format.parameterSetCount)
        var firstVCL: Int?
        var keyframe = false
        for (i, nal) in nalUnits.enumerated() {
            guard nal.count >= hs else {
                throw PayloadFormatError(.truncated, field: "NAL unit header", offset: i,
                                         "NAL unit \(i) has \(nal.count) bytes, fewer than its \(hs)-byte header")
            }
            let type = format.type(nal[nal.startIndex])
            guard format.isCarriable(type) else {
                throw PayloadFormatError(.invalidNALUnitType, field: "nal_unit_type", offset: i,
                                         "\(format.name) NAL unit \(i) has type \(type), which RTP cannot carry")
            }
            if let slot = format.parameterSetSlot(type) { present[slot] = true }
            if format.isVCL(type) {
                if firstVCL == nil { firstVCL = i }
                if format.isKeyframe(type) { keyframe = true }
            }
        }
        guard !nalUnits.isEmpty else {
            throw PayloadFormatError(.invalidAnnexB, field: "access unit", "no NAL units")
        }
        for nal in nalUnits {
            if let slot = format.parameterSetSlot(format.type(nal[nal.startIndex])) { parameterSets[slot] = Array(nal) }
        }
        units.removeAll(keepingCapacity: true)
        for (i, nal) in nalUnits.enumerated() {
            if keyframe, i == firstVCL {
                for slot in 0..<present.count where !present[slot] {
                    if let ps = parameterSets[slot] { units.append(ps[...]) }
                }
            }
            units.append(nal)
        }
        emitAll(into: &out)
    }

    private mutating func emitAll(into out: inout [PayloadPacket]) {
        let mtu = maxPayloadSize
        let aggHeader = format.headerSize
        group.removeAll(keepingCapacity: true)
        var groupSize = aggHeader
        for nal in units {
            if nal.count > mtu {
                flushGroup(into: &out)
                groupSize = aggHeader
                fragment(nal, into: &out)
                continue
            }
            if !group.isEmpty && groupSize + 2 + nal.count > mtu {
                flushGroup(into: &out)
                groupSize = aggHeader
            }
            group.append(nal)
            groupSize += 2 + nal.count
        }
        flushGroup(into: &out)
        if let last = pending {
            out.append(PayloadPacket(payload: last, marker: true))
            pending = nil
        }
    }

    private mutating func emit(_ payload: [UInt8], into out: inout [PayloadPacket]) {
        if let previous = pending { out.append(PayloadPacket(payload: previous, marker: false)) }
        pending = payload
    }

    private mutating func flushGroup(into out: inout [PayloadPacket]) {
        defer { group.removeAll(keepingCapacity: true) }
        if group.count == 1 {
            emit(Array(group[0]), into: &out)
            return
        }
        guard group.count > 1 else { return }
        var size = format.headerSize
        for nal in group { size += 2 + nal.count }
        var p = [UInt8]()
        p.reserveCapacity(size)
        switch format {
        case .h264:
            var f: UInt8 = 0, nri: UInt8 = 0
            for nal in group {
                let h = nal[nal.startIndex]
                f |= h & 0x80
                nri = max(nri, h & 0x60)
            }
            p.append(f | nri | format.aggregationType)
        case .h265:
            var f: UInt8 = 0, layer: UInt8 = 0x3F, tid: UInt8 = 7
            for nal in group {
                let h0 = nal[nal.startIndex], h1 = nal[nal.startIndex + 1]
                f |= h0 & 0x80
                layer = min(layer, (h0 & 1) << 5 | h1 >> 3)
                tid = min(tid, h1 & 7)
            }
            p.append(f | format.aggregationType << 1 | layer >> 5)
            p.append((layer & 0x1F) << 3 | tid)
        }
        for nal in group {
            p.append(UInt8(truncatingIfNeeded: nal.count >> 8))
            p.append(UInt8(truncatingIfNeeded: nal.count))
            p.append(contentsOf: nal)
        }
        emit(p, into: &out)
    }

    /// Splits a NAL unit larger than the payload budget into fragmentation units of nearly equal size.
    private mutating func fragment(_ nal: ArraySlice<UInt8>, into out: inout [PayloadPacket]) {
        let hs = format.headerSize
        let h0 = nal[nal.startIndex]
        let type = format.type(h0)
        let prefix: [UInt8]
        switch format {
        case .h264: prefix = [(h0 & 0xE0) | format.fragmentationType]
        case .h265: prefix = [(h0 & 0x81) | format.fragmentationType << 1, nal[nal.startIndex + 1]]
        }
        let data = nal.dropFirst(hs)
        let budget = maxPayloadSize - hs - 1
        let count = (data.count + budget - 1) / budget
        let chunk = (data.count + count - 1) / count
        var index = data.startIndex
        while index < data.endIndex {
            let end = min(index + chunk, data.endIndex)
            var fuHeader = type
            if index == data.startIndex { fuHeader |= 0x80 }
            if end == data.endIndex { fuHeader |= 0x40 }
            var p = [UInt8]()
            p.reserveCapacity(prefix.count + 1 + end - index)
            p.append(contentsOf: prefix)
            p.append(fuHeader)
            p.append(contentsOf: data[index..<end])
            emit(p, into: &out)
            index = end
        }
    }
}

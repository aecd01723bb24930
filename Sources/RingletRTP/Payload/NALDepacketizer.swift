import RingletCore

/// The depacketizer shared by H.264 (RFC 6184) and H.265 (RFC 7798): reassembles access units from RTP payloads.
///
/// Contract: packets arrive in sequence-number order (a jitter buffer upstream reorders); a packet that is not
/// newer than the last one accepted is refused with `.outOfOrderPacket` and changes nothing. A frame ends at the
/// marker bit (complete) or when the timestamp changes (end inferred). A sequence gap drops the frame in progress
/// and the frame of the packet after the gap, and asks for a keyframe. A malformed packet, or a frame over a limit,
/// throws, drops its frame and asks for a keyframe; the rest of that frame's packets are ignored.
struct NALDepacketizer: Sendable {
    let format: NALFormat
    let maxFrameSize: Int
    let maxNALUnitCount: Int

    private var lastSequence: UInt16?
    /// Timestamp of the frame in progress (being assembled or dropped); nil between frames.
    private var frameTimestamp: UInt32?
    private var dropping = false
    private var buffer: [UInt8] = []
    private var ranges: [Range<Int>] = []
    private var keyframe = false
    /// Start (in `buffer`) of the NAL unit being reassembled from fragments, and its type.
    private var fragmentStart: Int?
    private var fragmentType: UInt8 = 0
    private var outputs = FIFOQueue<VideoDepacketizerOutput>()
    private var capacityHint = 0
    /// Frames dropped so far.
    private(set) var droppedFrames = 0

    init(format: NALFormat, configuration: VideoDepacketizerConfiguration) {
        self.format = format
        self.maxFrameSize = configuration.maxFrameSize
        self.maxNALUnitCount = configuration.maxNALUnitCount
    }

    /// The next output, oldest first; nil when there is none.
    mutating func nextOutput() -> VideoDepacketizerOutput? { outputs.popFirst() }

    mutating func push(payload: ArraySlice<UInt8>, sequenceNumber seq: UInt16, timestamp: UInt32,
                       marker: Bool) throws(PayloadFormatError) {
        var gap = false
        if let last = lastSequence {
            let d = seq &- last
            guard d != 0 && d < 0x8000 else {
                throw PayloadFormatError(.outOfOrderPacket, field: "sequence number",
                                         "sequence number \(seq) is not newer than \(last)")
            }
            gap = d != 1
        }
        lastSequence = seq
        if let current = frameTimestamp, current != timestamp {
            if gap || dropping { dropFrame(requestKeyframe: gap) } else { finishFrame(complete: false) }
        }
        if gap {
            if frameTimestamp == nil {
                droppedFrames += 1
            } else if !dropping {
                dropFrame(requestKeyframe: true)
            }
            requestKeyframe()
            frameTimestamp = timestamp
            dropping = true
        }
        if frameTimestamp == nil {
            frameTimestamp = timestamp
            dropping = false
            resetFrame()
        }
        if dropping {
            if marker { frameTimestamp = nil }
            return
        }
        do throws(PayloadFormatError) {
            try parse(payload)
            if marker {
                if fragmentStart != nil {
                    throw PayloadFormatError(.fragmentInterrupted, field: "marker",
                                             "the frame ended inside a fragmented NAL unit")
                }
                finishFrame(complete: true)
            }
        } catch {
            dropFrame(requestKeyframe: true)
            frameTimestamp = marker ? nil : timestamp
            dropping = !marker
            throw error
        }
    }

    /// Ends the frame in progress, as a timestamp change would.
    mutating func flush() {
        guard frameTimestamp != nil else { return }
        if dropping { dropFrame(requestKeyframe: false) } else { finishFrame(complete: false) }
    }

    // MARK: - Frame state

    private mutating func resetFrame() {
        buffer.removeAll(keepingCapacity: true)
        if buffer.capacity < capacityHint { buffer.reserveCapacity(capacityHint) }
        ranges.removeAll(keepingCapacity: true)
        keyframe = false
        fragmentStart = nil
    }

    private mutating func requestKeyframe() {
        if outputs.last == .keyframeNeeded { return }
        outputs.append(.keyframeNeeded)
    }

    private mutating func dropFrame(requestKeyframe request: Bool) {
        if !dropping { droppedFrames += 1 }
        if request { requestKeyframe() }
        buffer.removeAll(keepingCapacity: true)
        ranges.removeAll(keepingCapacity: true)
        fragmentStart = nil
        frameTimestamp = nil
        dropping = false
    }

    private mutating func finishFrame(complete: Bool) {
        defer { frameTimestamp = nil; dropping = false }
        if fragmentStart != nil {
            dropFrame(requestKeyframe: true)
            return
        }
        guard let ts = frameTimestamp, !ranges.isEmpty else { return }
        capacityHint = min(buffer.count + buffer.count / 4, maxFrameSize)
        outputs.append(.frame(EncodedVideoFrame(annexB: buffer, nalRanges: ranges, timestamp: ts,
                                                isKeyframe: keyframe, isComplete: complete)))
        buffer = []
        ranges = []
        keyframe = false
    }

    // MARK: - Payload parsing

    private mutating func parse(_ payload: ArraySlice<UInt8>) throws(PayloadFormatError) {
        let hs = format.headerSize
        guard !payload.isEmpty else {
            throw PayloadFormatError(.emptyPayload, field: "payload", offset: 0, "empty \(format.name) payload")
        }
        guard payload.count >= hs else {
            throw PayloadFormatError(.truncated, field: "payload header", offset: 0,
                                     "\(payload.count) bytes, fewer than the \(hs)-byte header")
        }
        let type = format.type(payload[payload.startIndex])
        if type == format.fragmentationType {
            try parseFragment(payload)
            return
        }
        if fragmentStart != nil {
            throw PayloadFormatError(.fragmentInterrupted, field: "packet type", offset: 0,
                                     "type \(type) arrived before the fragmented NAL unit ended")
        }
        if type == format.aggregationType {
            try parseAggregate(payload)
        } else if format.isCarriable(type) {
            try append(nal: payload, offset: 0)
        } else {
            throw PayloadFormatError(.unsupportedPacketType, field: "packet type", offset: 0,
                                     "\(format.name) packet type \(type) is not supported")
        }
    }

    private mutating func parseAggregate(_ payload: ArraySlice<UInt8>) throws(PayloadFormatError) {
        var reader = ByteReader(payload)
        do {
            try reader.skip(format.headerSize)
            guard !reader.isAtEnd else {
                throw PayloadFormatError(.truncated, field: "aggregation unit", offset: reader.offset,
                                         "aggregation packet without NAL units")
            }
            while !reader.isAtEnd {
                let at = reader.offset
                let size = Int(try reader.readUInt16())
                let nal = try reader.readSlice(size)
                try append(nal: nal, offset: at + 2)
            }
        } catch let e as ByteReaderError {
            throw PayloadFormatError(.truncated, field: "aggregation unit", offset: e.offset,
                                     "needed \(e.needed) bytes, \(e.available) left")
        } catch let e as PayloadFormatError {
            throw e
        } catch {
            throw PayloadFormatError(.truncated, field: "aggregation unit", "\(error)")
        }
    }

    private mutating func append(nal: ArraySlice<UInt8>, offset: Int) throws(PayloadFormatError) {
        guard nal.count >= format.headerSize else {
            throw PayloadFormatError(.truncated, field: "NAL unit header", offset: offset,
                                     "NAL unit of \(nal.count) bytes")
        }
        let type = format.type(nal[nal.startIndex])
        guard format.isCarriable(type) else {
            throw PayloadFormatError(.invalidNALUnitType, field: "nal_unit_type", offset: offset,
                                     "\(format.name) NAL unit type \(type) inside an aggregation packet")
        }
        try reserve(nalBytes: nal.count, offset: offset)
        appendStartCode()
        let start = buffer.count
        buffer.append(contentsOf: nal)
        ranges.append(start..<buffer.count)
        if format.isKeyframe(type) { keyframe = true }
    }

    @inline(__always)
    private mutating func appendStartCode() {
        buffer.append(0)
        buffer.append(0)
        buffer.append(0)
        buffer.append(1)
    }

    private func reserve(nalBytes: Int, offset: Int) throws(PayloadFormatError) {
        guard ranges.count < maxNALUnitCount else {
            throw PayloadFormatError(.tooManyNALUnits, field: "frame", offset: offset,
                                     "more than \(maxNALUnitCount) NAL units in one frame")
        }
        guard nalBytes <= maxFrameSize - buffer.count - 4 else {
            throw PayloadFormatError(.frameTooLarge, field: "frame", offset: offset,
                                     "frame would exceed \(maxFrameSize) bytes")
        }
    }

    private mutating func parseFragment(_ payload: ArraySlice<UInt8>) throws(PayloadFormatError) {
        let hs = format.headerSize
        guard payload.count > hs else {
            throw PayloadFormatError(.truncated, field: "FU header", offset: hs, "fragmentation unit without its header")
        }
        let fuHeader = payload[payload.startIndex + hs]
        let isStart = fuHeader & 0x80 != 0, isEnd = fuHeader & 0x40 != 0
        let type = format == .h264 ? fuHeader & 0x1F : fuHeader & 0x3F
        let data = payload.dropFirst(hs + 1)
        if isStart && isEnd {
            throw PayloadFormatError(.invalidFragmentHeader, field: "FU header", offset: hs,
                                     "start and end bits both set")
        }
        if isStart {
            if fragmentStart != nil {
                throw PayloadFormatError(.fragmentInterrupted, field: "FU header", offset: hs,
                                         "a new fragmented NAL unit started before the previous one ended")
            }
            guard format.isCarriable(type) else {
                throw PayloadFormatError(.invalidNALUnitType, field: "FU type", offset: hs,
                                         "\(format.name) fragmented NAL unit type \(type)")
            }
            try reserve(nalBytes: hs + data.count, offset: hs + 1)
            appendStartCode()
            fragmentStart = buffer.count
            fragmentType = type
            let h0 = payload[payload.startIndex]
            switch format {
            case .h264: buffer.append((h0 & 0xE0) | type)
            case .h265:
                buffer.append((h0 & 0x81) | type << 1)
                buffer.append(payload[payload.startIndex + 1])
            }
            buffer.append(contentsOf: data)
            if format.isKeyframe(type) { keyframe = true }
            return
        }
        guard let start = fragmentStart else {
            throw PayloadFormatError(.fragmentWithoutStart, field: "FU header", offset: hs,
                                     "fragment of a NAL unit whose start was not received")
        }
        guard type == fragmentType else {
            throw PayloadFormatError(.invalidFragmentHeader, field: "FU type", offset: hs,
                                     "fragment type \(type) differs from the start's \(fragmentType)")
        }
        guard data.count <= maxFrameSize - buffer.count else {
            throw PayloadFormatError(.frameTooLarge, field: "frame", offset: hs + 1,
                                     "frame would exceed \(maxFrameSize) bytes")
        }
        buffer.append(contentsOf: data)
        if isEnd {
            ranges.append(start..<buffer.count)
            fragmentStart = nil
        }
    }
}

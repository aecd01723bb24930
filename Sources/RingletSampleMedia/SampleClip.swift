import CRingletSampleClip
import RingletCore
import RingletRTP

/// A looping H.264 clip as whole access units (Annex B), for the simulated device, the headless phone, the demo
/// and the benchmarks.
public struct SampleClip: Sendable {
    /// One access unit: its Annex B bytes and whether it holds an IDR.
    public struct Frame: Sendable, Hashable {
        /// The Annex B bytes (SPS and PPS precede each IDR).
        public let bytes: [UInt8]
        /// Whether the access unit holds an IDR slice.
        public let isKeyframe: Bool
    }

    /// The frames in order.
    public let frames: [Frame]
    /// The clip's frame rate.
    public let framesPerSecond: Int
    /// Width × height in pixels.
    public let width: Int, height: Int

    /// The bundled clip: 4 s of ffmpeg's test pattern, 640×480 at 15 fps (CRingletSampleClip/PROVENANCE.md), built
    /// into the program.
    public static func bundled() throws -> SampleClip {
        let bytes = [UInt8](UnsafeBufferPointer(start: ringlet_sample_clip_bytes(), count: Int(ringlet_sample_clip_size())))
        return try SampleClip(annexB: bytes, framesPerSecond: 15, width: 640, height: 480)
    }

    /// A clip from an Annex B byte stream (one slice per picture).
    public init(annexB bytes: [UInt8], framesPerSecond: Int, width: Int, height: Int) throws {
        frames = try Self.accessUnits(annexB: bytes)
        guard frames.first?.isKeyframe == true else { throw SampleMediaError("the clip does not start with an IDR") }
        self.framesPerSecond = framesPerSecond
        self.width = width
        self.height = height
    }

    /// Splits an Annex B stream with one slice per picture into access units: a new unit starts at a NAL unit
    /// (SPS, PPS, SEI, AUD or slice) once the current one holds a slice.
    public static func accessUnits(annexB bytes: [UInt8]) throws -> [Frame] {
        let nals = try AnnexB.split(bytes[...])
        var units: [[ArraySlice<UInt8>]] = []
        var current: [ArraySlice<UInt8>] = []
        func isVCL(_ nal: ArraySlice<UInt8>) -> Bool { let t = (nal.first ?? 0) & 0x1F; return t >= 1 && t <= 5 }
        for nal in nals {
            if current.contains(where: isVCL) {
                units.append(current)
                current = []
            }
            current.append(nal)
        }
        if !current.isEmpty { units.append(current) }
        return units.map { nalUnits in
            var w = ByteWriter()
            AnnexB.write(nalUnits, into: &w)
            return Frame(bytes: w.bytes, isKeyframe: nalUnits.contains { ($0.first ?? 0) & 0x1F == 5 })
        }
    }

    /// The frame at position `index` of the endless loop.
    public func frame(at index: Int) -> Frame { frames[index % frames.count] }

    /// The first keyframe at or after `index` in the loop (for a keyframe request).
    public func nextKeyframe(from index: Int) -> Int {
        for step in 0..<frames.count where frames[(index + step) % frames.count].isKeyframe { return index + step }
        return index
    }
}

/// A missing or unusable sample.
public struct SampleMediaError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

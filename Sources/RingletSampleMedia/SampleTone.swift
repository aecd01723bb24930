#if canImport(Glibc)
import Glibc
#endif
import CRingletSampleClip
import RingletMediaStreams
import RingletRTP

/// A 440 Hz tone as 20 ms G.711 frames (8 kHz, 160 samples each): what the simulated device and phone send as
/// audio.
public enum SampleTone {
    /// Samples per 20 ms frame at 8 kHz.
    public static let samplesPerFrame = 160

    /// Frame `index` of the endless tone in µ-law (PCMU).
    public static func muLaw(frame index: Int, hertz: Double = 440) -> [UInt8] {
        samples(frame: index, hertz: hertz).map { G711.muLaw(encode: $0) }
    }

    /// Frame `index` of the endless tone in A-law (PCMA).
    public static func aLaw(frame index: Int, hertz: Double = 440) -> [UInt8] {
        samples(frame: index, hertz: hertz).map { G711.aLaw(encode: $0) }
    }

    /// 20 ms of Opus silence: TOC 0xF8 (CELT fullband 20 ms, mono, one frame) and a 2-byte frame.
    public static let opusSilence: [UInt8] = [0xF8, 0xFF, 0xFE]

    /// The bundled 440 Hz Opus tone (CRingletSampleClip/PROVENANCE.md): 2 s of 20 ms packets, built into the
    /// program.
    public static let opusPackets: [TimedOpusPacket] = {
        let bytes = UnsafeBufferPointer(start: ringlet_sample_tone_opus_bytes(), count: Int(ringlet_sample_tone_opus_size()))
        var reader = OggOpusReader()
        reader.push(bytes)
        var packets: [TimedOpusPacket] = []
        while let p = try? reader.nextPacket() { packets.append(p) }
        return packets
    }()

    /// Frame `index` of the endless Opus tone (the bundled packets in a loop; each lasts 20 ms).
    public static func opus(frame index: Int) -> [UInt8] {
        let packets = opusPackets
        return packets.isEmpty ? opusSilence : packets[index % packets.count].bytes
    }

    static func samples(frame index: Int, hertz: Double) -> [Int16] {
        (0..<samplesPerFrame).map { i in
            let t = Double(index * samplesPerFrame + i) / 8000
            return Int16(8000 * sin(2 * Double.pi * hertz * t))
        }
    }
}

/// When the frames of a looping media source are due: video every 1/fps, audio every 20 ms, from a start time
/// (a pure value; the caller keeps the counters moving). PTS are milliseconds from the start on one clock for
/// both kinds, with no rounding drift (15 fps: 0, 66, 133, 200 …).
public struct MediaSchedule: Sendable {
    /// The first frame's time (nanoseconds of the caller's clock).
    public let startNanoseconds: Int64
    /// Video frames per second.
    public let framesPerSecond: Int
    /// Video frames taken so far.
    public private(set) var videoTaken = 0
    /// Audio frames taken so far.
    public private(set) var audioTaken = 0

    /// A schedule from `startNanoseconds` at `framesPerSecond`.
    public init(startNanoseconds: Int64, framesPerSecond: Int) {
        self.startNanoseconds = startNanoseconds
        self.framesPerSecond = max(1, framesPerSecond)
    }

    private var videoDue: Int64 { startNanoseconds + Int64(videoTaken) * 1_000_000_000 / Int64(framesPerSecond) }
    private var audioDue: Int64 { startNanoseconds + Int64(audioTaken) * 20_000_000 }

    /// When the next frame (of either kind) is due.
    public var nextDue: Int64 { min(videoDue, audioDue) }

    /// The next due frame at `now`: its kind, its index and its PTS in milliseconds; nil when none is due.
    public mutating func take(now: Int64) -> (video: Bool, index: Int, ptsMilliseconds: Int64)? {
        let v = videoDue
        let a = audioDue
        if v <= now, v <= a {
            defer { videoTaken += 1 }
            return (true, videoTaken, Int64(videoTaken) * 1000 / Int64(framesPerSecond))
        }
        if a <= now {
            defer { audioTaken += 1 }
            return (false, audioTaken, Int64(audioTaken) * 20)
        }
        return nil
    }
}

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

/// Which tone the sample media sends: G.711 µ-law or A-law (generated, 440 Hz), or the bundled Opus tone.
public enum SampleAudio: String, Sendable, Hashable, CaseIterable {
    case muLaw, aLaw, opus

    /// Frame `index` (20 ms) of the endless tone in this encoding.
    public func frame(_ index: Int, hertz: Double = 440) -> [UInt8] {
        switch self {
        case .muLaw: SampleTone.muLaw(frame: index, hertz: hertz)
        case .aLaw: SampleTone.aLaw(frame: index, hertz: hertz)
        case .opus: SampleTone.opus(frame: index)
        }
    }
}

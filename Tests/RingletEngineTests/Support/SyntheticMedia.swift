import RingletCore

/// Synthetic media: H.264-shaped Annex B access units (SPS, PPS, IDR, then P slices) and Opus/G.711 frames whose
/// bytes come from a seeded generator. They are not decodable video; the test only needs the bytes back.
enum SyntheticMedia {
    struct VideoFrame {
        let bytes: [UInt8]
        let isKeyframe: Bool
    }

    /// Bytes with no zero (so no accidental start code inside a NAL unit).
    static func body(_ count: Int, _ rng: inout SeededRandom) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next() % 255) &+ 1 }
    }

    /// `count` frames: a keyframe (SPS, PPS, IDR of `keyframeSize` bytes) every `gop` frames, P slices of
    /// 200 bytes to `maxSize` bytes between.
    static func video(count: Int, gop: Int = 30, keyframeSize: Int = 12_000, maxSize: Int = 30_000,
                      seed: UInt64) -> [VideoFrame] {
        var rng = SeededRandom(seed: seed)
        var frames = [VideoFrame]()
        let sc: [UInt8] = [0, 0, 0, 1]
        for i in 0..<count {
            if i % gop == 0 {
                let sps = sc + [0x67, 0x42, 0xE0, 0x1F] + body(8, &rng)
                let pps = sc + [0x68] + body(4, &rng)
                let idr = sc + [0x65] + body(keyframeSize, &rng)
                frames.append(VideoFrame(bytes: sps + pps + idr, isKeyframe: true))
            } else {
                let size = 200 + Int(rng.next() % UInt64(max(1, maxSize - 200)))
                frames.append(VideoFrame(bytes: sc + [0x41] + body(size, &rng), isKeyframe: false))
            }
        }
        return frames
    }

    /// Opus packets: TOC 0x78 (config 15, one 20 ms frame) and 40–160 bytes of payload.
    static func opus(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in [0x78] + body(40 + Int(rng.next() % 120), &rng) }
    }

    /// G.711 frames of 20 ms (160 samples).
    static func g711(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in rng.bytes(160) }
    }
}

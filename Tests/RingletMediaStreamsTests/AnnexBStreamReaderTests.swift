import Foundation
@_spi(Fuzzing) import RingletMediaStreams
import RingletTestSupport
import Testing

/// An Annex B stream ffmpeg encodes from its test pattern: `frames` pictures at `size`, in `profile`, with an IDR
/// every `gop` frames.
func ffmpegAnnexB(codec: AnnexBCodec, profile: String? = nil, size: String = "320x240", frames: Int = 45, gop: Int = 15,
                  rate: Int = 15) async throws -> [UInt8] {
    _ = try requireTool("ffmpeg", package: "ffmpeg")
    let folder = try temporaryFolder(prefix: "ringlet-annexb")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("made.\(codec.rawValue)").path
    var args = ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate)",
                "-frames:v", "\(frames)", "-pix_fmt", "yuv420p", "-g", "\(gop)", "-bf", "0"]
    switch codec {
    case .h264: args += ["-c:v", "libx264", "-x264-params", "keyint=\(gop):min-keyint=\(gop):scenecut=0"]
    case .h265: args += ["-c:v", "libx265", "-x265-params", "keyint=\(gop):min-keyint=\(gop):scenecut=0:log-level=error"]
    }
    if let profile { args += ["-profile:v", profile] }
    args += ["-f", codec == .h264 ? "h264" : "hevc", "-y", file]
    _ = try await runTool("ffmpeg", args, in: folder)
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
}

/// Reads every access unit of `bytes`, pushed `chunk` bytes at a time.
func readUnits(_ bytes: [UInt8], codec: AnnexBCodec, chunk: Int) throws -> [AccessUnit] {
    var reader = AnnexBStreamReader(codec: codec)
    var units: [AccessUnit] = []
    var i = 0
    while i < bytes.count {
        reader.push(bytes[i..<min(bytes.count, i + chunk)])
        i += chunk
        while let u = try reader.nextAccessUnit() { units.append(u) }
    }
    reader.finish()
    while let u = try reader.nextAccessUnit() { units.append(u) }
    return units
}

@Suite("Annex B stream reader and the H.264 SPS, against ffmpeg's streams")
struct AnnexBStreamReaderTests {
    @Test("ffmpeg's 45 frames come out as 45 access units with an IDR every 15, pushed a byte, 1000 bytes or all at once",
          arguments: [(AnnexBCodec.h264, 1), (.h264, 1000), (.h264, 1 << 30), (.h265, 7), (.h265, 4096)])
    func accessUnits(codec: AnnexBCodec, chunk: Int) async throws {
        let stream = try await ffmpegAnnexB(codec: codec)
        let units = try readUnits(stream, codec: codec, chunk: chunk)
        #expect(units.count == 45)
        #expect(units.enumerated().filter(\.element.isKeyframe).map(\.offset) == [0, 15, 30])
        // Every unit is whole: its NAL units, with start codes, add up to the stream's.
        let payload = units.reduce(0) { $0 + $1.bytes.count }
        #expect(payload >= stream.count - 45 * 4 && payload <= stream.count + 45 * 8)
    }

    @Test("the SPS says the profile, size and frame rate ffmpeg encoded", arguments: [
        ("baseline", "42", true), ("main", "4d", false), ("high", "64", false),
    ])
    func sequenceParameterSet(profile: String, idc: String, callable: Bool) async throws {
        let stream = try await ffmpegAnnexB(codec: .h264, profile: profile, size: "352x288", frames: 5, rate: 25)
        let first = try #require(try readUnits(stream, codec: .h264, chunk: 4096).first)
        let sps = try #require(first.sequenceParameterSet.map { try H264SequenceParameterSet(nal: $0) })
        #expect(sps.profileLevelID.hasPrefix(idc))
        #expect(sps.isConstrainedBaselineCompatible == callable)
        #expect(sps.width == 352 && sps.height == 288)
        #expect(sps.framesPerSecond == 25)
        #expect(callable || sps.refusal.contains("-profile:v baseline"))
    }

    @Test("bytes that are not Annex B are refused; an access unit over the limit is skipped and reading goes on")
    func badInput() async throws {
        var text = AnnexBStreamReader(codec: .h264)
        text.push([UInt8](repeating: 0x41, count: 70_000))
        #expect { try text.nextAccessUnit() } throws: { ($0 as? MediaStreamError)?.code == .invalidContainer }

        let stream = try await ffmpegAnnexB(codec: .h264, size: "640x480", frames: 30)
        let sizes = try readUnits(stream, codec: .h264, chunk: 1 << 30).map(\.bytes.count)
        let limit = sizes.max()! - 1
        var reader = AnnexBStreamReader(codec: .h264, maximumAccessUnitSize: limit)
        reader.push(stream)
        reader.finish()
        var units = 0, errors = 0
        while true {
            do {
                guard try reader.nextAccessUnit() != nil else { break }
                units += 1
            } catch {
                errors += 1
            }
        }
        #expect(errors >= 1 && units == sizes.filter { $0 <= limit }.count)
    }

    @Test("seeded garbage and mutations of an ffmpeg stream never trap and keep memory bounded")
    func garbage() async throws {
        let stream = try await ffmpegAnnexB(codec: .h264, frames: 10)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<200 {
            var data = round % 2 == 0 ? (0..<3000).map { _ in UInt8.random(in: 0...3, using: &rng) } : stream
            if round % 2 == 1 {
                for _ in 0..<16 { data[Int.random(in: 0..<data.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            MediaStreamsFuzz.annexB([UInt8(round % 256)] + data)
        }
    }
}

import Foundation
@_spi(Fuzzing) import RingletMediaStreams
import RingletSampleMedia
import RingletTestSupport
import Testing

/// Runs `tool` with `arguments` in `folder` and returns its standard output; throws when it fails or hangs.
func runTool(_ tool: String, _ arguments: [String], in folder: URL) async throws -> String {
    let p = try ChildProcess(tool, arguments: arguments, folder: folder, name: "\(tool)-\(UInt32.random(in: 0...UInt32.max))")
    guard await p.wait(timeout: 60), p.terminationStatus == 0 else {
        throw TestSupportError("\(tool) \(arguments.joined(separator: " ")) failed: \(p.errorText.suffix(800))")
    }
    return p.outputText
}

/// Reads every packet of `bytes`, pushed `chunk` bytes at a time.
func readOpus(_ bytes: [UInt8], chunk: Int = 4096) throws -> (OpusHead?, [TimedOpusPacket]) {
    var reader = OggOpusReader()
    var packets: [TimedOpusPacket] = []
    var i = 0
    while i < bytes.count {
        reader.push(bytes[i..<min(bytes.count, i + chunk)])
        i += chunk
        while let p = try reader.nextPacket() { packets.append(p) }
    }
    return (reader.head, packets)
}

@Suite("Ogg Opus reader (RFC 7845 over RFC 3533)")
struct OggOpusReaderTests {
    @Test("the bundled tone reads as 2 s of 20 ms mono packets, PTS 0, 20, 40 … ms")
    func bundledTone() throws {
        let packets = SampleTone.opusPackets
        #expect(packets.count >= 100 && packets.count <= 102, "\(packets.count) packets")
        #expect(packets.allSatisfy { $0.samples == 960 })
        #expect(packets.enumerated().allSatisfy { $0.element.ptsMilliseconds == Int64($0.offset) * 20 })
    }

    @Test("packets and presentation times equal ffprobe's for a stereo 60 ms stream ffmpeg encodes, pushed a byte or a page at a time",
          arguments: [1, 4096])
    func matchesFFprobe(chunk: Int) async throws {
        _ = try requireTool("ffmpeg", package: "ffmpeg")
        let folder = try temporaryFolder(prefix: "ringlet-ogg")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("stereo.opus").path
        _ = try await runTool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                                         "sine=frequency=300:sample_rate=48000:duration=3", "-ac", "2", "-c:a", "libopus",
                                         "-frame_duration", "60", "-b:a", "48k", "-f", "ogg", "-y", file], in: folder)
        let probe = try await runTool("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries",
                                                  "packet=pts,duration,size", "-of", "csv=p=0", file], in: folder)
        // ffprobe's rows: pts, duration and size in 48 kHz samples and bytes (pts counts from -pre-skip; the last
        // packet's duration is cut to where the stream's granule position ends it).
        let rows = probe.split(separator: "\n").map { $0.split(separator: ",").compactMap { Int($0) } }.filter { $0.count == 3 }
        let (head, packets) = try readOpus(try [UInt8](Data(contentsOf: URL(fileURLWithPath: file))), chunk: chunk)
        #expect(head?.channels == 2)
        #expect(packets.count == rows.count && !rows.isEmpty)
        let firstPTS = rows.first?[0] ?? 0
        for (i, (p, row)) in zip(packets, rows).enumerated() {
            #expect(p.bytes.count == row[2] && (p.samples == row[1] || i == rows.count - 1), "packet \(i): \(row)")
            #expect(p.ptsMilliseconds == Int64((row[0] - firstPTS) / 48))
        }
    }

    @Test("a damaged page is reported as a CRC mismatch, and reading goes on with the next page")
    func damagedPage() throws {
        var bytes = try bundledToneBytes()
        // Damage a byte in the middle of the stream (in an audio page).
        bytes[bytes.count / 2] ^= 0xFF
        var reader = OggOpusReader()
        reader.push(bytes)
        var packets = 0, errors: [MediaStreamError] = []
        while true {
            do {
                guard try reader.nextPacket() != nil else { break }
                packets += 1
            } catch {
                errors.append(error)
            }
        }
        #expect(errors.map(\.code) == [.invalidContainer], "\(errors)")
        #expect(errors.first?.message.contains("CRC") == true)
        #expect(packets > 50 && packets < SampleTone.opusPackets.count)
    }

    @Test("what is not Ogg Opus is refused with a message that says what to give", arguments: [
        ("flac", MediaStreamError.Code.unsupportedStream),
    ])
    func notOpus(codec: String, code: MediaStreamError.Code) async throws {
        var reader = OggOpusReader()
        reader.push(try await ffmpegOgg(["-c:a", codec]))
        #expect { try reader.nextPacket() } throws: { ($0 as? MediaStreamError)?.code == code }
        #expect { try reader.nextPacket() } throws: { ($0 as? MediaStreamError)?.message.contains("Ogg Opus") == true }

        var raw = OggOpusReader()
        raw.push([UInt8]("this is not an Ogg stream at all, just text".utf8))
        #expect { try raw.nextPacket() } throws: { ($0 as? MediaStreamError)?.code == .invalidContainer }
    }

    @Test("a multichannel (5.1) Opus stream is refused: WebRTC carries mono or stereo")
    func multichannel() async throws {
        var reader = OggOpusReader()
        reader.push(try await ffmpegOgg(["-ac", "6", "-c:a", "libopus"]))
        #expect { try reader.nextPacket() } throws: { ($0 as? MediaStreamError)?.message.contains("mono or stereo") == true }
    }

    @Test("an OpusTags packet larger than the packet limit (cover art) is skipped; the audio reads")
    func largeTags() async throws {
        let (head, packets) = try readOpus(try await ffmpegOgg([
            "-c:a", "libopus", "-metadata", "comment=\(String(repeating: "x", count: 40_000))",
        ]))
        #expect(head?.channels == 1)
        #expect(packets.count >= 50)
    }

    @Test("seeded garbage and mutations of the tone never trap and keep memory bounded")
    func garbage() throws {
        var rng = SystemRandomNumberGenerator()
        let tone = try bundledToneBytes()
        for round in 0..<300 {
            var data = round % 2 == 0 ? (0..<2000).map { _ in UInt8.random(in: 0...255, using: &rng) } : tone
            if round % 2 == 1 {
                for _ in 0..<8 { data[Int.random(in: 0..<data.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            MediaStreamsFuzz.oggOpus([UInt8(round % 256)] + data)
        }
        #expect(tone.count > 8000)
    }
}

/// An Ogg file ffmpeg makes from 1 s of a sine with the encoder `arguments` (`-c:a …`).
func ffmpegOgg(_ arguments: [String]) async throws -> [UInt8] {
    _ = try requireTool("ffmpeg", package: "ffmpeg")
    let folder = try temporaryFolder(prefix: "ringlet-ogg")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("made.ogg").path
    _ = try await runTool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1"]
                          + arguments + ["-f", "ogg", "-y", file], in: folder)
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
}

/// The bundled Ogg Opus tone's bytes (the file beside the sample clip).
func bundledToneBytes() throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/CRingletSampleClip/include/tone-440.opus")
    return try [UInt8](Data(contentsOf: url))
}

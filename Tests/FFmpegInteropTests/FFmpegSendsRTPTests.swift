import Foundation
import RingletCore
import RingletRTP
import RingletTestSupport
import Testing

/// ffmpeg encodes a live test pattern (H.264) and a tone (Opus) and sends them over RTP to sockets this test
/// binds; Ringlet's depacketizers assemble the access units, which must match ffmpeg's raw H.264 of the same encode.
@Suite("ffmpeg sends RTP, Ringlet receives", .serialized)
struct FFmpegSendsRTPTests {
    static let x264 = ["-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", "15", "-threads", "1",
                       "-pix_fmt", "yuv420p"]

    @Test("H.264 and Opus sent by ffmpeg are assembled into the access units and frames ffmpeg encoded")
    func h264AndOpusFromFFmpeg() throws {
        let folder = try FFmpeg.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let video = try LoopbackUDPSocket(), audio = try LoopbackUDPSocket()
        // RTCP goes to the same sockets (rtcp-mux style) and is told apart by its packet type.
        let sender = try FFmpeg.start("ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
            "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-map", "0:v", "-t", "2"] + Self.x264 + [
            "-f", "rtp", "rtp://127.0.0.1:\(video.port)?rtcpport=\(video.port)&pkt_size=1200",
            "-map", "1:a", "-t", "2", "-c:a", "libopus", "-b:a", "32k", "-ac", "1",
            "-f", "rtp", "rtp://127.0.0.1:\(audio.port)?rtcpport=\(audio.port)",
        ], folder: folder, name: "sender")

        var h264 = H264Depacketizer()
        var opus = OpusDepacketizer()
        var frames: [EncodedVideoFrame] = []
        var opusFrames: [EncodedAudioFrame] = []
        var keyframeRequests = 0
        let deadline = Date().addingTimeInterval(30)
        var quietSince = Date()
        while Date() < deadline {
            var got = false
            if let d = video.receive(timeoutMilliseconds: 20), DatagramKind.classify(d) == .rtp {
                got = true
                let rtp = try RTPPacket(parsing: d)
                try h264.push(payload: rtp.payload, sequenceNumber: rtp.sequenceNumber, timestamp: rtp.timestamp,
                              marker: rtp.marker)
                while let output = h264.nextOutput() {
                    switch output {
                    case .frame(let f): frames.append(f)
                    case .keyframeNeeded: keyframeRequests += 1
                    }
                }
            }
            if let d = audio.receive(timeoutMilliseconds: 20), DatagramKind.classify(d) == .rtp {
                got = true
                let rtp = try RTPPacket(parsing: d)
                opusFrames.append(try opus.depacketize(payload: rtp.payload, sequenceNumber: rtp.sequenceNumber,
                                                       timestamp: rtp.timestamp))
            }
            if got { quietSince = Date() }
            if !sender.isRunning && Date().timeIntervalSince(quietSince) > 1 { break }
        }
        sender.stop()
        #expect(sender.terminationStatus == 0, "ffmpeg: \(sender.errorText)")

        // The same encode, written by ffmpeg as a raw H.264 stream.
        let raw = folder.appendingPathComponent("reference.h264")
        _ = try FFmpeg.run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin",
                                      "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "2"] + Self.x264 +
                                     ["-f", "h264", raw.path], folder: folder)
        let reference = try accessUnits(ofH264Stream: [UInt8](Data(contentsOf: raw)))

        #expect(reference.count == 30)
        #expect(keyframeRequests == 0)
        #expect(frames.count == reference.count)
        #expect(frames.allSatisfy { $0.isComplete })
        #expect(frames.map { $0.nalUnits.map(Array.init) } == reference)
        #expect(frames.map(\.isKeyframe) == reference.map { $0.contains { $0[0] & 0x1F == 5 } })
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $1.timestamp &- $0.timestamp == 6000 })

        // Opus: 2 s of 20 ms frames (libopus may add one frame of encoder delay).
        let samples = opusFrames.map(\.sampleCount).reduce(0, +)
        #expect(opusFrames.allSatisfy { $0.sampleCount == 960 && !$0.followsLoss })
        #expect((96_000...96_000 + 2 * 960).contains(samples), "\(opusFrames.count) Opus frames, \(samples) samples")
        #expect(zip(opusFrames, opusFrames.dropFirst()).allSatisfy { $1.timestamp &- $0.timestamp == 960 })
    }
}

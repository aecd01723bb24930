import Foundation
import RingletCore
import RingletRTP
import RingletSRTP
import RingletTestSupport
import Testing

/// Ringlet packetizes the committed H.264 clip and a PCMU tone and sends them over RTP to ffmpeg, which reads an
/// SDP file and must decode every frame exactly as it decodes the clip file itself.
@Suite("Ringlet sends RTP, ffmpeg receives", .serialized)
struct RingletSendsRTPTests {
    /// Sends RTP packets to one port. `protect` sits between the packetizer and the socket, so that SRTP can be
    /// inserted (the lead adds part (c): SDES `a=crypto` with the right key and a wrong one).
    struct RTPSender {
        let socket: LoopbackUDPSocket
        let port: UInt16
        let payloadType: UInt8
        let ssrc: UInt32
        var sequenceNumber: UInt16
        var protect: ([UInt8]) throws -> [UInt8] = { $0 }

        mutating func send(_ packet: PayloadPacket, timestamp: UInt32) throws {
            let rtp = try RTPPacket(marker: packet.marker, payloadType: payloadType, sequenceNumber: sequenceNumber,
                                    timestamp: timestamp &+ packet.timestampOffset, ssrc: ssrc, payload: packet.payload)
            try socket.send(protect(rtp.bytes), to: port)
            sequenceNumber &+= 1
        }
    }

    /// One RTP packet to send at a media time.
    struct Scheduled {
        let milliseconds: Int64
        let isVideo: Bool
        let packet: PayloadPacket
        let timestamp: UInt32
    }

    static func clip() throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "clip", withExtension: "h264", subdirectory: "Media"))
        return [UInt8](try Data(contentsOf: url))
    }

    /// Lines of a framecrc file that describe frames (not comments).
    static func frameLines(_ url: URL) -> [Substring] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    /// SRTP for one run: the SDES key Ringlet protects with and the one written into ffmpeg's SDP.
    struct SDES {
        let profile: SRTPProtectionProfile
        let suiteName: String
        let sendKey: SRTPMasterKey
        let sdpKey: SRTPMasterKey

        /// The `a=crypto` line (RFC 4568 §9.1) for the SDP key.
        var cryptoLine: String {
            "a=crypto:1 \(suiteName) inline:\(Data(sdpKey.key + sdpKey.salt).base64EncodedString())"
        }

        static func make(_ profile: SRTPProtectionProfile, _ name: String, seed: UInt64, wrongKey: Bool) -> SDES {
            var rng = SeededRandom(seed: seed)
            let key = SRTPMasterKey(key: rng.bytes(16), salt: rng.bytes(14))
            var other = key.key
            other[0] ^= 0x01
            let sdpKey = wrongKey ? SRTPMasterKey(key: other, salt: key.salt) : key
            return SDES(profile: profile, suiteName: name, sendKey: key, sdpKey: sdpKey)
        }
    }

    /// What ffmpeg decoded in one run, next to what it decodes from the clip file.
    struct Outcome {
        var frameCount: Int
        var expectedFrames: [Substring?]
        var decodedFrames: [Substring?]
        var audioBytes: Int
        var sampleCount: Int
        var exited: Bool
        var status: Int32
        var errorText: String
    }

    @Test("ffmpeg decodes every frame of the clip and every PCMU sample that Ringlet sends over RTP")
    func clipAndToneToFFmpeg() throws {
        let o = try Self.sendClipAndTone(sdes: nil)
        #expect(o.exited, "ffmpeg did not finish by itself")
        #expect(o.status == 0, "ffmpeg: \(o.errorText)")
        #expect(o.decodedFrames.count == o.frameCount, "ffmpeg: \(o.errorText)")
        #expect(o.decodedFrames == o.expectedFrames)
        #expect(o.audioBytes == 2 * o.sampleCount)
    }

    @Test("ffmpeg decodes every frame and sample that Ringlet sends over SRTP with an SDES key",
          arguments: [(SRTPProtectionProfile.aes128CmHmacSha1_80, "AES_CM_128_HMAC_SHA1_80"),
                      (SRTPProtectionProfile.aes128CmHmacSha1_32, "AES_CM_128_HMAC_SHA1_32")])
    func clipAndToneOverSRTP(profile: SRTPProtectionProfile, name: String) throws {
        let o = try Self.sendClipAndTone(sdes: .make(profile, name, seed: 11, wrongKey: false))
        #expect(o.exited, "ffmpeg did not finish by itself")
        #expect(o.status == 0, "ffmpeg: \(o.errorText)")
        #expect(o.decodedFrames.count == o.frameCount, "ffmpeg: \(o.errorText)")
        #expect(o.decodedFrames == o.expectedFrames)
        #expect(o.audioBytes == 2 * o.sampleCount)
    }

    @Test("ffmpeg refuses SRTP protected with another key than the SDP's: no frame, no sample")
    func wrongKeyIsRefused() throws {
        let o = try Self.sendClipAndTone(sdes: .make(.aes128CmHmacSha1_80, "AES_CM_128_HMAC_SHA1_80", seed: 11,
                                                     wrongKey: true))
        #expect(o.exited, "ffmpeg did not finish by itself")
        #expect(o.frameCount > 0)
        #expect(o.decodedFrames.isEmpty, "ffmpeg decoded \(o.decodedFrames.count) frames with a wrong key")
        #expect(o.audioBytes == 0)
    }

    /// Sends the clip and a tone to an ffmpeg that reads an SDP file, in plain RTP or, with `sdes`, in SRTP.
    static func sendClipAndTone(sdes: SDES?) throws -> Outcome {
        let folder = try FFmpeg.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clipBytes = try Self.clip()
        let clipURL = folder.appendingPathComponent("clip.h264")
        try Data(clipBytes).write(to: clipURL)

        // What ffmpeg makes of the clip file itself.
        let probe = try FFmpeg.run("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                               "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", clipURL.path],
                                   folder: folder)
        let frameCount = try #require(Int(probe.trimmingCharacters(in: .whitespacesAndNewlines)))
        let clipCRC = folder.appendingPathComponent("clip.crc")
        _ = try FFmpeg.run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-i", clipURL.path,
                                      "-f", "framecrc", clipCRC.path], folder: folder)
        let expectedFrames = Self.frameLines(clipCRC).map { $0.split(separator: ",").last }
        #expect(expectedFrames.count == frameCount)

        // The receiver: ffmpeg reading an SDP file.
        let videoPort = try LoopbackUDPSocket.freeEvenPortPair()
        var audioPort = try LoopbackUDPSocket.freeEvenPortPair()
        if audioPort == videoPort { audioPort = try LoopbackUDPSocket.freeEvenPortPair() }
        let sdp = """
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=Ringlet
            c=IN IP4 127.0.0.1
            t=0 0
            m=video \(videoPort) RTP/AVP 96
            a=rtpmap:96 H264/90000
            a=fmtp:96 packetization-mode=1
            \(sdes?.cryptoLine ?? "a=sendrecv")
            m=audio \(audioPort) RTP/AVP 0
            a=rtpmap:0 PCMU/8000
            \(sdes?.cryptoLine ?? "a=sendrecv")

            """
        let sdpURL = folder.appendingPathComponent("session.sdp")
        try sdp.write(to: sdpURL, atomically: true, encoding: .utf8)
        let videoCRC = folder.appendingPathComponent("video.crc"), audioCRC = folder.appendingPathComponent("audio.crc")
        let receiver = try FFmpeg.start("ffmpeg", [
            "-hide_banner", "-loglevel", "warning", "-nostdin", "-protocol_whitelist", "file,udp,rtp",
            "-analyzeduration", "1000000", "-listen_timeout", "2", "-i", sdpURL.path,
            "-map", "0:v", "-fps_mode", "passthrough", "-flush_packets", "1", "-f", "framecrc", videoCRC.path,
            "-map", "0:a", "-flush_packets", "1", "-f", "framecrc", audioCRC.path,
        ], folder: folder, name: "receiver")
        defer { receiver.stop() }
        let listenDeadline = Date().addingTimeInterval(10)
        func listening() -> Bool {
            LoopbackUDPSocket.isBound(port: videoPort) && LoopbackUDPSocket.isBound(port: audioPort)
        }
        while !listening() && Date() < listenDeadline {
            guard receiver.isRunning else { break }
            usleep(20_000)
        }
        try #require(listening(), "ffmpeg is not listening: \(receiver.errorText)")

        // Ringlet packetizes: the clip at 15 fps, a 2 s 440 Hz tone in 20 ms PCMU packets.
        var schedule: [Scheduled] = []
        var h264 = H264Packetizer()
        let units = try accessUnits(ofH264Stream: clipBytes)
        #expect(units.count == frameCount)
        for (i, unit) in units.enumerated() {
            let ms = Int64(i) * 1000 / 15
            var packets: [PayloadPacket] = []
            try h264.packetize(nalUnits: unit.map { $0[...] }, into: &packets)
            for p in packets {
                schedule.append(Scheduled(milliseconds: ms, isVideo: true, packet: p,
                                          timestamp: RTPClock.video.timestamp(milliseconds: ms, base: 0x1234_5678)))
            }
        }
        let samples = (0..<16_000).map { G711.muLaw(encode: Int16(8000 * sin(2 * Double.pi * 440 * Double($0) / 8000))) }
        for p in try G711Packetizer(samplesPerPacket: 160).packetize(samples[...], afterSilence: true) {
            let ms = Int64(p.timestampOffset) / 8
            schedule.append(Scheduled(milliseconds: ms, isVideo: false, packet: p,
                                      timestamp: RTPClock.g711.timestamp(milliseconds: 0, base: 0x0BAD_F00D)))
        }
        schedule.sort { ($0.milliseconds, $0.isVideo ? 0 : 1) < ($1.milliseconds, $1.isVideo ? 0 : 1) }

        let socket = try LoopbackUDPSocket()
        var videoSender = RTPSender(socket: socket, port: videoPort, payloadType: 96, ssrc: 0x1111_1111, sequenceNumber: 65_000)
        var audioSender = RTPSender(socket: socket, port: audioPort, payloadType: 0, ssrc: 0x2222_2222, sequenceNumber: 1)
        if let sdes {
            // One SRTP context per stream, each keyed with the same SDES master key (one a=crypto per m-line).
            let videoContext = try SRTPContext(profile: sdes.profile, masterKey: sdes.sendKey)
            let audioContext = try SRTPContext(profile: sdes.profile, masterKey: sdes.sendKey)
            videoSender.protect = { try videoContext.protectRTP($0) }
            audioSender.protect = { try audioContext.protectRTP($0) }
        }
        for item in schedule {
            if item.isVideo {
                try videoSender.send(item.packet, timestamp: item.timestamp)
            } else {
                try audioSender.send(item.packet, timestamp: item.timestamp)
            }
            usleep(2_000)   // pacing: about 0.5 s for the whole schedule
        }

        // ffmpeg ends its input 2 s after the last packet (-listen_timeout), flushes its decoders and exits.
        let exited = receiver.wait(timeout: 20)
        receiver.stop()
        let decoded = Self.frameLines(videoCRC).map { $0.split(separator: ",").last }
        let audioBytes = Self.frameLines(audioCRC).compactMap { line -> Int? in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return fields.count >= 5 ? Int(fields[4]) : nil
        }.reduce(0, +)
        return Outcome(frameCount: frameCount, expectedFrames: expectedFrames, decodedFrames: decoded,
                       audioBytes: audioBytes, sampleCount: samples.count, exited: exited,
                       status: receiver.terminationStatus ?? -1,
                       errorText: receiver.errorText)
    }
}

/// Fuzz entry points for the payload depacketizers. Not API: SPI for the libFuzzer shims and tests.
///
/// Each reads `data` as a sequence of packets: a flags byte, a length byte, then up to that many payload bytes.
/// Flags bit 0 is the marker bit; bits 1–2 move the sequence number by +1, +2 (a gap), +0 (a duplicate) or −1
/// (reordered); bit 3 advances the timestamp. Every frame that comes out must survive packetize → depacketize
/// unchanged; `fatalError` marks that invariant broken (the bug a fuzzer is after).
@_spi(Fuzzing)
public enum PayloadFuzz {
    struct Chunk {
        var payload: ArraySlice<UInt8>
        var sequenceNumber: UInt16
        var timestamp: UInt32
        var marker: Bool
    }

    static func chunks(_ data: [UInt8], timestampStep: UInt32) -> [Chunk] {
        var out: [Chunk] = []
        var i = 0, seq: UInt16 = 1000, ts: UInt32 = 0xFFFF_F000
        while i + 2 <= data.count {
            let flags = data[i], length = Int(data[i + 1])
            i += 2
            let end = min(i + length, data.count)
            switch (flags >> 1) & 3 {
            case 0: seq &+= 1
            case 1: seq &+= 2
            case 2: break
            default: seq &-= 1
            }
            if flags & 8 != 0 { ts &+= timestampStep }
            out.append(Chunk(payload: data[i..<end], sequenceNumber: seq, timestamp: ts, marker: flags & 1 != 0))
            i = end
        }
        return out
    }

    /// Feeds the H.264 depacketizer.
    public static func h264(_ data: [UInt8]) { video(data, format: .h264) }

    /// Feeds the H.265 depacketizer.
    public static func h265(_ data: [UInt8]) { video(data, format: .h265) }

    static func video(_ data: [UInt8], format: NALFormat) {
        let limits = (try? VideoDepacketizerConfiguration(maxFrameSize: 16_384, maxNALUnitCount: 64)) ?? .default
        var depacketizer = NALDepacketizer(format: format, configuration: limits)
        var frames: [EncodedVideoFrame] = []
        for chunk in chunks(data, timestampStep: 3000) {
            try? depacketizer.push(payload: chunk.payload, sequenceNumber: chunk.sequenceNumber,
                                   timestamp: chunk.timestamp, marker: chunk.marker)
            while let output = depacketizer.nextOutput() {
                if case .frame(let frame) = output { frames.append(frame) }
            }
        }
        for frame in frames {
            guard frame.annexB.count <= limits.maxFrameSize, frame.nalUnitCount <= limits.maxNALUnitCount else {
                fatalError("frame over the configured limits")
            }
            for mtu in [16, 1200] { checkRoundTrip(frame, format: format, mtu: mtu, limits: limits) }
        }
    }

    static func checkRoundTrip(_ frame: EncodedVideoFrame, format: NALFormat, mtu: Int,
                               limits: VideoDepacketizerConfiguration) {
        let configuration = (try? VideoPacketizerConfiguration(maxPayloadSize: mtu)) ?? .default
        var packetizer = NALPacketizer(format: format, configuration: configuration)
        var packets: [PayloadPacket] = []
        do {
            try packetizer.packetize(nalUnits: frame.nalUnits, into: &packets)
        } catch {
            fatalError("a depacketized frame could not be packetized again: \(error)")
        }
        var again = NALDepacketizer(format: format, configuration: limits)
        var seq: UInt16 = 7
        for packet in packets {
            guard packet.payload.count <= mtu else { fatalError("packet over the payload budget") }
            do {
                try again.push(payload: packet.payload[...], sequenceNumber: seq, timestamp: frame.timestamp,
                               marker: packet.marker)
            } catch {
                fatalError("a packetized frame was refused: \(error)")
            }
            seq &+= 1
        }
        guard case .frame(let copy)? = again.nextOutput(), again.nextOutput() == nil,
              copy.nalUnits == frame.nalUnits, copy.isKeyframe == frame.isKeyframe, copy.isComplete else {
            fatalError("packetize → depacketize changed the frame")
        }
    }

    /// Feeds the Opus depacketizer.
    public static func opus(_ data: [UInt8]) {
        var depacketizer = OpusDepacketizer()
        let packetizer = OpusPacketizer()
        for chunk in chunks(data, timestampStep: 960) {
            guard let frame = try? depacketizer.depacketize(payload: chunk.payload, sequenceNumber: chunk.sequenceNumber,
                                                            timestamp: chunk.timestamp) else { continue }
            guard let packet = try? packetizer.packetize(frame.data[...]), packet.payload[...] == chunk.payload,
                  frame.sampleCount > 0, frame.sampleCount <= 5760 else {
                fatalError("Opus packetize → depacketize changed the frame")
            }
        }
    }

    /// Feeds the G.711 depacketizer and checks the companding round trip on its bytes.
    public static func g711(_ data: [UInt8]) {
        var depacketizer = G711Depacketizer()
        for chunk in chunks(data, timestampStep: 160) {
            guard let frame = try? depacketizer.depacketize(payload: chunk.payload, sequenceNumber: chunk.sequenceNumber,
                                                            timestamp: chunk.timestamp) else { continue }
            guard frame.data[...] == chunk.payload, frame.sampleCount == chunk.payload.count else {
                fatalError("G.711 depacketize changed the payload")
            }
            for byte in frame.data {
                let mu = G711.muLaw(decode: byte), a = G711.aLaw(decode: byte)
                guard G711.muLaw(decode: G711.muLaw(encode: mu)) == mu, G711.aLaw(encode: a) == byte else {
                    fatalError("G.711 decode → encode → decode changed a sample")
                }
            }
        }
    }
}

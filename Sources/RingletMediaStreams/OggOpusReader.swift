import RingletRTP

/// The identification header of an Ogg Opus stream (RFC 7845 §5.1).
public struct OpusHead: Hashable, Sendable {
    /// Output channels: 1 or 2 (mapping family 0).
    public let channels: Int
    /// Samples (at 48 kHz) the decoder discards at the start.
    public let preSkip: Int
    /// The sample rate of the encoder's input (informational).
    public let inputSampleRate: Int
}

/// One Opus packet with its presentation time: milliseconds from the stream's first packet, from the packets'
/// own durations (RFC 6716 §3.1 TOC), on the 48 kHz clock.
public struct TimedOpusPacket: Hashable, Sendable {
    /// The Opus packet (what an RTP payload carries, RFC 7587).
    public let bytes: [UInt8]
    /// Its presentation time in milliseconds.
    public let ptsMilliseconds: Int64
    /// How many 48 kHz samples it lasts.
    public let samples: Int
}

/// Reads an Ogg Opus stream (RFC 7845): `OpusHead`, `OpusTags`, then audio packets, each with its presentation
/// time. Sans-IO and incremental like ``OggPacketReader``, which it is built on.
///
/// Only what WebRTC carries is taken: mapping family 0 (mono or stereo); multichannel streams (families 1 and
/// 255) are refused. An `OpusTags` packet larger than the packet limit (cover art) is skipped.
public struct OggOpusReader: Sendable {
    private var ogg: OggPacketReader
    private var packetsRead = 0
    private var samples: Int64 = 0
    private var failure: MediaStreamError?
    /// The identification header, once read.
    public private(set) var head: OpusHead?

    /// A reader whose packets may be at most `maximumPacketSize` bytes (an Opus packet is at most 120 ms of
    /// 1275-byte frames). Default 16 KiB.
    public init(maximumPacketSize: Int = 16 << 10) {
        ogg = OggPacketReader(maximumPacketSize: maximumPacketSize)
    }

    /// Adds bytes of the stream.
    public mutating func push(_ bytes: some Sequence<UInt8>) { ogg.push(bytes) }

    /// Bytes pushed and not parsed yet.
    public var bufferedBytes: Int { ogg.bufferedBytes }

    /// Whether the stream's last page was read.
    public var isAtEndOfStream: Bool { ogg.isAtEndOfStream }

    /// At the end of the input: whether a page or packet was cut short.
    public var isTruncated: Bool { ogg.isTruncated }

    /// The next audio packet, or nil when more bytes are needed.
    /// - Throws: what ``OggPacketReader/nextPacket()`` throws; `unsupportedStream` for a first packet that is not
    ///   an `OpusHead` of version 0.x, or a mapping family other than 0 (then every later call throws it too); `invalidFrame` for an audio packet whose
    ///   TOC does not parse (RFC 6716 §3.4; the packet is dropped, reading may go on).
    public mutating func nextPacket() throws(MediaStreamError) -> TimedOpusPacket? {
        if let failure { throw failure }
        while true {
            let packet: OggPacket?
            do {
                packet = try ogg.nextPacket()
            } catch where error.code == .frameTooLarge && packetsRead == 1 {
                packetsRead = 2  // an OpusTags packet with pictures: not needed
                continue
            }
            guard let packet else { return nil }
            packetsRead += 1
            switch packetsRead {
            case 1:
                do {
                    head = try Self.parseHead(packet.bytes)
                } catch {
                    failure = error  // not a stream this reader takes: every later call says so
                    throw error
                }
            case 2:
                continue  // OpusTags (RFC 7845 §5.2): not needed to send
            default:
                let count: Int
                do {
                    count = try OpusTOC.sampleCount(ofPacket: packet.bytes[...])
                } catch {
                    throw MediaStreamError(.invalidFrame, offset: 0, "an Opus packet that does not parse: \(error.message)")
                }
                defer { samples += Int64(count) }
                return TimedOpusPacket(bytes: packet.bytes, ptsMilliseconds: samples / 48, samples: count)
            }
        }
    }

    static func parseHead(_ b: [UInt8]) throws(MediaStreamError) -> OpusHead {
        guard b.count >= 19, b.prefix(8).elementsEqual("OpusHead".utf8) else {
            throw MediaStreamError(.unsupportedStream, offset: 0,
                                   "the Ogg stream is not Opus (no OpusHead): give an Ogg Opus file (ffmpeg -c:a libopus -f ogg)")
        }
        guard b[8] & 0xF0 == 0 else {
            throw MediaStreamError(.unsupportedStream, offset: 0, "Ogg Opus version \(b[8]) (only 0.x is known)")
        }
        let channels = Int(b[9])
        let family = b[18]
        guard family == 0, channels == 1 || channels == 2 else {
            throw MediaStreamError(.unsupportedStream, offset: 0,
                                   "Opus with \(channels) channels (mapping family \(family)): WebRTC carries mono or stereo only")
        }
        let preSkip = Int(b[10]) | Int(b[11]) << 8
        let rate = Int(b[12]) | Int(b[13]) << 8 | Int(b[14]) << 16 | Int(b[15]) << 24
        return OpusHead(channels: channels, preSkip: preSkip, inputSampleRate: rate)
    }
}

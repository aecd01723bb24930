/// Settings of an H.264 or H.265 packetizer.
public struct VideoPacketizerConfiguration: Hashable, Sendable {
    /// The largest RTP payload to produce, in bytes (the MTU budget left after IP, UDP, RTP and SRTP overhead).
    /// Default 1200; allowed 16...65535.
    public let maxPayloadSize: Int

    /// Makes a configuration.
    /// - Throws: `PayloadFormatError` `.invalidConfiguration` when `maxPayloadSize` is outside 16...65535.
    public init(maxPayloadSize: Int = 1200) throws(PayloadFormatError) {
        guard (16...65535).contains(maxPayloadSize) else {
            throw PayloadFormatError(.invalidConfiguration, field: "maxPayloadSize",
                                     "\(maxPayloadSize) is outside 16...65535")
        }
        self.maxPayloadSize = maxPayloadSize
    }

    private init(unchecked maxPayloadSize: Int) { self.maxPayloadSize = maxPayloadSize }

    /// The defaults: 1200-byte payloads.
    public static let `default` = VideoPacketizerConfiguration(unchecked: 1200)
}

/// Limits of an H.264 or H.265 depacketizer; a frame over a limit is dropped with an error.
public struct VideoDepacketizerConfiguration: Hashable, Sendable {
    /// Largest assembled access unit in bytes, start codes included. Default 4 MiB (4 194 304).
    public let maxFrameSize: Int
    /// Most NAL units in one access unit. Default 1024.
    public let maxNALUnitCount: Int

    /// Makes a configuration.
    /// - Throws: `PayloadFormatError` `.invalidConfiguration` when a limit is below 1 (or the size above 1 GiB).
    public init(maxFrameSize: Int = 4 << 20, maxNALUnitCount: Int = 1024) throws(PayloadFormatError) {
        guard (1...(1 << 30)).contains(maxFrameSize) else {
            throw PayloadFormatError(.invalidConfiguration, field: "maxFrameSize", "\(maxFrameSize) is outside 1...2^30")
        }
        guard maxNALUnitCount >= 1 else {
            throw PayloadFormatError(.invalidConfiguration, field: "maxNALUnitCount", "\(maxNALUnitCount) is below 1")
        }
        self.maxFrameSize = maxFrameSize
        self.maxNALUnitCount = maxNALUnitCount
    }

    private init(uncheckedSize: Int, count: Int) {
        maxFrameSize = uncheckedSize
        maxNALUnitCount = count
    }

    /// The defaults: 4 MiB and 1024 NAL units per frame.
    public static let `default` = VideoDepacketizerConfiguration(uncheckedSize: 4 << 20, count: 1024)
}

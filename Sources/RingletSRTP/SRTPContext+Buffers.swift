// The public entry points: raw buffers, arrays, slices, and in place. All share the raw-pointer core.

extension SRTPContext {
    /// Protects an RTP packet (RFC 3711 §3.3; RFC 7714 §8.2), writing the SRTP packet to `out`.
    ///
    /// `out` is resized to the result (its capacity is kept), so reusing one buffer allocates nothing per packet.
    /// - Parameters:
    ///   - packet: an RTP packet: header (with CSRCs and extension) and payload.
    ///   - out: receives `packet.count + profile.rtpTagLength` bytes; emptied on error.
    /// - Throws: `SRTPError` `.truncated`, `.malformedHeader`, `.packetTooLarge`, `.tooManyStreams`, `.tooOld`
    ///   (a sequence number from before the stream began), `.indexExhausted`, `.cryptoFailure`.
    public func protectRTP(_ packet: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(SRTPError) {
        try write(into: &out, capacity: packet.count + profile.rtpTagLength) { o throws(SRTPError) in
            try protectRTPRaw(packet, o)
        }
    }

    /// Protects an RTP packet held in an array slice; see `protectRTP(_:into:)`.
    public func protectRTP(_ packet: ArraySlice<UInt8>, into out: inout [UInt8]) throws(SRTPError) {
        try withBytes(packet) { p throws(SRTPError) in try protectRTP(p, into: &out) }
    }

    /// Protects an RTP packet held in an array; see `protectRTP(_:into:)`.
    public func protectRTP(_ packet: [UInt8], into out: inout [UInt8]) throws(SRTPError) {
        try protectRTP(packet[...], into: &out)
    }

    /// Protects an RTP packet and returns the SRTP packet in a new array (allocates; prefer `into:` on hot paths).
    public func protectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        var out = [UInt8]()
        try protectRTP(packet, into: &out)
        return out
    }

    /// Protects the RTP packet in `packet` in place, appending the tag.
    public func protectRTP(inPlace packet: inout [UInt8]) throws(SRTPError) {
        try transformInPlace(&packet, grow: profile.rtpTagLength) { i, o throws(SRTPError) in try protectRTPRaw(i, o) }
    }

    /// Verifies and decrypts an SRTP packet (RFC 3711 §3.3; RFC 7714 §8.2), writing the RTP packet to `out`.
    ///
    /// State (rollover counter, replay window) changes only when the packet authenticates.
    /// - Parameters:
    ///   - packet: an SRTP packet as received.
    ///   - out: receives the RTP packet (`packet.count - profile.rtpTagLength` bytes); emptied on error.
    /// - Throws: `SRTPError` `.authenticationFailed` (bad tag, wrong key, tampering), `.replayed`, `.tooOld`,
    ///   `.truncated`, `.malformedHeader`, `.packetTooLarge`, `.tooManyStreams`, `.cryptoFailure`.
    public func unprotectRTP(_ packet: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(SRTPError) {
        try write(into: &out, capacity: packet.count) { o throws(SRTPError) in try unprotectRTPRaw(packet, o) }
    }

    /// Unprotects an SRTP packet held in an array slice; see `unprotectRTP(_:into:)`.
    public func unprotectRTP(_ packet: ArraySlice<UInt8>, into out: inout [UInt8]) throws(SRTPError) {
        try withBytes(packet) { p throws(SRTPError) in try unprotectRTP(p, into: &out) }
    }

    /// Unprotects an SRTP packet held in an array; see `unprotectRTP(_:into:)`.
    public func unprotectRTP(_ packet: [UInt8], into out: inout [UInt8]) throws(SRTPError) {
        try unprotectRTP(packet[...], into: &out)
    }

    /// Unprotects an SRTP packet and returns the RTP packet in a new array.
    public func unprotectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        var out = [UInt8]()
        try unprotectRTP(packet, into: &out)
        return out
    }

    /// Unprotects the SRTP packet in `packet` in place, removing the tag. On error `packet` keeps its length but its
    /// bytes are unspecified (AES-GCM decrypts before the tag is checked): drop it.
    public func unprotectRTP(inPlace packet: inout [UInt8]) throws(SRTPError) {
        try transformInPlace(&packet, grow: 0) { i, o throws(SRTPError) in try unprotectRTPRaw(i, o) }
    }

    /// Protects an RTCP compound packet (RFC 3711 §3.4; RFC 7714 §9), encrypted (E = 1), with the next SRTCP
    /// index of its sender SSRC (the first is 0), writing the SRTCP packet to `out`.
    /// - Throws: `SRTPError` `.truncated`, `.malformedHeader`, `.packetTooLarge`, `.tooManyStreams`,
    ///   `.indexExhausted` (after 2^31 packets), `.cryptoFailure`.
    public func protectRTCP(_ packet: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(SRTPError) {
        try write(into: &out, capacity: packet.count + rtcpOverhead) { o throws(SRTPError) in
            try protectRTCPRaw(packet, o)
        }
    }

    /// Protects an RTCP packet held in an array slice; see `protectRTCP(_:into:)`.
    public func protectRTCP(_ packet: ArraySlice<UInt8>, into out: inout [UInt8]) throws(SRTPError) {
        try withBytes(packet) { p throws(SRTPError) in try protectRTCP(p, into: &out) }
    }

    /// Protects an RTCP packet held in an array; see `protectRTCP(_:into:)`.
    public func protectRTCP(_ packet: [UInt8], into out: inout [UInt8]) throws(SRTPError) {
        try protectRTCP(packet[...], into: &out)
    }

    /// Protects an RTCP packet and returns the SRTCP packet in a new array.
    public func protectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        var out = [UInt8]()
        try protectRTCP(packet, into: &out)
        return out
    }

    /// Protects the RTCP packet in `packet` in place, appending the index word and tag.
    public func protectRTCP(inPlace packet: inout [UInt8]) throws(SRTPError) {
        try transformInPlace(&packet, grow: rtcpOverhead) { i, o throws(SRTPError) in try protectRTCPRaw(i, o) }
    }

    /// Verifies and, when its E flag is set, decrypts an SRTCP packet (RFC 3711 §3.4; RFC 7714 §9), writing the
    /// RTCP packet to `out`. The SRTCP replay window changes only when the packet authenticates.
    /// - Throws: `SRTPError` `.authenticationFailed`, `.replayed`, `.tooOld`, `.truncated`, `.malformedHeader`,
    ///   `.packetTooLarge`, `.tooManyStreams`, `.cryptoFailure`.
    public func unprotectRTCP(_ packet: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(SRTPError) {
        try write(into: &out, capacity: packet.count) { o throws(SRTPError) in try unprotectRTCPRaw(packet, o) }
    }

    /// Unprotects an SRTCP packet held in an array slice; see `unprotectRTCP(_:into:)`.
    public func unprotectRTCP(_ packet: ArraySlice<UInt8>, into out: inout [UInt8]) throws(SRTPError) {
        try withBytes(packet) { p throws(SRTPError) in try unprotectRTCP(p, into: &out) }
    }

    /// Unprotects an SRTCP packet held in an array; see `unprotectRTCP(_:into:)`.
    public func unprotectRTCP(_ packet: [UInt8], into out: inout [UInt8]) throws(SRTPError) {
        try unprotectRTCP(packet[...], into: &out)
    }

    /// Unprotects an SRTCP packet and returns the RTCP packet in a new array.
    public func unprotectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        var out = [UInt8]()
        try unprotectRTCP(packet, into: &out)
        return out
    }

    /// Unprotects the SRTCP packet in `packet` in place. On error `packet` keeps its length but its bytes are
    /// unspecified: drop it.
    public func unprotectRTCP(inPlace packet: inout [UInt8]) throws(SRTPError) {
        try transformInPlace(&packet, grow: 0) { i, o throws(SRTPError) in try unprotectRTCPRaw(i, o) }
    }

    // MARK: - Plumbing

    /// Sizes `out` to `capacity`, runs `body` on its bytes, then trims it to the length written.
    @inline(__always)
    private func write(
        into out: inout [UInt8], capacity: Int,
        _ body: (UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int
    ) throws(SRTPError) {
        resize(&out, to: capacity)
        let result: Result<Int, SRTPError> = out.withUnsafeMutableBytes { o in
            do throws(SRTPError) { return .success(try body(o)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let length): resize(&out, to: length)
        case .failure(let error):
            out.removeAll(keepingCapacity: true)
            throw error
        }
    }

    /// Grows `packet` by `grow` bytes, runs `body` with the original bytes as input and the whole buffer as output,
    /// then trims to the length written; restores the original length on error.
    @inline(__always)
    private func transformInPlace(
        _ packet: inout [UInt8], grow: Int,
        _ body: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int
    ) throws(SRTPError) {
        let n = packet.count
        resize(&packet, to: n + grow)
        let result: Result<Int, SRTPError> = packet.withUnsafeMutableBytes { o in
            let input = UnsafeRawBufferPointer(rebasing: o[0..<n])
            do throws(SRTPError) { return .success(try body(input, o)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let length): resize(&packet, to: length)
        case .failure(let error):
            resize(&packet, to: n)
            throw error
        }
    }

    @inline(__always)
    private func withBytes(
        _ slice: ArraySlice<UInt8>, _ body: (UnsafeRawBufferPointer) throws(SRTPError) -> Void
    ) throws(SRTPError) {
        let result: Result<Void, SRTPError> = slice.withUnsafeBytes { p in
            do throws(SRTPError) { try body(p); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    @inline(__always)
    private func resize(_ buffer: inout [UInt8], to count: Int) {
        let current = buffer.count
        if count > current {
            buffer.append(contentsOf: repeatElement(0, count: count - current))
        } else if count < current {
            buffer.removeLast(current - count)
        }
    }
}

// SRTP packet processing (RFC 3711 §3.3; RFC 7714 §8), on raw buffers. `input` and `output` may be the same memory
// (in-place): every write lands at the offset it was read from, or after the input's end.

extension SRTPContext {
    /// Protects the RTP packet in `input`, writing `input.count + profile.rtpTagLength` bytes to `output`.
    /// - Returns: bytes written.
    func protectRTPRaw(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int {
        let n = input.count
        guard n <= SRTPContext.maxPacketSize else {
            throw SRTPError(.packetTooLarge, field: "RTP packet", "\(n) bytes")
        }
        let h = try RawPacket.rtpHeaderLength(input, limit: n)
        let tag = profile.rtpTagLength
        guard output.count >= n + tag, let inBase = input.baseAddress, let outBase = output.baseAddress else {
            throw SRTPError(.truncated, field: "output buffer", "needs \(n + tag) bytes")
        }
        let seq = RawPacket.uint16(input, 2)
        let ssrc = RawPacket.uint32(input, 8)

        let index: UInt64
        if let highest = outboundRTP[ssrc] {
            guard let estimated = SRTPIndexEstimation.estimate(seq: seq, highest: highest) else {
                if SRTPIndexEstimation.isAtEnd(highest) {
                    throw SRTPError(.indexExhausted, field: "SRTP index", "re-key after 2^48 packets")
                }
                throw SRTPError(.tooOld, field: "RTP sequence number", offset: 2, "before the stream began")
            }
            index = estimated
            if index > highest { outboundRTP[ssrc] = index }
        } else {
            guard outboundRTP.count < configuration.maxStreams else {
                throw SRTPError(.tooManyStreams, field: "SSRC", offset: 8, "cap \(configuration.maxStreams)")
            }
            index = UInt64(seq)
            outboundRTP[ssrc] = index
        }
        let roc = UInt32(truncatingIfNeeded: index >> 16)

        if inBase != UnsafeRawPointer(outBase) { outBase.copyMemory(from: inBase, byteCount: h) }
        let t = rtp
        switch t.kind {
        case .counterMode(let ctr, let hmac):
            t.counterModeIV(ssrc: ssrc, index: index)
            guard ctr.apply(iv: t.iv, input: inBase + h, output: outBase + h, count: n - h) else {
                throw SRTPError(.cryptoFailure, field: "AES-CM encrypt")
            }
            RawPacket.store(roc, t.word)
            guard hmac.compute(UnsafeRawPointer(outBase), count: n, suffix: t.word, suffixCount: 4, into: t.mac) else {
                throw SRTPError(.cryptoFailure, field: "HMAC-SHA1")
            }
            (outBase + n).copyMemory(from: t.mac, byteCount: tag)
        case .gcm(let gcm):
            t.gcmIV(ssrc: ssrc, high: roc, low: UInt32(seq), lowIsSequence: true)
            guard gcm.seal(iv: t.iv, aad1: UnsafeRawPointer(outBase), aad1Count: h, aad2: nil, aad2Count: 0,
                           input: inBase + h, output: outBase + h, count: n - h, tag: outBase + n) else {
                throw SRTPError(.cryptoFailure, field: "AES-GCM encrypt")
            }
        }
        return n + tag
    }

    /// Verifies and decrypts the SRTP packet in `input`, writing the RTP packet to `output`.
    /// - Returns: bytes written (`input.count - profile.rtpTagLength`).
    func unprotectRTPRaw(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int {
        let n = input.count
        guard n <= SRTPContext.maxPacketSize else {
            throw SRTPError(.packetTooLarge, field: "SRTP packet", "\(n) bytes")
        }
        let tag = profile.rtpTagLength
        guard n >= 12 + tag else {
            throw SRTPError(.truncated, field: "SRTP packet", offset: 0, "\(n) bytes, need \(12 + tag)")
        }
        let body = n - tag
        let h = try RawPacket.rtpHeaderLength(input, limit: body)
        guard output.count >= body, let inBase = input.baseAddress, let outBase = output.baseAddress else {
            throw SRTPError(.truncated, field: "output buffer", "needs \(body) bytes")
        }
        let seq = RawPacket.uint16(input, 2)
        let ssrc = RawPacket.uint32(input, 8)

        let window = inboundRTP[ssrc]
        let index: UInt64
        if let window {
            guard let estimated = SRTPIndexEstimation.estimate(seq: seq, highest: window.highest) else {
                throw SRTPError(.tooOld, field: "RTP sequence number", offset: 2, "before the stream began")
            }
            index = estimated
            switch window.check(index) {
            case .fresh: break
            case .replayed: throw SRTPError(.replayed, field: "SRTP index", offset: 2, "index \(index)")
            case .tooOld: throw SRTPError(.tooOld, field: "SRTP index", offset: 2, "index \(index)")
            }
        } else {
            guard inboundRTP.count < configuration.maxStreams else {
                throw SRTPError(.tooManyStreams, field: "SSRC", offset: 8, "cap \(configuration.maxStreams)")
            }
            index = UInt64(seq)
        }
        let roc = UInt32(truncatingIfNeeded: index >> 16)

        let t = rtp
        switch t.kind {
        case .counterMode(let ctr, let hmac):
            RawPacket.store(roc, t.word)
            guard hmac.compute(inBase, count: body, suffix: t.word, suffixCount: 4, into: t.mac) else {
                throw SRTPError(.cryptoFailure, field: "HMAC-SHA1")
            }
            guard constantTimeEqual(inBase + body, t.mac, count: tag) else {
                throw SRTPError(.authenticationFailed, field: "SRTP authentication tag", offset: body)
            }
            if inBase != UnsafeRawPointer(outBase) { outBase.copyMemory(from: inBase, byteCount: h) }
            t.counterModeIV(ssrc: ssrc, index: index)
            guard ctr.apply(iv: t.iv, input: inBase + h, output: outBase + h, count: body - h) else {
                throw SRTPError(.cryptoFailure, field: "AES-CM decrypt")
            }
        case .gcm(let gcm):
            t.gcmIV(ssrc: ssrc, high: roc, low: UInt32(seq), lowIsSequence: true)
            guard gcm.open(iv: t.iv, aad1: inBase, aad1Count: h, aad2: nil, aad2Count: 0,
                           input: inBase + h, output: outBase + h, count: body - h, tag: inBase + body) else {
                throw SRTPError(.authenticationFailed, field: "SRTP AES-GCM tag", offset: body)
            }
            if inBase != UnsafeRawPointer(outBase) { outBase.copyMemory(from: inBase, byteCount: h) }
        }

        if let window {
            window.accept(index)
        } else {
            inboundRTP[ssrc] = SRTPReplayWindow(size: configuration.replayWindowSize, first: index)
        }
        return body
    }
}

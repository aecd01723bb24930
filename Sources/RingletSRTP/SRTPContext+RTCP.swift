// SRTCP packet processing (RFC 3711 §3.4; RFC 7714 §9). `input` and `output` may be the same memory.

extension SRTPContext {
    /// Bytes SRTCP adds to an RTCP packet: the E flag and index word plus the tag.
    var rtcpOverhead: Int { 4 + profile.rtcpTagLength }

    /// Protects the RTCP compound packet in `input` with the next SRTCP index of its sender SSRC.
    /// - Parameter encrypt: the E flag; false authenticates without encrypting (RFC 3711 §3.4, RFC 7714 §9.2).
    /// - Returns: bytes written (`input.count + rtcpOverhead`).
    func protectRTCPRaw(
        _ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer, encrypt: Bool = true
    ) throws(SRTPError) -> Int {
        let n = input.count
        guard n <= SRTPContext.maxPacketSize else {
            throw SRTPError(.packetTooLarge, field: "RTCP packet", "\(n) bytes")
        }
        guard n >= 8 else { throw SRTPError(.truncated, field: "RTCP header", offset: 0, "\(n) bytes, need 8") }
        guard input[0] >> 6 == 2 else {
            throw SRTPError(.malformedHeader, field: "RTCP version", offset: 0, "version \(input[0] >> 6)")
        }
        let total = n + rtcpOverhead
        guard output.count >= total, let inBase = input.baseAddress, let outBase = output.baseAddress else {
            throw SRTPError(.truncated, field: "output buffer", "needs \(total) bytes")
        }
        let ssrc = RawPacket.uint32(input, 4)
        let index: UInt32
        if let next = outboundRTCP[ssrc] {
            guard next <= 0x7FFF_FFFF else {
                throw SRTPError(.indexExhausted, field: "SRTCP index", "re-key after 2^31 packets")
            }
            index = next
        } else {
            guard outboundRTCP.count < configuration.maxStreams else {
                throw SRTPError(.tooManyStreams, field: "SSRC", offset: 4, "cap \(configuration.maxStreams)")
            }
            index = 0
        }
        outboundRTCP[ssrc] = index + 1
        let eIndex = (encrypt ? 0x8000_0000 : 0) | index

        let t = rtcp
        switch t.kind {
        case .counterMode(let ctr, let hmac):
            if encrypt {
                if inBase != UnsafeRawPointer(outBase) { outBase.copyMemory(from: inBase, byteCount: 8) }
                t.counterModeIV(ssrc: ssrc, index: UInt64(index))
                guard ctr.apply(iv: t.iv, input: inBase + 8, output: outBase + 8, count: n - 8) else {
                    throw SRTPError(.cryptoFailure, field: "AES-CM encrypt")
                }
            } else if inBase != UnsafeRawPointer(outBase) {
                outBase.copyMemory(from: inBase, byteCount: n)
            }
            RawPacket.store(eIndex, outBase + n)
            guard hmac.compute(UnsafeRawPointer(outBase), count: n + 4, suffix: nil, suffixCount: 0, into: t.mac) else {
                throw SRTPError(.cryptoFailure, field: "HMAC-SHA1")
            }
            (outBase + n + 4).copyMemory(from: t.mac, byteCount: profile.rtcpTagLength)
        case .gcm(let gcm):
            RawPacket.store(eIndex, t.word)
            t.gcmIV(ssrc: ssrc, high: 0, low: index, lowIsSequence: false)
            let aadCount = encrypt ? 8 : n
            if inBase != UnsafeRawPointer(outBase) { outBase.copyMemory(from: inBase, byteCount: aadCount) }
            guard gcm.seal(iv: t.iv, aad1: UnsafeRawPointer(outBase), aad1Count: aadCount, aad2: t.word, aad2Count: 4,
                           input: inBase + aadCount, output: outBase + aadCount, count: n - aadCount,
                           tag: outBase + n) else {
                throw SRTPError(.cryptoFailure, field: "AES-GCM encrypt")
            }
            RawPacket.store(eIndex, outBase + n + AESGCM.tagLength)
        }
        return total
    }

    /// Verifies and (when the E flag is set) decrypts the SRTCP packet in `input`, writing the RTCP packet.
    /// - Returns: bytes written (`input.count - rtcpOverhead`).
    func unprotectRTCPRaw(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int {
        let n = input.count
        guard n <= SRTPContext.maxPacketSize else {
            throw SRTPError(.packetTooLarge, field: "SRTCP packet", "\(n) bytes")
        }
        let tag = profile.rtcpTagLength
        guard n >= 8 + 4 + tag else {
            throw SRTPError(.truncated, field: "SRTCP packet", offset: 0, "\(n) bytes, need \(12 + tag)")
        }
        guard input[0] >> 6 == 2 else {
            throw SRTPError(.malformedHeader, field: "RTCP version", offset: 0, "version \(input[0] >> 6)")
        }
        let body = n - 4 - tag
        guard output.count >= body, let inBase = input.baseAddress, let outBase = output.baseAddress else {
            throw SRTPError(.truncated, field: "output buffer", "needs \(body) bytes")
        }
        let ssrc = RawPacket.uint32(input, 4)
        let isAEAD = profile.isAEAD
        // AES-CM: ... || E|index || tag.  AES-GCM: ... || tag || E|index (RFC 7714 §9.2).
        let wordOffset = isAEAD ? n - 4 : body
        let eIndex = RawPacket.uint32(input, wordOffset)
        let encrypted = eIndex & 0x8000_0000 != 0
        let index = eIndex & 0x7FFF_FFFF

        let window = inboundRTCP[ssrc]
        if let window {
            switch window.check(UInt64(index)) {
            case .fresh: break
            case .replayed: throw SRTPError(.replayed, field: "SRTCP index", offset: wordOffset, "index \(index)")
            case .tooOld: throw SRTPError(.tooOld, field: "SRTCP index", offset: wordOffset, "index \(index)")
            }
        } else {
            guard inboundRTCP.count < configuration.maxStreams else {
                throw SRTPError(.tooManyStreams, field: "SSRC", offset: 4, "cap \(configuration.maxStreams)")
            }
        }

        let t = rtcp
        switch t.kind {
        case .counterMode(let ctr, let hmac):
            guard hmac.compute(inBase, count: body + 4, suffix: nil, suffixCount: 0, into: t.mac) else {
                throw SRTPError(.cryptoFailure, field: "HMAC-SHA1")
            }
            guard constantTimeEqual(inBase + body + 4, t.mac, count: tag) else {
                throw SRTPError(.authenticationFailed, field: "SRTCP authentication tag", offset: body + 4)
            }
            if encrypted {
                if inBase != UnsafeRawPointer(outBase) { outBase.copyMemory(from: inBase, byteCount: 8) }
                t.counterModeIV(ssrc: ssrc, index: UInt64(index))
                guard ctr.apply(iv: t.iv, input: inBase + 8, output: outBase + 8, count: body - 8) else {
                    throw SRTPError(.cryptoFailure, field: "AES-CM decrypt")
                }
            } else if inBase != UnsafeRawPointer(outBase) {
                outBase.copyMemory(from: inBase, byteCount: body)
            }
        case .gcm(let gcm):
            t.gcmIV(ssrc: ssrc, high: 0, low: index, lowIsSequence: false)
            let aadCount = encrypted ? 8 : body
            guard gcm.open(iv: t.iv, aad1: inBase, aad1Count: aadCount, aad2: inBase + wordOffset, aad2Count: 4,
                           input: inBase + aadCount, output: outBase + aadCount, count: body - aadCount,
                           tag: inBase + body) else {
                throw SRTPError(.authenticationFailed, field: "SRTCP AES-GCM tag", offset: body)
            }
            if inBase != UnsafeRawPointer(outBase) { outBase.copyMemory(from: inBase, byteCount: aadCount) }
        }

        if let window {
            window.accept(UInt64(index))
        } else {
            inboundRTCP[ssrc] = SRTPReplayWindow(size: configuration.replayWindowSize, first: UInt64(index))
        }
        return body
    }
}

/// Fuzz entry points for SRTP/SRTCP unprotection (libFuzzer shims call these). SPI: never reachable from the
/// network, so the round-trip check below may trap — that is the bug a fuzzer should find.
@_spi(Fuzzing)
public enum SRTPFuzz {
    /// The suites, picked by the first input byte modulo 3.
    static let profiles: [SRTPProtectionProfile] = [.aes128CmHmacSha1_80, .aes128CmHmacSha1_32, .aeadAes128Gcm]

    static func contexts(_ selector: UInt8) -> (sender: SRTPContext, receiver: SRTPContext)? {
        let profile = profiles[Int(selector % 3)]
        let key = SRTPMasterKey(
            key: (0..<UInt8(16)).map { $0 &* 7 &+ 1 },
            salt: (0..<UInt8(profile.masterSaltLength)).map { $0 &* 13 &+ 5 })
        do throws(SRTPError) {
            let config = SRTPContext.Configuration(replayWindowSize: 128, maxStreams: 4)
            return (try SRTPContext(profile: profile, masterKey: key, configuration: config),
                    try SRTPContext(profile: profile, masterKey: key, configuration: config))
        } catch {
            return nil
        }
    }

    /// Runs `unprotectRTP` on `data[1...]` with fixed keys of the suite chosen by `data[0]`; then, if those bytes
    /// are a well-formed RTP packet, checks that protect → unprotect gives them back, out of place and in place.
    public static func unprotectRTP(_ data: [UInt8]) {
        guard let selector = data.first, let (sender, receiver) = contexts(selector) else { return }
        let packet = data[1...]
        var out = [UInt8]()
        _ = try? receiver.unprotectRTP(packet, into: &out)

        var protected = [UInt8]()
        do throws(SRTPError) { try sender.protectRTP(packet, into: &protected) } catch { return }
        var back = [UInt8]()
        let fresh = contexts(selector)
        guard let check = fresh?.receiver else { return }
        do throws(SRTPError) {
            try check.unprotectRTP(protected, into: &back)
        } catch {
            fatalError("SRTP round trip failed to unprotect: \(error)")
        }
        guard back[...] == packet else { fatalError("SRTP round trip changed the packet") }
        // In place, with a second pair of contexts so the indices start afresh.
        guard let (s2, r2) = contexts(selector) else { return }
        var buffer = Array(packet)
        do throws(SRTPError) {
            try s2.protectRTP(inPlace: &buffer)
            guard buffer == protected else { fatalError("in-place SRTP protect differs from out of place") }
            try r2.unprotectRTP(inPlace: &buffer)
        } catch {
            fatalError("in-place SRTP round trip failed: \(error)")
        }
        guard buffer[...] == packet else { fatalError("in-place SRTP round trip changed the packet") }
    }

    /// Runs `unprotectRTCP` on `data[1...]` with fixed keys of the suite chosen by `data[0]`; then, if those bytes
    /// could be RTCP (8 bytes or more, version 2), checks that protect → unprotect gives them back.
    public static func unprotectRTCP(_ data: [UInt8]) {
        guard let selector = data.first, let (sender, receiver) = contexts(selector) else { return }
        let packet = data[1...]
        var out = [UInt8]()
        _ = try? receiver.unprotectRTCP(packet, into: &out)

        var protected = [UInt8]()
        do throws(SRTPError) { try sender.protectRTCP(packet, into: &protected) } catch { return }
        guard let check = contexts(selector)?.receiver else { return }
        var back = [UInt8]()
        do throws(SRTPError) {
            try check.unprotectRTCP(protected, into: &back)
        } catch {
            fatalError("SRTCP round trip failed to unprotect: \(error)")
        }
        guard back[...] == packet else { fatalError("SRTCP round trip changed the packet") }
    }
}

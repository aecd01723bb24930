/// Fuzz entry points for RingletSDP (libFuzzer shims in the fuzz package call these).
@_spi(Fuzzing)
public enum SDPFuzz {
    /// Parses `data` as SDP text. On success: prints it, parses the print, and requires an equal value and
    /// an identical second print; when the input used CRLF line endings throughout, the print must equal the
    /// input byte for byte. Then runs the WebRTC view (requiring every candidate to print back to an equal
    /// value) and the answerer, ignoring their errors. Traps only when one of these invariants breaks.
    public static func sessionDescription(_ data: [UInt8]) {
        guard let sdp = try? SessionDescription(parsing: data) else { return }
        let printed = sdp.bytes
        guard let again = try? SessionDescription(parsing: printed) else {
            fatalError("SDP print does not parse again")
        }
        guard again == sdp, again.bytes == printed else { fatalError("SDP print/parse is not stable") }
        guard printed.count == sdp.encodedSize else { fatalError("encodedSize disagrees with encode") }
        if usesCRLF(data), printed != data { fatalError("SDP print differs from a CRLF input") }
        if let view = try? WebRTCSessionView(sdp) {
            for m in view.media {
                for c in m.candidates where (try? ICECandidateLine(parsing: c.trickleText)) != c {
                    fatalError("candidate print/parse is not stable")
                }
            }
        }
        if let local = fuzzLocal {
            _ = try? SessionDescription.answer(to: sdp, local: local)
        }
    }

    /// Whether every line of `data` ends with CRLF (so that printing must reproduce it).
    static func usesCRLF(_ data: [UInt8]) -> Bool {
        guard data.last == 0x0A else { return false }
        var previous: UInt8 = 0
        for b in data {
            if b == 0x0A && previous != 0x0D { return false }
            previous = b
        }
        return true
    }

    static let fuzzLocal: SDPLocalCapabilities? = {
        guard let ice = try? ICEParameters(usernameFragment: "fuzz", password: "fuzzfuzzfuzzfuzzfuzzfuzz"),
            let fp = try? DTLSFingerprint(algorithm: "sha-256", bytes: [UInt8](repeating: 0xAB, count: 32))
        else { return nil }
        return SDPLocalCapabilities(ice: ice, fingerprint: fp, sessionID: 1)
    }()
}

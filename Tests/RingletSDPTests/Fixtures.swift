import Foundation
import RingletCore
import Testing

@testable import RingletSDP

/// Test helpers: vector loading and a fixed local side.
enum Fixtures {
    /// The bytes of a vector file in `Vectors/`.
    static func vector(_ name: String, _ ext: String = "sdp") throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Vectors"))
        return [UInt8](try Data(contentsOf: url))
    }

    static func chromiumOffer() throws -> SessionDescription {
        try SessionDescription(parsing: try vector("chromium-offer"))
    }

    /// A fixed local side: values a device would take from its stored certificate and a random source.
    static func local(
        audio: SDPLocalMedia? = SDPLocalMedia(codecs: [.opus, .pcmu, .pcma], ssrc: 1111,
                                              msid: MediaStreamID(streamID: "ringlet", trackID: "audio")),
        video: SDPLocalMedia? = SDPLocalMedia(codecs: [.h264], ssrc: 2222,
                                              msid: MediaStreamID(streamID: "ringlet", trackID: "video")),
        candidates: [ICECandidateLine] = []
    ) throws -> SDPLocalCapabilities {
        var rng = SeededRandom(seed: 42)
        return SDPLocalCapabilities(
            ice: try ICEParameters(usernameFragment: "rGlt", password: "ringletringletringlet01"),
            fingerprint: try DTLSFingerprint(algorithm: "sha-256", bytes: rng.bytes(32)),
            sessionID: 1_234_567_890_123, sessionVersion: 2, audio: audio, video: video,
            cname: "ringletcname", candidates: candidates, endOfCandidates: !candidates.isEmpty)
    }

    static func hostCandidate() throws -> ICECandidateLine {
        try ICECandidateLine(
            foundation: "1", component: 1, transport: "udp", priority: 2_122_260_223, address: "127.0.0.1",
            port: 50_000, type: .host, extensions: [.init("generation", "0")])
    }

    /// The text of `sdp` with one line (matched by prefix) removed.
    static func removingLines(_ text: String, prefix: String) -> String {
        text.components(separatedBy: "\r\n").filter { !$0.hasPrefix(prefix) }.joined(separator: "\r\n")
    }
}

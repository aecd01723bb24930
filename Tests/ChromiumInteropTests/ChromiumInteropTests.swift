import Foundation
import RingletBrowserHarness
import Testing

/// Proves the harness before the engine: namespace, Chromium launch, page serving and the report channel.
@Suite("Chromium harness", .serialized, .timeLimit(.minutes(2)))
struct ChromiumHarnessTests {
    @Test("a loopback call inside the page decodes H.264 video frames and receives audio, reported over /report")
    func loopbackCall() async throws {
        try await ChromiumHarness.withHarness { h in
            try h.launchChromium(query: "mode=loopback&tag=loopback&codec=H264")
            let loaded = await h.waitForReport("loopback", timeout: .seconds(30)) { _ in true }
            let started = try #require(h.chromiumStarted)
            let loadedAt = ContinuousClock.now
            #expect(loaded != nil, "page never reported; chromium log:\n\(h.log("chromium.log"))")
            let report = await h.waitForReport("loopback", timeout: .seconds(30)) { r in
                string(r, "connectionState") == "connected" && number(r, "inboundVideo", "framesDecoded") > 0
                    && number(r, "inboundAudio", "packetsReceived") > 0
            }
            let connectedAt = ContinuousClock.now
            let last = h.server.report("loopback")
            #expect(report != nil, "no decoded frames; last report: \(String(describing: last))\n\(h.log("chromium.log"))")
            #expect(number(report, "inboundVideo", "framesDecoded") > 0)
            #expect(number(report, "inboundAudio", "totalSamplesReceived") > 0)
            #expect(string(report, "inboundVideo", "codec")?.hasPrefix("video/H264") == true)
            #expect(string(report, "selectedPair", "localType") == "host")
            #expect((report?["errors"] as? [Any])?.isEmpty == true)
            let pageRequested = h.server.firstPageRequest.map { $0 - started }
            print("""
                chromium timings: page requested after \(pageRequested.map { "\($0)" } ?? "?"), \
                first report after \(loadedAt - started), connected with frames after \(connectedAt - started); \
                codec \(string(report, "inboundVideo", "codec") ?? "?"), \
                decoder \(string(report, "inboundVideo", "decoderImplementation") ?? "?"), \
                encoder \(string(report, "sender", "outboundVideo", "encoderImplementation") ?? "?")
                """)
        }
    }

    @Test("the signaling mailboxes hand each side what the other posted, and candidates drain once")
    func mailboxes() {
        let server = SignalingServer(pagesDirectory: URL(fileURLWithPath: "/nonexistent"))
        server.post("offer", from: .page, Data("o".utf8))
        #expect(server.take("offer", for: .page) == nil)
        #expect(server.take("offer", for: .swift) == Data("o".utf8))
        server.post("candidate", from: .swift, Data("c1".utf8))
        server.post("candidate", from: .swift, Data("c2".utf8))
        #expect(server.takeCandidates(for: .swift).isEmpty)
        #expect(server.takeCandidates(for: .page) == [Data("c1".utf8), Data("c2".utf8)])
        #expect(server.takeCandidates(for: .page).isEmpty)
        let (status, _, body) = server.respond(method: .GET, uri: "/candidate?for=page", body: Data())
        #expect(status == .ok)
        #expect(body == Data("[]".utf8))
        #expect(server.respond(method: .GET, uri: "/pages/../etc/passwd", body: Data()).0 == .notFound)
    }
}

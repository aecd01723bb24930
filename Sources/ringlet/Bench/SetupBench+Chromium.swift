import Foundation
import RingletBrowserHarness

/// `ringlet bench setup`, Chromium ↔ Swift: Debian's headless Chromium in a private network namespace with only
/// `lo` up (fake camera and microphone, `--allow-loopback-in-peer-connection`) against the Swift engine on that
/// namespace's 127.0.0.1 — the harness of Tests/ChromiumInteropTests (RingletBrowserHarness), one fresh browser
/// and namespace per call, Chromium offering and Swift offering.
///
/// Every phase is measured from the offerer's offer (Chromium's `setLocalDescription`, or the engine's
/// `createOffer`), on both sides: the engine's own instants (ICE connected, DTLS connected = `readyToSend`, first
/// whole video frame assembled from Chromium's stream) and Chromium's (`iceConnectionState` connected,
/// `connectionState` connected = DTLS done, first decoded frame of the engine's stream from `getStats`, polled every
/// 20 ms), Chromium's wall-clock marks mapped onto the engine's clock. Signaling goes through the harness's HTTP
/// mailboxes (polled every 10 ms by the engine side and 20 ms by the page), so the offer → ICE phases include it.
enum ChromiumSetupBench {
    /// One call's phases in ms, per side: "swift_receives" and "chromium_receives".
    typealias Phases = [String: [String: Double]]

    /// Runs `rounds` calls per offer direction and returns, per direction, per side, per phase: min/median/max.
    static func runBlocking(rounds: Int, verbose: Bool) throws -> [String: [String: [String: PhaseRange]]] {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                box.set(.success(try await run(rounds: rounds, verbose: verbose)))
            } catch {
                box.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        return try box.get()
    }

    static func run(rounds: Int, verbose: Bool) async throws -> [String: [String: [String: PhaseRange]]] {
        var out: [String: [String: [String: PhaseRange]]] = [:]
        for offerer in Offerer.allCases {
            var samples: [String: [String: [Double]]] = [:]
            for round in 0..<rounds {
                let phases = try await call(offerer: offerer, round: round, verbose: verbose)
                for (side, values) in phases {
                    for (phase, v) in values { samples[side, default: [:]][phase, default: []].append(v) }
                }
            }
            out["\(offerer)_offers"] = samples.mapValues { $0.mapValues(PhaseRange.init) }
        }
        return out
    }

    private static func call(offerer: Offerer, round: Int, verbose: Bool) async throws -> Phases {
        let r = try await runEngineCall(offerer: offerer, relay: false, timeout: .seconds(20), log: { line in
            if verbose { FileHandle.standardError.write(Data("[\(offerer) offers, round \(round)] \(line)\n".utf8)) }
        })
        let t = r.timeline
        let origin = offerer == .swift ? t["offer"] : t["chromium.offer"]
        guard let origin, r.engine.firstVideoKeyframe == true,
              let ice = t["iceConnected"], let dtls = t["dtlsConnected"], let first = t["firstVideoFrame"],
              let cIce = t["chromium.iceConnected"], let cDTLS = t["chromium.connected"],
              let cFirst = t["chromium.firstDecoded"]
        else {
            throw BenchError("Chromium ↔ Swift, \(offerer) offers, round \(round): the call did not reach first frames "
                + "both ways in 20 s (timeline \(t.sorted { $0.value < $1.value }.map { "\($0.key)=\(Int($0.value))" }), "
                + "engine video in \(r.engine.videoReceived), first keyframe \(String(describing: r.engine.firstVideoKeyframe)))")
        }
        return [
            "swift_receives": [
                "offer_to_ice_connected_ms": ice - origin,
                "offer_to_dtls_connected_ms": dtls - origin,
                "offer_to_first_video_frame_ms": first - origin,
                "dtls_connected_to_first_video_frame_ms": first - dtls,
            ],
            "chromium_receives": [
                "offer_to_ice_connected_ms": cIce - origin,
                "offer_to_dtls_connected_ms": cDTLS - origin,
                "offer_to_first_video_frame_ms": cFirst - origin,
                // From the engine's DTLS connected (its driver clock): Chromium's `connectionState` event can be
                // observed after its first decoded frame, so it is no precise start mark.
                "dtls_connected_to_first_video_frame_ms": cFirst - dtls,
            ],
        ]
    }

    /// Hands the detached task's result to the blocked command thread.
    private final class ResultBox: @unchecked Sendable {
        // @unchecked Sendable: written once by the task before `signal`, read after `wait`.
        private var result: Result<[String: [String: [String: PhaseRange]]], any Error> = .failure(BenchError("no result"))
        func set(_ r: Result<[String: [String: [String: PhaseRange]]], any Error>) { result = r }
        func get() throws -> [String: [String: [String: PhaseRange]]] { try result.get() }
    }
}

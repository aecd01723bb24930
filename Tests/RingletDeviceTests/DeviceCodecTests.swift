import Foundation
import RingletDevice
import RingletPhone
import RingletRTP
import RingletSampleMedia
import RingletSDP
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// The audio codec a call negotiates reaches the app (issue 15, item 3): the device offers what the app declared,
/// the peer chooses, `onGetAvEncInfo` receives the choice, and the device's audio arrives in it.
extension DeviceCallTests {
    /// Nested in the facade's serialized suite: the facade is one singleton, so its tests never run side by side.
    @Suite("The device SDK: negotiated codecs reach the app", .serialized, .timeLimit(.minutes(10)))
    struct Codecs {
        static let allThree = [IV_CM_AENC_TYPE_G711U, IV_CM_AENC_TYPE_G711A, IV_CM_AENC_TYPE_OPUS]

        @Test("whatever audio codec the phone answers with (PCMU, PCMA, Opus), onGetAvEncInfo names it and the phone gets the device's tone in it",
              arguments: [
                  ([RingletCodec.pcmu, .pcma, .opus], IV_CM_AENC_TYPE_G711U),
                  ([RingletCodec.pcma, .opus, .pcmu], IV_CM_AENC_TYPE_G711A),
                  ([RingletCodec.opus, .pcmu, .pcma], IV_CM_AENC_TYPE_OPUS),
              ])
        func answeredCodecReachesTheApp(phonePrefers: [RingletCodec], negotiated: Int) async throws {
            let received = try temporaryFolder(prefix: "ringlet-codec")
            defer { try? FileManager.default.removeItem(at: received) }
            try await withCall(policy: .answer(after: .milliseconds(200)), avt: AvtInitInfo(sendAudioTypes: Self.allThree),
                               phone: { c in
                                   c.audioCodecs = phonePrefers
                                   c.recordFolder = received.path
                               }) { lab, device, users, phones in
                #expect(await device.call(users[0]) == 0)
                #expect(await device.waitForMedia(phones[0], frames: 50), "\(device.recorder.log)")
                let offered = try #require(device.recorder.negotiated)
                #expect(offered.audioType == negotiated)
                #expect(offered.audioSampleRate == (negotiated == IV_CM_AENC_TYPE_OPUS ? 48000 : 8000))
                let stats = await phones[0].phone.statistics()
                #expect(stats.remoteAudioCodecs == ["pcmu", "pcma", "opus"], "the offer lists what the app declared")
                #expect(stats.audioCodec == phonePrefers[0].rawValue)
                #expect(device.recorder.player.counters.refused == 0)
                #expect(!device.recorder.log.contains("onNotify FORMAT_MISMATCH"))
                let callId = try #require(stats.callId)
                await phones[0].phone.hangUp()
                #expect(await poll(seconds: eventually) { device.recorder.log.contains("onStopRealPlay") })
                let audio = try [UInt8](Data(contentsOf: received.appendingPathComponent("\(callId).audio")))
                switch phonePrefers[0] {
                case .pcmu, .pcma:
                    // The phone's bytes decode to the device's 440 Hz tone.
                    let samples = G711.decode(audio, law: phonePrefers[0] == .pcmu ? .muLaw : .aLaw)
                    #expect(samples.count >= 50 * 160)
                    #expect(Tone.power(samples, hertz: 440, rate: 8000) > 100 * Tone.power(samples, hertz: 1000, rate: 8000))
                default:
                    // Opus: the phone received the bundled tone's packets, whole (Chromium decodes them below, in
                    // the web app's tests).
                    let packets = Set(SampleTone.opusPackets.map(\.bytes))
                    let got = Tone.opusPackets(in: audio, known: packets)
                    #expect(got >= 50, "\(got) of the tone's packets in \(audio.count) bytes")
                }
            }
        }

        @Test("an app that declares only G.711 never offers Opus: a phone that prefers Opus gets A-law, and the tone in it")
        func g711OnlyNeverOffersOpus() async throws {
            let declared = AvtInitInfo(sendAudioTypes: [IV_CM_AENC_TYPE_G711U, IV_CM_AENC_TYPE_G711A])
            try await withCall(policy: .answer(after: .milliseconds(200)), avt: declared,
                               phone: { $0.audioCodecs = [.opus, .pcma, .pcmu] }) { lab, device, users, phones in
                #expect(await device.call(users[0]) == 0)
                #expect(await device.waitForMedia(phones[0], frames: 20), "\(device.recorder.log)")
                let stats = await phones[0].phone.statistics()
                #expect(stats.remoteAudioCodecs == ["pcmu", "pcma"])
                #expect(stats.audioCodec == "pcma")
                #expect(device.recorder.negotiated?.audioType == IV_CM_AENC_TYPE_G711A)
                #expect(device.recorder.player.counters.refused == 0)
            }
        }

        @Test("a user's call is answered with the first of the device's declared codecs that the phone offered")
        func userCallAnsweredInDevicePreference() async throws {
            let declared = AvtInitInfo(sendAudioTypes: [IV_CM_AENC_TYPE_G711A, IV_CM_AENC_TYPE_OPUS])
            try await withCall(policy: .ignore, avt: declared,
                               phone: { $0.audioCodecs = [.opus, .pcmu, .pcma] }) { lab, device, users, phones in
                let result = await phones[0].phone.callDevice(sn: device.sn)
                #expect(result.code == .ok)
                #expect(await poll(seconds: eventually) { !device.recorder.joinRooms.isEmpty })
                #expect(await device.join(device.recorder.joinRooms[0], IV_VOIP_CALLED_STATUS_ACCEPT) == 0)
                #expect(await device.waitForMedia(phones[0], frames: 20), "\(device.recorder.log)")
                #expect(device.recorder.negotiated?.audioType == IV_CM_AENC_TYPE_G711A)
                #expect(await phones[0].phone.statistics().audioCodec == "pcma")
                #expect(device.recorder.player.counters.refused == 0)
            }
        }

        @Test("an app that declares another audio format than the negotiated one is told once (FORMAT_MISMATCH); its audio is refused with -308, video goes on")
        func mismatchToldOnce() async throws {
            let recorder = CallbackRecorder()
            recorder.encInfo = AvDataInfo(audioType: IV_CM_AENC_TYPE_G711A)  // declared µ-law only: the call has µ-law
            try await withCall(policy: .answer(after: .milliseconds(200)), recorder: recorder) { lab, device, users, phones in
                #expect(await device.call(users[0]) == 0)
                #expect(await poll(seconds: eventually) {
                    await phones[0].phone.statistics().videoReceived >= 30 && recorder.player.counters.refused >= 50
                }, "\(recorder.log)")
                #expect(recorder.negotiated?.audioType == IV_CM_AENC_TYPE_G711U)
                #expect(recorder.log.filter { $0 == "onNotify FORMAT_MISMATCH" }.count == 1)
                let flow = normalized(recorder.callLog)
                #expect(Array(flow.prefix(4)) == ["onRecvCommand CALL_ANSWER", "onGetAvEncInfo", "onStartRealPlay",
                                                  "onGetPeerOuterNet 127.0.0.1"] || Array(flow.prefix(3)) == [
                    "onRecvCommand CALL_ANSWER", "onGetAvEncInfo", "onStartRealPlay"], "\(flow)")
                let (visitor, res) = try #require(recorder.currentStream)
                let code = await offPool {
                    VideoNativeInterface.getInstance().sendAudioData([UInt8](repeating: 0xD5, count: 160), 0, 0, visitor, res)
                }
                #expect(code == IV_ERR_AVT_FAILED)
                #expect(await phones[0].phone.statistics().audioReceived == 0)
            }
        }

        @Test("video declined by the phone (no H.264): the stream is IV_AVT_VIDEO_AUDIO, audio flows, no video frame is refused")
        func videoDeclined() async throws {
            try await withCall(policy: .answer(after: .milliseconds(200)), phone: { $0.videoCodecs = [] }) { lab, device, users, phones in
                #expect(await device.call(users[0], video: true) == 0)
                #expect(await poll(seconds: eventually) {
                    await phones[0].phone.statistics().audioReceived >= 50 && device.recorder.count(IV_AVT_STREAM_TYPE_AUDIO) >= 20
                }, "\(device.recorder.log)")
                let (_, res) = try #require(device.recorder.currentStream)
                #expect(res == IV_AVT_VIDEO_AUDIO)
                let stats = await phones[0].phone.statistics()
                #expect(stats.video == false && stats.videoReceived == 0)
                #expect(device.recorder.player.counters.refused == 0 && device.recorder.player.counters.videoSent == 0)
                await phones[0].phone.hangUp()
                #expect(await poll(seconds: eventually) { device.recorder.log.contains("onStopRealPlay") })
                #expect(normalized(device.recorder.callLog) == [
                    "onRecvCommand CALL_ANSWER", "onGetAvEncInfo", "onStartRealPlay", "onGetPeerOuterNet 127.0.0.1",
                    "onStartRecv(one)", "onRecvCommand CALL_HANG_UP", "onStopRecvStream", "onStopRealPlay",
                ])
                #expect(device.recorder.log.contains("onStartRecvAudioStream") && !device.recorder.log.contains("onStartRecvVideoStream"))
            }
        }
    }
}

/// Checks on received audio.
enum Tone {
    /// The Goertzel power of `hertz` in `samples` at `rate`.
    static func power(_ samples: [Int16], hertz: Double, rate: Double) -> Double {
        let k = 2 * cos(2 * Double.pi * hertz / rate)
        var s1 = 0.0, s2 = 0.0
        for x in samples {
            let s = Double(x) + k * s1 - s2
            s2 = s1
            s1 = s
        }
        return s1 * s1 + s2 * s2 - k * s1 * s2
    }

    /// How many of `known` packets follow one another in `bytes` (a recording of whole packets, back to back).
    static func opusPackets(in bytes: [UInt8], known: Set<[UInt8]>) -> Int {
        let sizes = Set(known.map(\.count))
        var i = 0, found = 0
        while i < bytes.count {
            guard let size = sizes.sorted().first(where: { i + $0 <= bytes.count && known.contains(Array(bytes[i..<(i + $0)])) })
            else { break }
            found += 1
            i += size
        }
        return found
    }
}

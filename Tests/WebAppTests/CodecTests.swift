import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// The codec a call negotiates, with headless Chromium as the peer (issue 15, item 3): whatever audio codec the
/// browser answers with among those `ringlet device` declared, the device learns it in `onGetAvEncInfo`, sends its
/// tone in it, and Chromium decodes it (getStats: the codec, samples and audio energy of the inbound stream).
/// The web app is unchanged; the test watches (and, where a case needs it, steers) the page's
/// `RTCPeerConnection` through a script run before the app's own.
@Suite("Web app: negotiated codecs with ringlet device", .serialized, .timeLimit(.minutes(3)))
struct CodecTests {
    @Test("Chromium answers the device's offer (PCMU, PCMA, Opus declared) with PCMU, or with PCMA or Opus when it prefers them; the device sends that codec and Chromium decodes its tone",
          arguments: [(nil as String?, "audio/PCMU", 2), ("audio/pcma", "audio/PCMA", 1), ("audio/opus", "audio/opus", 7)])
    func browserChoosesTheCodec(prefer: String?, mime: String, audioType: Int) async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            try await instrument(page, preferAudio: prefer)
            let device = try await authorizedDevice(bench, page)
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            let status = try await answerWithMedia(page, device, after: call.mark)
            let info = try await device.waitFor(callback: "onGetAvEncInfo", after: call.mark)
            #expect(info["audioType"] as? Int == audioType, "\(info)")
            #expect(int(status, "refused") == 0 && int(status, "formatMismatches") == 0, "\(status)")
            let offer = try await page.string("window.__ringletPeers.at(-1).remoteDescription.sdp")
            #expect(offer.contains("PCMU/8000") && offer.contains("PCMA/8000") && offer.contains("opus/48000"))
            let audio = try await decodedAudio(page, atLeastSeconds: 2)
            #expect(audio.codec == mime, "\(audio)")
            #expect(audio.energy > 0.01 && audio.concealedShare < 0.2, "the device's tone, decoded: \(audio)")
        }
    }

    @Test("a device that declares only G.711 offers no Opus: Chromium, preferring Opus, gets PCMU and decodes it")
    func g711OnlyDevice() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            try await instrument(page, preferAudio: "audio/opus")
            let device = try await authorizedDevice(bench, page, arguments: ["--audio-codecs", "g711u,g711a"])
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            let status = try await answerWithMedia(page, device, after: call.mark)
            #expect(int(status, "refused") == 0, "\(status)")
            let offer = try await page.string("window.__ringletPeers.at(-1).remoteDescription.sdp")
            #expect(!offer.lowercased().contains("opus") && offer.contains("PCMU/8000"), "\(offer)")
            let audio = try await decodedAudio(page, atLeastSeconds: 2)
            #expect(audio.codec == "audio/PCMU" && audio.energy > 0.01, "\(audio)")
        }
    }

    @Test("Chromium calls a device that declares Opus first: the device answers Opus and Chromium decodes it")
    func browserCallsOpusDevice() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            try await instrument(page, preferAudio: nil)
            let device = try await authorizedDevice(bench, page, arguments: ["--on-join", "accept", "--audio-codecs", "opus,g711u"])
            let start = device.mark
            try await page.click(button: "Call")
            try await waitForPageMedia(page)
            let status = try await waitForDeviceMedia(device, after: start)
            #expect(int(status, "refused") == 0, "\(status)")
            let info = try await device.waitFor(callback: "onGetAvEncInfo", after: start)
            #expect(info["audioType"] as? Int == 7 && info["sampleRate"] as? Int == 48000, "\(info)")
            let audio = try await decodedAudio(page, atLeastSeconds: 2)
            #expect(audio.codec == "audio/opus" && audio.energy > 0.01 && audio.concealedShare < 0.2, "\(audio)")
        }
    }

    @Test("Chromium without H.264 declines the device's video: the stream is audio-only (res 4), the tone is decoded, no video frame is refused")
    func videoDeclined() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            try await instrument(page, preferAudio: nil, withoutH264: true)
            let device = try await authorizedDevice(bench, page)
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await page.click(button: "Answer")
            try await device.waitFor(command: "CALL_ANSWER", after: call.mark)
            let play = try await device.waitFor(callback: "onStartRealPlay", after: call.mark)
            #expect(play["res"] as? Int == 4, "\(play)")
            let audio = try await decodedAudio(page, atLeastSeconds: 2)
            #expect(audio.energy > 0.01, "\(audio)")
            let status = try await device.waitForStatus("audio sent", after: call.mark) { int($0, "audioSent") > 50 }
            #expect(int(status, "videoSent") == 0 && int(status, "refused") == 0, "\(status)")
            let answer = try await page.string("window.__ringletPeers.at(-1).localDescription.sdp")
            #expect(answer.contains("m=video 0 "), "the answer rejects the video m-line: \(answer)")
        }
    }
}

/// What Chromium's inbound audio stream says (getStats).
struct DecodedAudio: CustomStringConvertible {
    var codec: String
    var energy: Double
    var samples: Double
    var concealed: Double
    var seconds: Double
    var concealedShare: Double { samples > 0 ? concealed / samples : 1 }
    var description: String {
        "codec \(codec), energy \(energy), \(seconds) s, samples \(samples), concealed \(concealed)"
    }
}

/// Runs a script in the page before the app's own (then reloads it, still signed in): every
/// `RTCPeerConnection` the app makes is kept in `window.__ringletPeers`; before it creates an offer or an
/// answer, its audio transceivers prefer `preferAudio` (a mime type, lowercased) when given, and its video
/// transceivers leave out H.264 when `withoutH264` (as a browser without an H.264 codec would).
func instrument(_ page: WebPage, preferAudio: String?, withoutH264: Bool = false) async throws {
    try await page.addScriptOnNewDocument("""
        (() => {
          const prefer = \(preferAudio.map(jsString) ?? "null");
          const withoutH264 = \(withoutH264);
          const Native = window.RTCPeerConnection;
          window.__ringletPeers = [];
          const steer = (pc) => {
            for (const t of pc.getTransceivers()) {
              const kind = t.receiver.track.kind;
              const codecs = RTCRtpReceiver.getCapabilities(kind).codecs;
              if (kind === 'audio' && prefer) {
                const first = codecs.filter((c) => c.mimeType.toLowerCase() === prefer);
                t.setCodecPreferences([...first, ...codecs.filter((c) => c.mimeType.toLowerCase() !== prefer)]);
              }
              if (kind === 'video' && withoutH264) {
                t.setCodecPreferences(codecs.filter((c) => !/h264/i.test(c.mimeType)));
              }
            }
          };
          class Watched extends Native {
            constructor(...args) { super(...args); window.__ringletPeers.push(this); }
            createOffer(...args) { steer(this); return super.createOffer(...args); }
            createAnswer(...args) { steer(this); return super.createAnswer(...args); }
          }
          window.RTCPeerConnection = Watched;
        })();
        """)
    try await page.reload()
    try await page.waitForState("view", "main")
    try await page.waitForState("signal", "online")
    #expect(try await page.string("typeof window.__ringletPeers") == "object")
}

/// Waits until the page's last connection decoded at least `seconds` of inbound audio after its first second;
/// returns its figures: the codec and audio energy so far, and the samples and concealed samples of that window
/// only (the first second — NetEq filling its buffer while the stream and the machine start — is not the
/// sender's pacing).
func decodedAudio(_ page: WebPage, atLeastSeconds seconds: Double, timeout: Duration = .seconds(20)) async throws
    -> DecodedAudio
{
    let read = """
        (async () => {
          const pc = window.__ringletPeers.at(-1);
          if (!pc) return '';
          const stats = await pc.getStats();
          let out = '';
          stats.forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'audio') {
              const codec = stats.get(r.codecId);
              out = JSON.stringify({ codec: codec ? codec.mimeType : '', energy: r.totalAudioEnergy || 0,
                                     samples: r.totalSamplesReceived || 0, concealed: r.concealedSamples || 0,
                                     seconds: r.totalSamplesDuration || 0 });
            }
          });
          return out;
        })()
        """
    let end = ContinuousClock.now + timeout
    var start: DecodedAudio?
    var last = DecodedAudio(codec: "", energy: 0, samples: 0, concealed: 0, seconds: 0)
    while ContinuousClock.now < end {
        let text = try await page.string(read)
        if let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
            let number = { (key: String) in (object[key] as? NSNumber)?.doubleValue ?? 0 }
            last = DecodedAudio(codec: object["codec"] as? String ?? "", energy: number("energy"),
                                samples: number("samples"), concealed: number("concealed"), seconds: number("seconds"))
            if start == nil, last.seconds >= 1 { start = last }
            if let start, last.seconds - start.seconds >= seconds {
                return DecodedAudio(codec: last.codec, energy: last.energy, samples: last.samples - start.samples,
                                    concealed: last.concealed - start.concealed, seconds: last.seconds - start.seconds)
            }
        }
        try await Task.sleep(for: .milliseconds(200))
    }
    return last
}

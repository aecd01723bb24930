import Foundation
import RingletDeviceTool
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import RingletDevice
import RingletPhone
import RingletSampleMedia
import RingletSignaling

/// One demo call between a device (the native API) and a headless phone, through a `LocalCloud`.
struct DemoCall {
    let cloud: LocalCloud
    let folder: URL
    let seconds: Double
    let relayOnly: Bool
    let kind: CallKind
    let report: Report
    let logger: Logger

    /// What the device saw, filled by its event task.
    struct DeviceSide {
        var online = false
        var answeredAt: ContinuousClock.Instant?
        var streamAt: ContinuousClock.Instant?
        var stream: StreamContext?
        var videoFrames = 0
        var audioFrames = 0
        var firstFrameAt: ContinuousClock.Instant?
        var ended: CallEndReason?
    }

    func run() async throws -> DemoSummary {
        let sn = "DEMO_DOORBELL-1"
        let user = try await cloud.backend.createUser(name: "Alice")
        let token = try await cloud.backend.sessionToken(userId: user.id)
        let ticket = try await cloud.backend.ticket(sn: sn, modelId: cloud.modelId)
        report.line("provisioned app \(cloud.appId), model \(cloud.modelId), device \(sn), user Alice (\(user.openId))")

        var phoneConfiguration = RingletPhone.Configuration(server: cloud.base, token: token)
        phoneConfiguration.answerPolicy = .answer(after: .milliseconds(800))
        phoneConfiguration.iceTransportPolicy = relayOnly ? .relay : .all
        let phone = try RingletPhone(configuration: phoneConfiguration, logger: logger)
        let phoneTask = Task { await phone.run() }
        let phoneOnline = NIOLockedValueBox(false)
        let phoneEvents = Task {
            for await event in phone.events {
                if case .online = event { phoneOnline.withLockedValue { $0 = true } }
            }
        }

        var deviceConfiguration = DeviceConfiguration(server: cloud.base, sn: sn,
                                                      dataPath: folder.appendingPathComponent("device").path)
        deviceConfiguration.modelId = cloud.modelId
        deviceConfiguration.appId = cloud.appId
        deviceConfiguration.iceTransportPolicy = relayOnly ? .relay : .all
        deviceConfiguration.audioCodecs = [.g711u, .g711a, .opus]  // the sample media has a tone in each
        let device = try RingletDevice(configuration: deviceConfiguration, logger: logger)
        let side = NIOLockedValueBox(DeviceSide())
        let clip = try SampleClip.bundled()
        let player = MediaPump(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let deviceEvents = Task { await consume(device, side: side, player: player, clip: clip) }
        try await device.register(ticket: ticket)
        let deviceTask = Task { await device.run() }
        defer {
            player.stop()
            phoneEvents.cancel()
            deviceEvents.cancel()
            phoneTask.cancel()
            deviceTask.cancel()
        }
        try await cloud.backend.authorize(token: token, sn: sn, ticket: ticket)
        report.line("device registered and authorized by Alice")
        guard await pollUntil(seconds: 15, { side.withLockedValue { $0.online } && phoneOnline.withLockedValue { $0 } }) else {
            throw DemoError("the device or the phone did not come online")
        }

        report.line("device calls Alice …")
        let callStart = ContinuousClock.now
        _ = try await device.call(openId: user.openId, kind: kind)
        report.line("ringing")
        guard await pollUntil(seconds: 20, { side.withLockedValue { $0.streamAt != nil || $0.ended != nil } }),
              let answeredAt = side.withLockedValue({ $0.answeredAt }), side.withLockedValue({ $0.ended }) == nil else {
            throw DemoError("the call was not answered and connected (\(side.withLockedValue { $0.ended?.rawValue ?? "timeout" }))")
        }
        report.line("answered; media flowing")
        let mediaStart = ContinuousClock.now
        var nextStatus = mediaStart + .seconds(1)
        while mediaStart.duration(to: .now) < .seconds(seconds), side.withLockedValue({ $0.ended }) == nil {
            try? await Task.sleep(for: .milliseconds(50))
            if ContinuousClock.now >= nextStatus {
                nextStatus = nextStatus + .seconds(1)
                let s = side.withLockedValue { $0 }
                let p = await phone.statistics()
                let status = device.sendStatus()
                report.line("device sent v \(player.counters.videoSent) a \(player.counters.audioSent), received v \(s.videoFrames) a \(s.audioFrames)"
                    + " | phone received v \(p.videoReceived) a \(p.audioReceived) | \(status?.link.description ?? "?")"
                    + " \((status?.averageRate ?? 0) / 1000) kB/s")
            }
        }
        let mediaSeconds = Double(mediaStart.duration(to: .now).components.seconds)
            + Double(mediaStart.duration(to: .now).components.attoseconds) / 1e18
        let link = device.sendStatus()?.link.description ?? "none"
        let endedEarly = side.withLockedValue { $0.ended }
        if endedEarly == nil {
            try? await device.hangUp()
            _ = await pollUntil(seconds: 5, { side.withLockedValue { $0.ended != nil } })
        }
        report.line("hung up")
        try? await Task.sleep(for: .milliseconds(300))
        let p = await phone.statistics()
        let s = side.withLockedValue { $0 }

        var summary = DemoSummary()
        summary.kind = kind
        summary.seconds = (mediaSeconds * 10).rounded() / 10
        summary.ringMs = ms(callStart, answeredAt)
        summary.setupMs = s.streamAt.map { ms(answeredAt, $0) }
        summary.link = link
        summary.endedBy = endedEarly.map { $0.rawValue } ?? "the device (hang-up)"
        summary.deviceToPhone = .init(videoFrames: p.videoReceived, audioFrames: p.audioReceived,
                                      firstFrameMs: kind == .video ? p.firstVideoMs : p.firstAudioMs)
        summary.phoneToDevice = .init(videoFrames: s.videoFrames, audioFrames: s.audioFrames,
                                      firstFrameMs: s.firstFrameAt.map { ms(answeredAt, $0) })
        await device.stop()
        await phone.stop()
        return summary
    }

    private func consume(_ device: RingletDevice, side: NIOLockedValueBox<DeviceSide>, player: MediaPump,
                         clip: SampleClip) async {
        for await event in device.events {
            switch event {
            case .online:
                side.withLockedValue { $0.online = true }
            case .command(.callAnswer, _, _):
                side.withLockedValue { $0.answeredAt = .now }
            case .command(.requestIFrame, _, _):
                player.requestKeyframe()
            case .streamStarted(let ctx, let format):
                side.withLockedValue {
                    $0.streamAt = .now
                    $0.stream = ctx
                }
                let audio = format.audio.flatMap(SampleAudio.init)
                let video = format.video != nil
                player.start(sources: {
                    SampleClipSource.sampleSources(clip: clip, audio: audio, video: video)
                }, send: { frame in
                    let sent: Void? = frame.kind == .video
                        ? try? device.sendVideo(frame.bytes, ptsMilliseconds: frame.ptsMilliseconds, isKeyframe: frame.isKeyframe)
                        : try? device.sendAudio(frame.bytes, ptsMilliseconds: frame.ptsMilliseconds)
                    return sent != nil ? .sent : .refused
                })
            case .streamStopped:
                player.stop()
            case .frame(_, let f):
                side.withLockedValue {
                    if $0.firstFrameAt == nil, f.kind == (kind == .video ? .video : .audio) { $0.firstFrameAt = .now }
                    if f.kind == .video { $0.videoFrames += 1 } else { $0.audioFrames += 1 }
                }
            case .callEnded(_, let reason):
                player.stop()
                side.withLockedValue { $0.ended = reason }
            default:
                break
            }
        }
    }

    private func ms(_ a: ContinuousClock.Instant, _ b: ContinuousClock.Instant) -> Int64 {
        let d = a.duration(to: b)
        return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }
}

import Foundation
import RingletDevice
import RingletPhone
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Issue 14: TURN over TCP and over TLS, first-class in the device SDK and the phone, through Ringlet's own
/// server over HTTPS/WSS — not only in the TURN client's tests. In `DeviceCallTests`' suite: the facade is one
/// per process, so its tests run one at a time.
extension DeviceCallTests {
    @Test("with only TURN over TCP (or only TURN over TLS) reachable, a relay-only device calls a relay-only phone: media both ways, both relayed, the device's end-of-candidates within 2 s of its offer",
          arguments: ["tcp", "tls"])
    func relayOnlyOverTransport(transport: String) async throws {
        // Both relays are on 127.0.0.1 and send to each other there: loopback peers must be allowed.
        try await CallLab.with(allowLoopbackPeers: true, tls: true) { lab in
            // TCP: TURN over UDP (3478) and TURN over TLS (5349) are dropped; TLS: UDP and TCP to 3478 are.
            let port = transport == "tcp" ? 3478 : 5349
            try await lab.namespace.dropOutput(
                toPorts: transport == "tcp" ? [("udp", 3478), ("tcp", 5349)] : [("udp", 3478), ("tcp", 3478)],
                folder: lab.folder)
            let user = try await lab.user("ada")
            let sn = "DOOR_\(UInt32.random(in: 0...UInt32.max))"
            let ticket = try await lab.provision(sn: sn, authorizedBy: [user])
            let phone = try await lab.phone(user, policy: .answer(after: .milliseconds(200)), relayOnly: true)
            let device = try await FacadeDevice.start(lab, sn: sn, ticket: ticket, relayOnly: true)
            defer { device.recorder.player.stop() }
            do {
                #expect(await device.call(user) == 0)
                #expect(await device.waitForMedia(phone, frames: 20), "\(device.recorder.log)")
                #expect(await poll(seconds: eventually) { await phone.phone.statistics().peerEndOfCandidatesMs != nil })
                let stats = await phone.phone.statistics()
                #expect(stats.relayed == true)
                let gathered = try #require(stats.peerEndOfCandidatesMs, "the phone saw no end-of-candidates")
                #expect(gathered <= 2000, "the device's end-of-candidates came \(gathered) ms after its offer")
                let (visitor, res) = try #require(device.recorder.currentStream)
                let status: IvP2pSendInfo? = await offPool {
                    VideoNativeInterface.getInstance().getSendStreamStatus(visitor, 0, res)
                }
                #expect(status?.linkMode == 2, "\(String(describing: status))")
                // Both clients hold their TURN connection over the one transport left.
                let held = try await established(lab, toPort: port)
                #expect(held.count >= 2, "connections to \(port): \(held)")
                #expect(await device.hangUp() == 0)
                #expect(await poll(seconds: eventually) { (try? await lab.lastCallOutcome(user)) == "completed" })
            } catch {
                await FacadeDevice.reset()
                await phone.stop()
                throw error
            }
            await FacadeDevice.reset()
            await phone.stop()
        }
    }

    /// The TCP connections established in the lab's namespace toward `port` (`ss`, one line each).
    private func established(_ lab: CallLab, toPort port: Int) async throws -> [String] {
        try await lab.namespace.output(of: ["ss", "-Htn", "state", "established", "( dport = :\(port) )"],
                                       folder: lab.folder)
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}

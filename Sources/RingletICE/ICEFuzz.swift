// Fuzz entry points for RingletICE. SPI only: the libFuzzer shims in Fuzz/ call these; nothing reachable from
// the network does. See docs/fuzzing.md.
import RingletCore

/// libFuzzer entry points for the ICE candidate text and the agent's datagram input.
@_spi(Fuzzing)
public enum ICEFuzz {
    /// Parses `data` as candidate text (RFC 8839 §5.1); when it parses, print → parse must give an equal
    /// candidate, else it traps (that is the bug to find).
    public static func candidateText(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        guard let c = try? ICECandidate(sdp: text) else { return }
        guard let printed = try? c.sdpText(), let again = try? ICECandidate(sdp: printed), again == c else {
            fatalError("ICE candidate round trip broken")
        }
    }

    /// Feeds `data` to a fixed controlled agent with one host candidate as a datagram from a peer; the agent must
    /// return without trapping and account for every drop.
    public static func agentDatagram(_ data: [UInt8]) {
        var rng = SeededRandom(seed: 1)
        guard var agent = try? ICEAgent(role: .controlled, using: &rng) else { return }
        let local = TransportAddress(IPAddress(10, 0, 0, 1), 5000)
        agent.addHostCandidate(local, now: .zero)
        _ = agent.handleDatagram(data, from: TransportAddress(IPAddress(10, 0, 0, 2), 6000), to: local, now: .zero)
        while agent.pollOutput() != nil {}
        agent.handleTimeout(now: .milliseconds(100))
    }
}

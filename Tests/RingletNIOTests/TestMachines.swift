import NIOCore
import NIOPosix
import RingletCore
@testable import RingletNIO

/// A test machine: echoes what it receives (when `echoes`), records everything, sends what it is told to, and
/// fires timers at the deadlines it is given.
struct EchoMachine: DatagramDriven {
    var echoes: Bool
    var received: [Datagram] = []
    var outbox: [Datagram] = []
    var deadlines: [Instant] = []
    var fired: [(deadline: Instant, at: Instant)] = []
    /// Breaks the driving contract: a deadline that stays due whatever `handleTimeout` does.
    var stuck = false
    var timeouts = 0

    init(echoes: Bool) { self.echoes = echoes }

    mutating func handle(_ datagram: Datagram, now: Instant) {
        received.append(datagram)
        if echoes {
            outbox.append(Datagram(source: datagram.destination, destination: datagram.source,
                                   payload: datagram.payload, transport: datagram.transport))
        }
    }

    mutating func pollTransmit() -> Datagram? { outbox.isEmpty ? nil : outbox.removeFirst() }

    mutating func nextDeadline() -> Instant? { stuck ? .zero : deadlines.min() }

    mutating func handleTimeout(now: Instant) {
        timeouts += 1
        let due = deadlines.filter { $0 <= now }
        deadlines.removeAll { $0 <= now }
        for d in due { fired.append((d, now)) }
    }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass; returns whether it held.
/// A condition that throws counts as not (yet) holding.
func eventually(within seconds: Double = 5, _ condition: () async throws -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + .milliseconds(Int(seconds * 1000))
    while clock.now < end {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return (try? await condition()) == true
}

let loopback = TransportAddress(.loopbackV4, 0)

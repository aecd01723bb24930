import RingletCore
import RingletSTUN

/// One allocation's state (RFC 8656 §5): its 5-tuple, credentials, relayed address, lifetime, permissions and
/// channel bindings. Internal to ``TURNServer``.
///
/// A class: the relay path reads a record once per datagram, and a struct record was copied there whole (its
/// strings and three dictionaries retained and released each time). `TURNServer` copies would share records —
/// as they already share OpenSSL MAC contexts — so a server is used in place, never copied.
final class TURNServerAllocation {
    /// A channel binding (RFC 8656 §12): bound until `boundUntil`, and after that the number and the peer stay
    /// reserved for each other for another 5 minutes.
    struct Channel {
        let peer: TransportAddress
        var boundUntil: Instant
        var reservedUntil: Instant { boundUntil + TURNServer.channelReuseDelay }
    }

    /// The Allocate request waiting for its relay, kept to answer it when the relay opens.
    struct Pending {
        let relayRequestID: UInt64
        let lifetime: Duration
        let fingerprint: Bool
    }

    let flow: TURNServer.ClientFlow
    let username: String
    let quotaKey: String
    /// The long-term key, kept so that later requests on this allocation cost no key derivation.
    let key: STUNIntegrityKey
    let family: IPAddress.Family
    /// The transaction of the Allocate that made it, so a retransmission gets the success answer again.
    let allocateTransaction: STUNTransactionID
    var relay: TransportAddress?
    var pending: Pending?
    var expiry: Instant
    /// Peer IP → when its permission ends (RFC 8656 §9: permissions ignore the port).
    var permissions: [IPAddress: Instant] = [:]
    var channels: [UInt16: Channel] = [:]
    var channelByPeer: [TransportAddress: UInt16] = [:]
    /// Lifetime granted by the last Allocate/Refresh, for the Allocate retransmission answer.
    var grantedLifetime: Duration
    /// The bytes it may still relay (both directions); nil: unlimited.
    var bandwidth: TokenBucket?

    init(flow: TURNServer.ClientFlow, username: String, quotaKey: String, key: STUNIntegrityKey,
         family: IPAddress.Family, allocateTransaction: STUNTransactionID, relay: TransportAddress?, pending: Pending?,
         expiry: Instant, grantedLifetime: Duration)
    {
        self.flow = flow
        self.username = username
        self.quotaKey = quotaKey
        self.key = key
        self.family = family
        self.allocateTransaction = allocateTransaction
        self.relay = relay
        self.pending = pending
        self.expiry = expiry
        self.grantedLifetime = grantedLifetime
    }

    /// The earliest instant something in this allocation ends.
    func nextDeadline() -> Instant {
        var d = expiry
        for (_, until) in permissions where until < d { d = until }
        for (_, c) in channels where c.reservedUntil < d { d = c.reservedUntil }
        return d
    }

    /// Drops expired permissions and channels whose reservation ended.
    func sweep(now: Instant) {
        if permissions.contains(where: { $0.value <= now }) {
            permissions = permissions.filter { $0.value > now }
        }
        if channels.contains(where: { $0.value.reservedUntil <= now }) {
            for (number, c) in channels where c.reservedUntil <= now {
                channels[number] = nil
                channelByPeer[c.peer] = nil
            }
        }
    }
}

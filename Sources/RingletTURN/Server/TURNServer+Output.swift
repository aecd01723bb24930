import RingletCore

extension TURNServer {
    /// A client's 5-tuple as the server sees it (RFC 8656 §2): the client's address, the server's listening
    /// address it reached, and the transport. An allocation belongs to one 5-tuple.
    public struct ClientFlow: Hashable, Sendable, CustomStringConvertible {
        /// The client's address (as seen by the server: its server-reflexive address).
        public let client: TransportAddress
        /// The server's listening address the client sent to (responses leave from it).
        public let server: TransportAddress
        /// UDP or TCP. Over TCP the server frames the byte stream itself (RFC 8656 §12.5).
        public let transport: TransportProtocol

        /// Makes a 5-tuple.
        public init(client: TransportAddress, server: TransportAddress, transport: TransportProtocol) {
            self.client = client
            self.server = server
            self.transport = transport
        }

        /// "udp 192.0.2.1:5000 → 198.51.100.1:3478".
        public var description: String { "\(transport.rawValue) \(client) → \(server)" }
    }

    /// The server asks the shell for a relayed transport address (RFC 8656 §7.2): open a UDP socket of
    /// `family` (an even port if `evenPort`; with the DF bit if `dontFragment`), then answer with
    /// ``TURNServer/handleRelayOpened(_:relay:now:)`` or ``TURNServer/handleRelayFailed(_:now:)``.
    public struct RelayRequest: Hashable, Sendable {
        /// Names this request in the shell's answer.
        public let id: UInt64
        /// The 5-tuple whose allocation the relay is for.
        public let flow: ClientFlow
        /// IPv4 or IPv6 (REQUESTED-ADDRESS-FAMILY; IPv4 by default).
        public let family: IPAddress.Family
        /// The client sent EVEN-PORT (R = 0): the port must be even.
        public let evenPort: Bool
        /// The client sent DONT-FRAGMENT: set DF on datagrams sent from the relay.
        public let dontFragment: Bool
    }

    /// Why an allocation ended.
    public enum DeletionReason: Hashable, Sendable {
        /// Its lifetime passed without a Refresh (RFC 8656 §7).
        case expired
        /// The client sent a Refresh with LIFETIME 0 (RFC 8656 §7.3).
        case refreshedToZero
        /// The client's TCP connection closed or broke its framing (RFC 8656 §7).
        case connectionClosed
        /// The shell could not open a relay socket.
        case relayFailed
    }

    /// Something the shell should know about, for logs and metrics.
    public enum Event: Hashable, Sendable {
        /// An allocation now relays through `relay`.
        case allocationCreated(flow: ClientFlow, relay: TransportAddress)
        /// An allocation ended; `relay` is nil when it ended before its relay was opened.
        case allocationDeleted(flow: ClientFlow, relay: TransportAddress?, reason: DeletionReason)
    }

    /// What the shell must do; drain with ``TURNServer/pollOutput()`` after every input.
    public enum Output: Hashable, Sendable {
        /// Send `payload` to `flow.client` from `flow.server` (over TCP: write it to that connection).
        case toClient(flow: ClientFlow, payload: [UInt8])
        /// Send the datagram from the relay address `source` to the peer `destination`.
        case toPeer(Datagram)
        /// Open a relay socket and answer with ``TURNServer/handleRelayOpened(_:relay:now:)`` or
        /// ``TURNServer/handleRelayFailed(_:now:)``.
        case openRelay(RelayRequest)
        /// Close the relay socket bound to this address (its allocation ended).
        case closeRelay(TransportAddress)
        /// Close this TCP connection (its byte stream is not TURN framing).
        case closeClientConnection(ClientFlow)
        /// Something happened.
        case event(Event)
    }

    /// Running totals for metrics; read them at any time through ``TURNServer/counters``.
    public struct Counters: Hashable, Sendable {
        /// Allocations now held (pending ones included).
        public var allocations: Int = 0
        /// Allocations created since start (relay opened).
        public var allocationsCreated: UInt64 = 0
        /// Allocations ended since start, for any reason.
        public var allocationsDeleted: UInt64 = 0
        /// Binding requests answered.
        public var bindingResponses: UInt64 = 0
        /// Datagrams relayed from clients to peers (Send indications and ChannelData).
        public var clientToPeerPackets: UInt64 = 0
        /// Application bytes relayed from clients to peers.
        public var clientToPeerBytes: UInt64 = 0
        /// Datagrams relayed from peers to clients (Data indications and ChannelData).
        public var peerToClientPackets: UInt64 = 0
        /// Application bytes relayed from peers to clients.
        public var peerToClientBytes: UInt64 = 0
        /// Error responses sent, by STUN error code (401, 438, 403, 437, 486, 508, …).
        public var refusals: [Int: UInt64] = [:]
        /// Inputs dropped because they were not valid STUN, ChannelData or TURN framing.
        public var droppedMalformed: UInt64 = 0
        /// Data dropped because no allocation or channel matched.
        public var droppedNoAllocation: UInt64 = 0
        /// Data dropped because no permission for the peer was installed (RFC 8656 §9), or the peer is the
        /// server itself.
        public var droppedNoPermission: UInt64 = 0
        /// Answers to unauthenticated UDP requests not sent: the source IP was over its rate (reflection).
        public var droppedRateLimited: UInt64 = 0
        /// Relayed data dropped because the allocation or the server was over its bandwidth.
        public var droppedBandwidth: UInt64 = 0

        /// Zero everywhere.
        public init() {}
    }
}

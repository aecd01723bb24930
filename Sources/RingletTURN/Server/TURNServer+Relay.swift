import RingletCore
import RingletSTUN

extension TURNServer {
    /// Where the bytes that ``relayFromClient(_:flow:now:into:)`` or ``relayFromPeer(_:relay:peer:now:into:)``
    /// wrote must go.
    public enum Transmission: Hashable, Sendable {
        /// To `flow.client` from `flow.server` (over TCP: on that connection).
        case toClient(ClientFlow)
        /// From the relay address `source` to the peer `destination`.
        case toPeer(source: TransportAddress, destination: TransportAddress)
    }

    /// What a relay call did with a datagram.
    public enum RelayResult: Hashable, Sendable {
        /// Relayed: the message to send was appended to the writer; send it as the transmission says.
        case transmit(Transmission)
        /// Data that no allocation, channel or permission matched, or a Send indication with a bad FINGERPRINT
        /// or peer address: dropped and counted; nothing was written.
        case dropped
        /// Not relayed data (a STUN request, malformed bytes, a TCP flow): nothing was written; hand the bytes
        /// to ``handleFromClient(_:flow:now:)-(ArraySlice<UInt8>,_,_)``.
        case notData
    }

    /// The message type field of a Data indication (RFC 8656 §11.4).
    static let dataIndicationType = STUNMessageType(method: .data, messageClass: .indication).rawValue
    /// The message type field of a Send indication (RFC 8656 §11.3).
    static let sendIndicationType = STUNMessageType(method: .send, messageClass: .indication)

    /// The relay fast path for a UDP datagram from a client: a ChannelData message or a Send indication is
    /// relayed by appending the datagram for the peer to `writer` (the caller's buffer: no allocation here,
    /// no output queued); anything else comes back as ``RelayResult/notData`` for
    /// ``handleFromClient(_:flow:now:)-(ArraySlice<UInt8>,_,_)``, which queues exactly what it would have
    /// relayed. The bytes written equal the payload of the ``Output/toPeer(_:)`` the output queue would carry.
    /// - Parameters:
    ///   - datagram: one UDP datagram (TCP flows always get `.notData`: their bytes are a stream).
    ///   - flow: the client's 5-tuple.
    ///   - now: the current instant.
    ///   - writer: where the relayed message is appended; untouched unless the result is `.transmit`.
    public mutating func relayFromClient(_ datagram: ArraySlice<UInt8>, flow: ClientFlow, now: Instant,
                                         into writer: inout ByteWriter) -> RelayResult
    {
        guard flow.transport == .udp else { return .notData }
        return relayMessage(datagram, flow: flow, now: now, into: &writer)
    }

    /// Whether `bytes` may be ChannelData or a Send indication (a cheap look at the first two bytes).
    static func mayBeData(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count >= 4 else { return false }
        let s = bytes.startIndex
        return bytes[s] >> 6 == 0b01 || (bytes[s] == 0x00 && bytes[s + 1] == 0x16)
    }

    /// A ChannelData message or a Send indication from a client, relayed into `writer`; `.notData` for
    /// anything else (including malformed ChannelData, counted by the caller's STUN/ChannelData dispatch).
    mutating func relayMessage(_ bytes: ArraySlice<UInt8>, flow: ClientFlow, now: Instant,
                               into writer: inout ByteWriter) -> RelayResult
    {
        guard TURNServer.mayBeData(bytes) else { return .notData }
        if bytes[bytes.startIndex] >> 6 == 0b01 {
            guard let message = try? ChannelData(parsing: bytes, accepting: channelNumbers) else { return .notData }
            return relayChannelData(message, flow: flow, now: now, into: &writer)
        }
        guard let m = try? STUNMessage(parsing: bytes), m.type == TURNServer.sendIndicationType else {
            return .notData
        }
        return relaySendIndication(m, flow: flow, now: now, into: &writer)
    }

    /// A Send indication (RFC 8656 §11.3): DATA goes to XOR-PEER-ADDRESS from the allocation's relay if the
    /// peer's IP has a permission; otherwise it is dropped silently (indications get no answer), as is one
    /// with a wrong FINGERPRINT.
    mutating func relaySendIndication(_ m: STUNMessage, flow: ClientFlow, now: Instant,
                                      into writer: inout ByteWriter) -> RelayResult
    {
        if m.hasFingerprint, !m.verifyFingerprint() {
            counters.droppedMalformed &+= 1
            return .dropped
        }
        guard let i = byFlow[flow], let a = slots[i], let relay = a.relay else {
            counters.droppedNoAllocation &+= 1
            return .dropped
        }
        guard let peerAttribute = (try? m.attribute(STUNXORPeerAddress.self)) ?? nil,
              let peer = peerAttribute.address.transportAddress, let data = m.firstAttribute(.data)
        else {
            counters.droppedMalformed &+= 1
            return .dropped
        }
        guard let until = a.permissions[peer.ip], until > now else {
            counters.droppedNoPermission &+= 1
            return .dropped
        }
        // A permission is per IP: one installed for another port of the server's own IP must not reach its
        // service ports (Send indications name any port; channels were checked when bound).
        if !guardedPeerIPs.isEmpty, let ip = Self.peerIP(peer.ip), guardedPeerIPs.contains(ip),
           isOwnAddress(TransportAddress(ip, peer.port))
        {
            counters.droppedNoPermission &+= 1
            return .dropped
        }
        guard admitRelayed(a, bytes: data.value.count, now: now) else { return .dropped }
        counters.clientToPeerPackets &+= 1
        counters.clientToPeerBytes &+= UInt64(data.value.count)
        writer.writeBytes(data.value)
        return .transmit(.toPeer(source: relay, destination: peer))
    }

    /// A ChannelData message from a client (RFC 8656 §12.6): relayed to the channel's peer if the channel is
    /// bound and the peer's permission holds; otherwise dropped.
    mutating func relayChannelData(_ message: ChannelData, flow: ClientFlow, now: Instant,
                                   into writer: inout ByteWriter) -> RelayResult
    {
        guard let i = byFlow[flow], let a = slots[i], let relay = a.relay,
              let channel = a.channels[message.channelNumber], channel.boundUntil > now
        else {
            counters.droppedNoAllocation &+= 1
            return .dropped
        }
        guard let until = a.permissions[channel.peer.ip], until > now else {
            counters.droppedNoPermission &+= 1
            return .dropped
        }
        guard admitRelayed(a, bytes: message.data.count, now: now) else { return .dropped }
        counters.clientToPeerPackets &+= 1
        counters.clientToPeerBytes &+= UInt64(message.data.count)
        writer.writeBytes(message.data)
        return .transmit(.toPeer(source: relay, destination: channel.peer))
    }

    /// The relay fast path for a datagram that arrived on relay socket `relay` from `peer` (RFC 8656 §11.5,
    /// §12.6): if the peer's IP has a permission, the message for the client is appended to `writer` —
    /// ChannelData when a channel is bound to the peer's exact address (padded to 4 bytes over TCP), else a
    /// Data indication — and the result says where it goes; otherwise the datagram is dropped and counted.
    /// The bytes written equal the payload of the ``Output/toClient(flow:payload:)`` that
    /// ``handleFromPeer(_:relay:peer:now:)-(ArraySlice<UInt8>,_,_,_)`` would queue (Data indication transaction
    /// IDs come from the same generator, so the two paths interleave freely).
    /// - Parameters:
    ///   - datagram: the datagram's bytes.
    ///   - relay: the relayed transport address it arrived on.
    ///   - peer: its source address.
    ///   - now: the current instant.
    ///   - writer: where the message for the client is appended; untouched unless the result is `.transmit`.
    /// - Returns: ``RelayResult/transmit(_:)`` with ``Transmission/toClient(_:)``, or ``RelayResult/dropped``.
    public mutating func relayFromPeer(_ datagram: ArraySlice<UInt8>, relay: TransportAddress,
                                       peer: TransportAddress, now: Instant, into writer: inout ByteWriter)
        -> RelayResult
    {
        guard let i = byRelay[relay], let a = slots[i] else {
            counters.droppedNoAllocation &+= 1
            return .dropped
        }
        guard let until = a.permissions[peer.ip], until > now else {
            counters.droppedNoPermission &+= 1
            return .dropped
        }
        let flow = a.flow
        let n = datagram.count
        guard admitRelayed(a, bytes: n, now: now) else { return .dropped }
        if let number = a.channelByPeer[peer], let channel = a.channels[number], channel.boundUntil > now,
           n <= 0xFFFF
        {
            let padded = flow.transport == .tcp ? (n + 3) & ~3 : n
            writer.writeUInt16(number)
            writer.writeUInt16(UInt16(truncatingIfNeeded: n))
            writer.writeBytes(datagram)
            if padded > n { writer.writeRepeating(0, count: padded - n) }
            countToClient(n)
            return .transmit(.toClient(flow))
        }
        let addressSize = peer.ip.family == .v4 ? 8 : 20
        let bodyLength = 4 + addressSize + 4 + ((n + 3) & ~3)
        guard bodyLength <= 0xFFFF else {
            counters.droppedMalformed &+= 1
            return .dropped
        }
        let transactionID = STUNTransactionID.random(using: &indicationIDs)
        writer.writeUInt16(TURNServer.dataIndicationType)
        writer.writeUInt16(UInt16(truncatingIfNeeded: bodyLength))
        writer.writeUInt32(STUNMessage.magicCookie)
        transactionID.write(into: &writer)
        writer.writeUInt16(STUNAttributeType.xorPeerAddress.rawValue)
        writer.writeUInt16(UInt16(truncatingIfNeeded: addressSize))
        STUNXORPeerAddress(address: STUNAddress(peer)).encodeValue(into: &writer, transactionID: transactionID)
        writer.writeUInt16(STUNAttributeType.data.rawValue)
        writer.writeUInt16(UInt16(truncatingIfNeeded: n))
        writer.writeBytes(datagram)
        writer.writeRepeating(0, count: ((n + 3) & ~3) - n)
        countToClient(n)
        return .transmit(.toClient(flow))
    }

    /// Takes a datagram that arrived on relay socket `relay` from `peer` and queues what
    /// ``relayFromPeer(_:relay:peer:now:into:)`` would write as an ``Output/toClient(flow:payload:)``.
    public mutating func handleFromPeer(_ bytes: ArraySlice<UInt8>, relay: TransportAddress, peer: TransportAddress,
                                        now: Instant)
    {
        var writer = ByteWriter(capacity: 36 + bytes.count)
        if case .transmit(let transmission) = relayFromPeer(bytes, relay: relay, peer: peer, now: now, into: &writer) {
            queue(transmission, payload: writer.bytes)
        }
    }

    /// Takes a datagram from a peer; see ``handleFromPeer(_:relay:peer:now:)-(ArraySlice<UInt8>,_,_,_)``.
    public mutating func handleFromPeer(_ bytes: [UInt8], relay: TransportAddress, peer: TransportAddress,
                                        now: Instant)
    {
        handleFromPeer(bytes[...], relay: relay, peer: peer, now: now)
    }

    /// Queues relayed bytes as the output the transmission names.
    mutating func queue(_ transmission: Transmission, payload: [UInt8]) {
        switch transmission {
        case .toClient(let flow):
            outputs.append(.toClient(flow: flow, payload: payload))
        case .toPeer(let source, let destination):
            outputs.append(.toPeer(Datagram(source: source, destination: destination, payload: payload)))
        }
    }

    /// Whether `n` more relayed bytes fit the allocation's and the server's bandwidth
    /// (``Configuration/allocationBytesPerSecond``, ``Configuration/totalBytesPerSecond``); counts a drop when not.
    @inline(__always)
    mutating func admitRelayed(_ a: TURNServerAllocation, bytes n: Int, now: Instant) -> Bool {
        let cost = Double(n)
        if let fits = a.bandwidth?.has(cost, now: now), !fits {
            counters.droppedBandwidth &+= 1
            return false
        }
        if let fits = totalBandwidth?.take(cost, now: now), !fits {
            counters.droppedBandwidth &+= 1
            return false
        }
        _ = a.bandwidth?.take(cost, now: now)
        return true
    }

    @inline(__always)
    mutating func countToClient(_ dataBytes: Int) {
        counters.peerToClientPackets &+= 1
        counters.peerToClientBytes &+= UInt64(dataBytes)
    }
}

import RingletCore
import RingletSTUN

extension TURNServer {
    /// The message type field of a Data indication (RFC 8656 §11.4).
    static let dataIndicationType = STUNMessageType(method: .data, messageClass: .indication).rawValue

    /// A Send indication (RFC 8656 §11.3): relays DATA to XOR-PEER-ADDRESS from the allocation's relay if the
    /// peer's IP has a permission; otherwise drops it silently (indications get no answer).
    mutating func relaySendIndication(_ m: STUNMessage, flow: ClientFlow, now: Instant) {
        guard let i = byFlow[flow], let relay = slots[i]?.relay else {
            counters.droppedNoAllocation &+= 1
            return
        }
        guard let peerAttribute = (try? m.attribute(STUNXORPeerAddress.self)) ?? nil,
              let peer = peerAttribute.address.transportAddress, let data = m.firstAttribute(.data)
        else {
            counters.droppedMalformed &+= 1
            return
        }
        guard let until = slots[i]?.permissions[peer.ip], until > now else {
            counters.droppedNoPermission &+= 1
            return
        }
        counters.clientToPeerPackets &+= 1
        counters.clientToPeerBytes &+= UInt64(data.value.count)
        outputs.append(.toPeer(Datagram(source: relay, destination: peer, payload: Array(data.value))))
    }

    /// A ChannelData message from a client (RFC 8656 §12.6): relayed to the channel's peer if the channel is
    /// bound and the peer's permission holds; otherwise dropped.
    mutating func relayChannelDataFromClient(_ bytes: ArraySlice<UInt8>, flow: ClientFlow, now: Instant) {
        guard let message = try? ChannelData(parsing: bytes) else {
            counters.droppedMalformed &+= 1
            return
        }
        guard let i = byFlow[flow], let relay = slots[i]?.relay,
              let channel = slots[i]?.channels[message.channelNumber], channel.boundUntil > now
        else {
            counters.droppedNoAllocation &+= 1
            return
        }
        guard let until = slots[i]?.permissions[channel.peer.ip], until > now else {
            counters.droppedNoPermission &+= 1
            return
        }
        counters.clientToPeerPackets &+= 1
        counters.clientToPeerBytes &+= UInt64(message.data.count)
        outputs.append(.toPeer(Datagram(source: relay, destination: channel.peer, payload: Array(message.data))))
    }

    /// Takes a datagram that arrived on relay socket `relay` from `peer` (RFC 8656 §11.5, §12.6): if the peer's
    /// IP has a permission, it goes to the client as ChannelData when a channel is bound to the peer (padded
    /// over TCP), else as a Data indication; otherwise it is dropped. Work per datagram: a few dictionary
    /// lookups and one copy into the output buffer.
    public mutating func handleFromPeer(_ bytes: ArraySlice<UInt8>, relay: TransportAddress, peer: TransportAddress,
                                        now: Instant)
    {
        guard let i = byRelay[relay], let flow = slots[i]?.flow else {
            counters.droppedNoAllocation &+= 1
            return
        }
        guard let until = slots[i]?.permissions[peer.ip], until > now else {
            counters.droppedNoPermission &+= 1
            return
        }
        let n = bytes.count
        if let number = slots[i]?.channelByPeer[peer], let channel = slots[i]?.channels[number],
           channel.boundUntil > now, n <= 0xFFFF
        {
            let padded = flow.transport == .tcp ? (n + 3) & ~3 : n
            var w = ByteWriter(capacity: 4 + padded)
            w.writeUInt16(number)
            w.writeUInt16(UInt16(truncatingIfNeeded: n))
            w.writeBytes(bytes)
            if padded > n { w.writeRepeating(0, count: padded - n) }
            emitToClient(flow, w.bytes, n)
            return
        }
        let addressSize = peer.ip.family == .v4 ? 8 : 20
        let bodyLength = 4 + addressSize + 4 + ((n + 3) & ~3)
        guard bodyLength <= 0xFFFF else {
            counters.droppedMalformed &+= 1
            return
        }
        let transactionID = STUNTransactionID.random(using: &indicationIDs)
        var w = ByteWriter(capacity: 20 + bodyLength)
        w.writeUInt16(TURNServer.dataIndicationType)
        w.writeUInt16(UInt16(truncatingIfNeeded: bodyLength))
        w.writeUInt32(STUNMessage.magicCookie)
        transactionID.write(into: &w)
        w.writeUInt16(STUNAttributeType.xorPeerAddress.rawValue)
        w.writeUInt16(UInt16(truncatingIfNeeded: addressSize))
        STUNXORPeerAddress(address: STUNAddress(peer)).encodeValue(into: &w, transactionID: transactionID)
        w.writeUInt16(STUNAttributeType.data.rawValue)
        w.writeUInt16(UInt16(truncatingIfNeeded: n))
        w.writeBytes(bytes)
        w.writeRepeating(0, count: ((n + 3) & ~3) - n)
        emitToClient(flow, w.bytes, n)
    }

    /// Takes a datagram from a peer; see ``handleFromPeer(_:relay:peer:now:)-(ArraySlice<UInt8>,_,_,_)``.
    public mutating func handleFromPeer(_ bytes: [UInt8], relay: TransportAddress, peer: TransportAddress,
                                        now: Instant)
    {
        handleFromPeer(bytes[...], relay: relay, peer: peer, now: now)
    }

    @inline(__always)
    mutating func emitToClient(_ flow: ClientFlow, _ payload: [UInt8], _ dataBytes: Int) {
        counters.peerToClientPackets &+= 1
        counters.peerToClientBytes &+= UInt64(dataBytes)
        outputs.append(.toClient(flow: flow, payload: payload))
    }
}

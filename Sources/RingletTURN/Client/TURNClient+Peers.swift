import RingletCore
import RingletSTUN

extension TURNClient {
    /// A permission for one peer IP (RFC 8656 §9) and the data waiting for it.
    struct Permission {
        var installed = false
        var inFlight = false
        var refreshAt: Instant?
        var queue: [(peer: TransportAddress, data: [UInt8])] = []
        /// The peer address named in XOR-PEER-ADDRESS: the server keys permissions by IP (RFC 8656 §9) but may
        /// judge the whole address, e.g. one of its own relayed addresses among its own IPs (docs/security.md).
        var peer: TransportAddress?
    }

    /// A channel bound, or being bound, to one peer transport address (RFC 8656 §11).
    struct Channel {
        var number: UInt16
        var bound = false
        var inFlight = false
        /// The last bind failed; auto-binding leaves the peer alone until ``TURNClient/bindChannel(to:now:)``.
        var failed = false
        var refreshAt: Instant?
    }

    // MARK: Permissions

    mutating func enqueue(_ data: ArraySlice<UInt8>, for peer: TransportAddress) {
        var p = permissions[peer.ip] ?? Permission()
        if configuration.maxQueuedPerPeer == 0 {
            statistics.queueDrops += 1
        } else {
            if p.queue.count >= configuration.maxQueuedPerPeer {
                p.queue.removeFirst()
                statistics.queueDrops += 1
            }
            p.queue.append((peer, Array(data)))
        }
        permissions[peer.ip] = p
    }

    mutating func requestPermission(_ ip: IPAddress, peer: TransportAddress? = nil, now: Instant) {
        var p = permissions[ip] ?? Permission()
        if let peer { p.peer = peer }
        guard !p.installed, !p.inFlight else {
            permissions[ip] = p
            return
        }
        p.inFlight = true
        permissions[ip] = p
        send(.createPermission(ip), now: now, staleRetries: 0)
    }

    mutating func permissionInstalled(_ ip: IPAddress, now: Instant) {
        guard state == .allocated, var p = permissions[ip] else { return }
        let first = !p.installed
        p.installed = true
        p.inFlight = false
        p.refreshAt = now + configuration.permissionRefreshInterval
        let queued = p.queue
        p.queue = []
        permissions[ip] = p
        if first { emit(.permissionCreated(ip)) }
        for (peer, data) in queued {
            if let c = channels[peer], c.bound {
                transmitChannelData(c.number, data[...])
            } else {
                transmitSendIndication(data[...], to: peer)
                if configuration.autoBindChannels { startChannelBind(peer, now: now) }
            }
        }
    }

    mutating func permissionFailed(_ ip: IPAddress, _ failure: Failure) {
        guard state == .allocated else { return }
        permissions[ip] = nil
        emit(.permissionFailed(ip, failure))
    }

    // MARK: Channels

    mutating func startChannelBind(_ peer: TransportAddress, now: Instant) {
        var channel: Channel
        if let existing = channels[peer] {
            guard !existing.bound, !existing.inFlight, !existing.failed else { return }
            channel = existing
        } else {
            guard let number = freeChannelNumber() else { return }
            channel = Channel(number: number)
        }
        channel.inFlight = true
        channels[peer] = channel
        peerByChannel[channel.number] = peer
        send(.channelBind(channel.number, peer), now: now, staleRetries: 0)
    }

    /// The next channel number no peer holds, searching 0x4000–0x4FFF round-robin; nil if all are taken.
    mutating func freeChannelNumber() -> UInt16? {
        let range = ChannelData.channelNumberRange
        for _ in 0..<range.count {
            let candidate = nextChannelNumber
            nextChannelNumber = candidate >= range.upperBound ? range.lowerBound : candidate + 1
            if peerByChannel[candidate] == nil { return candidate }
        }
        return nil
    }

    mutating func channelBound(_ number: UInt16, peer: TransportAddress, now: Instant) {
        guard state == .allocated, var c = channels[peer], c.number == number else { return }
        let first = !c.bound
        c.bound = true
        c.inFlight = false
        c.failed = false
        c.refreshAt = now + configuration.channelRefreshInterval
        channels[peer] = c
        // A ChannelBind installs or refreshes the peer's permission too (RFC 8656 §11.2).
        var p = permissions[peer.ip] ?? Permission()
        if !p.installed, !p.inFlight {
            p.installed = true
            p.refreshAt = now + configuration.permissionRefreshInterval
            permissions[peer.ip] = p
        }
        if first { emit(.channelBound(channel: number, peer: peer)) }
    }

    mutating func channelBindFailed(_ peer: TransportAddress, _ failure: Failure) {
        guard state == .allocated, var c = channels[peer] else { return }
        peerByChannel[c.number] = nil
        c.bound = false
        c.inFlight = false
        c.failed = true
        c.refreshAt = nil
        channels[peer] = c
        emit(.channelBindFailed(peer: peer, failure))
    }

    // MARK: Data

    /// A ChannelData message (RFC 8656 §12.4), padded over TCP (§12.5).
    mutating func transmitChannelData(_ number: UInt16, _ data: ArraySlice<UInt8>) {
        let padded = configuration.transport == .tcp
        var w = ByteWriter(capacity: 4 + data.count + 3)
        w.writeUInt16(number)
        w.writeUInt16(UInt16(truncatingIfNeeded: data.count))
        w.writeBytes(data)
        if padded { w.writeRepeating(0, count: ((data.count + 3) & ~3) - data.count) }
        transmit(w.bytes)
    }

    /// A Send indication with XOR-PEER-ADDRESS and DATA (RFC 8656 §10.1).
    mutating func transmitSendIndication(_ data: ArraySlice<UInt8>, to peer: TransportAddress) {
        let id = STUNTransactionID.random(using: &random)
        let peerAttribute = STUNAttribute(STUNXORPeerAddress(address: STUNAddress(peer)), transactionID: id)
        let padding = ((data.count + 3) & ~3) - data.count
        let length = peerAttribute.encodedSize + 4 + data.count + padding
        var w = ByteWriter(capacity: 20 + length)
        w.writeUInt16(STUNMessageType(method: .send, messageClass: .indication).rawValue)
        w.writeUInt16(UInt16(truncatingIfNeeded: length))
        w.writeUInt32(STUNMessage.magicCookie)
        id.write(into: &w)
        peerAttribute.encode(into: &w)
        w.writeUInt16(STUNAttributeType.data.rawValue)
        w.writeUInt16(UInt16(truncatingIfNeeded: data.count))
        w.writeBytes(data)
        w.writeRepeating(0, count: padding)
        transmit(w.bytes)
    }

    /// A Data indication from the server (RFC 8656 §10.4): the peer's address and its data.
    mutating func handleDataIndication(_ message: STUNMessage) {
        guard state == .allocated else {
            statistics.unexpectedDropped += 1
            return
        }
        guard let peer = (try? message.attribute(STUNXORPeerAddress.self))?.address.transportAddress,
              let data = try? message.attribute(STUNData.self)
        else {
            statistics.malformedDropped += 1
            return
        }
        emit(.data(from: peer, data.bytes))
    }

    /// A ChannelData message from the server (RFC 8656 §12.6).
    mutating func handleChannelData(_ bytes: ArraySlice<UInt8>, stream: Bool) {
        guard let message = try? ChannelData(parsing: bytes) else {
            statistics.malformedDropped += 1
            return
        }
        guard state == .allocated else {
            statistics.unexpectedDropped += 1
            return
        }
        guard let peer = peerByChannel[message.channelNumber] else {
            statistics.unknownChannelDropped += 1
            return
        }
        emit(.data(from: peer, message.data))
    }
}

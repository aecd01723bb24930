#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RingletCore
import RingletTURN

// The UDP data path, on the epoll thread.
extension TURNRelayServer: EpollThreadHandler {
    func readable(_ fd: Int32) {
        guard !isShutDown else { return }
        let relay = fd >= 0 && Int(fd) < relayByFD.count ? relayByFD[Int(fd)] : nil
        let listener = relay == nil && fd >= 0 && Int(fd) < listenerByFD.count ? listenerByFD[Int(fd)] : nil
        guard listener != nil || relay != nil else { return }
        let error = receiveBatch.receive(from: fd)
        guard error == 0 else {
            if error != EAGAIN, error != EWOULDBLOCK, error != EINTR { countSocketError("receive", error) }
            return
        }
        let now = Self.now()
        for i in 0..<receiveBatch.received {
            let (bytes, source, truncated) = receiveBatch.datagram(i)
            guard !truncated, let source else {
                countSocketError("oversized datagram", EMSGSIZE)
                continue
            }
            if let relay {
                fromPeer(bytes, relay: relay, peer: source, now: now)
            } else if let listener {
                fromClient(bytes, client: source, server: listener, now: now)
            }
            if sendBatch.isFull { flushSends() }
        }
    }

    func turnEnded() {
        guard !isShutDown else { return }
        let now = Self.now()
        if let deadline = core.pollTimeout(), deadline <= now {
            core.handleTimeout(now: now)
            drain()
        }
        if now >= nextClockSync {
            core.synchronizeWallClock(unixTime: Self.unixTimeNow(), now: now)
            nextClockSync = now + Self.clockSyncInterval
        }
        flushSends()
    }

    func waitMilliseconds() -> Int32 {
        guard !isShutDown else { return 0 }
        let now = Self.now()
        let wake = core.pollTimeout().map { min($0, nextClockSync) } ?? nextClockSync
        let nanoseconds = wake.nanoseconds &- now.nanoseconds
        guard nanoseconds > 0 else { return 0 }
        return Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
    }

    func loopStopped() {
        finalCounters.withLockedValue { $0 = core.counters }
    }

    // MARK: Inputs

    /// A datagram on the listening socket: relayed straight into the send batch when it is data, else the core
    /// handles it (STUN requests) and its outputs are drained.
    func fromClient(_ bytes: ArraySlice<UInt8>, client: TransportAddress, server: TransportAddress, now: Instant) {
        let flow = TURNServer.ClientFlow(client: client, server: server, transport: .udp)
        let start = sendBatch.arena.count
        switch core.relayFromClient(bytes, flow: flow, now: now, into: &sendBatch.arena) {
        case .transmit(let transmission):
            send(transmission, from: start)
        case .dropped:
            break
        case .notData:
            core.handleFromClient(bytes, flow: flow, now: now)
            drain()
        }
    }

    /// A datagram on a relay socket, relayed straight into the send batch (or dropped by the core).
    func fromPeer(_ bytes: ArraySlice<UInt8>, relay: TransportAddress, peer: TransportAddress, now: Instant) {
        // Another relay of this server, sending to this one by its announced address, was delivered locally:
        // it is seen by the address it is announced as.
        let peer = announcedByBound.isEmpty ? peer : announcedByBound[peer] ?? peer
        let start = sendBatch.arena.count
        if case .transmit(let transmission) = core.relayFromPeer(bytes, relay: relay, peer: peer, now: now,
                                                                 into: &sendBatch.arena)
        {
            send(transmission, from: start)
        }
    }

    // MARK: Outputs

    /// Queues the bytes from `start` to the end of the send arena as `transmission` says (TCP: written now).
    func send(_ transmission: TURNServer.Transmission, from start: Int) {
        switch transmission {
        case .toPeer(let source, let destination):
            // A relay closed meanwhile leaves its bytes unsent in the arena (harmless: they are never referenced).
            guard let fd = relayFDs[source] else { return }
            // A relay of this server, by its announced (external) address: delivered to its bound address, as
            // a NAT may not hairpin.
            let local = boundByAnnounced.isEmpty ? destination : boundByAnnounced[destination] ?? destination
            sendBatch.append(fd: fd, destination: local, from: start)
        case .toClient(let flow):
            if flow.transport == .udp {
                guard let fd = listenerFD(flow.server) else { return }
                sendBatch.append(fd: fd, destination: flow.client, from: start)
            } else {
                writeTCP(flow, sendBatch.arena.bytes[start...])
            }
        }
    }

    /// Carries out every output of the core.
    func drain() {
        while let output = core.pollOutput() {
            switch output {
            case .toClient(let flow, let payload):
                if flow.transport == .udp {
                    guard let fd = listenerFD(flow.server) else { continue }
                    let start = sendBatch.arena.count
                    sendBatch.arena.writeBytes(payload)
                    sendBatch.append(fd: fd, destination: flow.client, from: start)
                } else {
                    writeTCP(flow, payload[...])
                }
            case .toPeer(let datagram):
                let start = sendBatch.arena.count
                sendBatch.arena.writeBytes(datagram.payload)
                send(.toPeer(source: datagram.source, destination: datagram.destination), from: start)
            case .openRelay(let request):
                openRelay(request)
            case .closeRelay(let address):
                closeRelay(address)
            case .closeClientConnection(let flow):
                tcpConnections.removeValue(forKey: flow)?.channel?.close(promise: nil)
            case .event(let event):
                log(event)
            }
            if sendBatch.isFull { flushSends() }
        }
    }

    func flushSends() {
        guard !sendBatch.isEmpty else {
            sendBatch.arena.removeAll(keepingCapacity: true)
            return
        }
        let (failed, dropped) = sendBatch.flush()
        if failed > 0 { countSocketError("send", ECONNREFUSED) }
        if dropped > 0 {
            droppedSends &+= dropped
            countSocketError("send buffer full", EAGAIN)
        }
    }

    /// The UDP listening socket at `address` (the one a client's datagrams arrived on).
    @inline(__always)
    func listenerFD(_ address: TransportAddress) -> Int32? {
        if udpListeners.count == 1 { return udpListeners[0].fd }
        return udpListeners.first { $0.address == address }?.fd
    }

    // MARK: Relays

    /// Opens the relay socket the core asked for and answers it at once (RFC 8656 §7.2): bound to the
    /// configured IP or the one the client reached, on a random port of the configured range (or an ephemeral
    /// one), announced with the external IP when there is one; EVEN-PORT is tried up to 16 times (32 within a
    /// range), DONT-FRAGMENT sets IP_PMTUDISC_DO.
    func openRelay(_ request: TURNServer.RelayRequest) {
        let ip = relay.bindIP.flatMap { $0.isUnspecified ? nil : $0 } ?? request.flow.server.ip
        guard !isShutDown, request.family == ip.family else {
            core.handleRelayFailed(request.id, now: Self.now())
            return
        }
        let attempts = relay.ports != nil ? Self.relayPortAttempts : (request.evenPort ? 16 : 1)
        for _ in 0..<attempts {
            var port: UInt16 = 0
            if let range = relay.ports {
                port = UInt16.random(in: range, using: &portRandom)
                if request.evenPort { port &= ~1 }
                guard range.contains(port) else { continue }
            }
            let bound: (fd: Int32, local: TransportAddress)
            do {
                bound = try UDPSocket.bind(TransportAddress(ip, port), bufferSize: Self.relayBufferSize,
                                           dontFragment: request.dontFragment)
            } catch {
                if relay.ports != nil, error.code == .addressInUse { continue }
                countSocketError("relay bind", errno)
                break
            }
            if request.evenPort, bound.local.port % 2 == 1 {
                close(bound.fd)
                continue
            }
            guard thread.watch(bound.fd) else {
                countSocketError("relay epoll", errno)
                close(bound.fd)
                break
            }
            var announced = bound.local
            if let external = relay.externalIP, external.family == bound.local.ip.family {
                announced = TransportAddress(external, bound.local.port)
                announcedByBound[bound.local] = announced
                boundByAnnounced[announced] = bound.local
            }
            relayFDs[announced] = bound.fd
            let index = Int(bound.fd)
            if relayByFD.count <= index { relayByFD += Array(repeating: nil, count: index + 1 - relayByFD.count) }
            relayByFD[index] = announced
            core.handleRelayOpened(request.id, relay: announced, now: Self.now())
            return
        }
        core.handleRelayFailed(request.id, now: Self.now())
    }

    /// Closes a relay socket (its allocation ended); queued datagrams go out first, so none can leave from a
    /// reused descriptor.
    func closeRelay(_ address: TransportAddress) {
        guard let fd = relayFDs.removeValue(forKey: address) else { return }
        flushSends()
        thread.unwatch(fd)
        if Int(fd) < relayByFD.count { relayByFD[Int(fd)] = nil }
        if let bound = boundByAnnounced.removeValue(forKey: address) { announcedByBound[bound] = nil }
        close(fd)
    }
}

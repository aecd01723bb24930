import RingletCore
import RingletDTLS
import RingletICE
import RingletRTP
import RingletSRTP
import RingletTURN

extension PeerConnection {
    // MARK: ICE

    /// Drains the ICE agent; returns whether it produced anything.
    func drainICE(now: Instant) -> Bool {
        var any = false
        while let output = ice?.pollOutput() {
            any = true
            switch output {
            case .transmit(let t): route(t, now: now)
            case .event(let e): handleICEEvent(e, now: now)
            }
        }
        return any
    }

    func handleICEEvent(_ event: ICEAgent.Event, now: Instant) {
        switch event {
        case .connectionStateChanged(let s):
            emit(.iceConnectionStateChanged(s))
            if s == .connected || s == .completed { startDTLSIfReady(now: now) }
        case .selectedPairChanged(let p):
            emit(.selectedPath(SelectedPath(
                localType: p.local.kind, remoteType: p.remote.kind,
                relayed: p.local.kind == .relayed || p.remote.kind == .relayed, remoteAddress: p.remote.address)))
            startDTLSIfReady(now: now)
        case .localCandidate(let c):
            guard configuration.iceTransportPolicy == .all, let text = try? c.sdpText() else { return }
            emit(.localCandidate(text))
        case .gatheringComplete:
            gatheringComplete = true
            emit(.gatheringComplete)
        case .roleChanged:
            break
        }
    }

    func startDTLSIfReady(now: Instant) {
        guard !dtlsStarted, let dtls, ice?.selectedPair != nil else { return }
        dtlsStarted = true
        dtls.start(now: now)
    }

    /// Sends an ICE transmit directly or through its TURN allocation (RFC 8656 §10–§12).
    func route(_ t: ICEAgent.Transmit, now: Instant) {
        route(t.datagram, relayServer: t.relayServer, now: now)
    }

    func route(_ datagram: Datagram, relayServer: TransportAddress?, now: Instant) {
        guard let server = relayServer else {
            enqueue(datagram)
            return
        }
        guard let i = turn.firstIndex(where: { $0.server == server && $0.relayed == datagram.source }) else {
            counters.sendDropped &+= 1
            return
        }
        do {
            try turn[i].client.sendToPeer(datagram.payload, to: datagram.destination, now: now)
        } catch {
            counters.sendDropped &+= 1
        }
    }

    /// Sends DTLS, SRTP or SRTCP bytes on the selected pair (or, before one is selected, on the pair the peer's
    /// DTLS came from, so the server can answer a ClientHello that overtook the nomination).
    func sendApplicationData(_ payload: [UInt8], now: Instant) {
        guard let agent = ice else {
            counters.sendDropped &+= 1
            return
        }
        if let t = agent.transmit(applicationData: payload) {
            route(t, now: now)
            return
        }
        guard agent.connectionState != .closed, agent.connectionState != .failed,
              let id = lastDTLSPair, let p = agent.pair(id) else {
            counters.sendDropped &+= 1
            return
        }
        route(Datagram(source: p.localBase, destination: p.remote.address, payload: payload),
              relayServer: p.relayServer, now: now)
    }

    // MARK: TURN

    func drainTURN(now: Instant) -> Bool {
        var any = false
        for i in turn.indices {
            while let output = turn[i].client.pollOutput() {
                any = true
                switch output {
                case .transmit(let bytes):
                    enqueue(Datagram(source: turn[i].local, destination: turn[i].server, payload: bytes,
                                     transport: turn[i].client.configuration.transport))
                case .event(let e):
                    handleTURNEvent(e, slot: i, now: now)
                }
            }
        }
        return any
    }

    func handleTURNEvent(_ event: TURNClient.Event, slot i: Int, now: Instant) {
        switch event {
        case .allocated(let relayed, let mapped, _):
            turn[i].relayed = relayed
            turn[i].finished = true
            if let c = ice?.addRelayedCandidate(relayed: relayed, mapped: mapped, server: turn[i].server,
                                                serverTransport: turn[i].client.configuration.transport, now: now),
               let text = try? c.sdpText()
            {
                emit(.localCandidate(text))
            }
            for r in ice?.remoteCandidates ?? [] { permit(r.address, slot: i, now: now) }
            checkLocalGathering(now: now)
        case .data(let peer, let bytes):
            guard let relayed = turn[i].relayed else { return }
            let kind = DatagramKind.classify(bytes)
            switch kind {
            case .stun, .dtls, .rtp, .rtcp:
                receiveOnCandidate(bytes, kind: kind, from: peer, to: relayed, now: now)
            default:
                counters.unknownDropped &+= 1
            }
        case .failed, .closed:
            turn[i].finished = true
            checkLocalGathering(now: now)
        case .refreshed, .permissionCreated, .permissionFailed, .channelBound, .channelBindFailed:
            break
        }
    }

    /// Asks TURN client `i` for a permission toward the remote candidate `peer` (its IP; the whole address is
    /// named, see ``TURNClient/createPermission(for:now:)-(TransportAddress,_)``).
    func permit(_ peer: TransportAddress, slot i: Int, now: Instant) {
        guard turn[i].client.state == .allocated, let r = turn[i].relayed, r.ip.family == peer.ip.family,
              !turn[i].client.hasPermission(for: peer.ip) else { return }
        try? turn[i].client.createPermission(for: peer, now: now)
    }

    /// Tells ICE that no more local candidates come once every TURN client allocated or gave up.
    func checkLocalGathering(now: Instant) {
        guard !localEndOfCandidates, ice != nil, turn.allSatisfy(\.finished) else { return }
        localEndOfCandidates = true
        ice?.endOfLocalCandidates(now: now)
    }

    // MARK: DTLS

    func drainDTLS(now: Instant) -> Bool {
        guard let dtls else { return false }
        var any = false
        while let d = dtls.pollDatagram() {
            any = true
            sendApplicationData(d, now: now)
        }
        while let e = dtls.pollEvent() {
            any = true
            switch e {
            case .connected(let material): keySRTP(material)
            case .applicationData: break
            case .failed: dtlsFailed = true
            case .closed: break
            }
        }
        return any
    }

    /// Splits the DTLS-SRTP exporter output by role (RFC 5764 §4.2): the client protects with the client key.
    func keySRTP(_ material: DTLSSRTPKeyingMaterial) {
        let profile = SRTPProtectionProfile(rawValue: material.profile)
        do {
            let (client, server) = try SRTPMasterKey.split(keyingMaterial: material.keyingMaterial.value,
                                                           profile: profile)
            let local = material.localRole == .client ? client : server
            let remote = material.localRole == .client ? server : client
            srtpSend = try SRTPContext(profile: profile, masterKey: local)
            srtpReceive = try SRTPContext(profile: profile, masterKey: remote)
            emit(.readyToSend)
        } catch {
            dtlsFailed = true
        }
    }
}

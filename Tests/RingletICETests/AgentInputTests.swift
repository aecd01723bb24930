import RingletCore
import RingletICE
import RingletSTUN
import Testing

/// A hand-made controlling peer that speaks STUN directly, to test one input at a time.
struct ManualPeer {
    let address = TransportAddress.t("10.0.0.9:9000")
    let local = TransportAddress.t("10.0.0.2:6000")
    let credentials: ICEAgent.Credentials
    var rng = SeededRandom(seed: 77)

    init() throws {
        credentials = try ICEAgent.Credentials(usernameFragment: "peer", password: "peerpasswordpeerpassword")
    }

    /// A Binding request as Chromium (controlling) sends it to the agent.
    mutating func check(to agent: ICEAgent, useCandidate: Bool, tieBreaker: UInt64 = 1,
                        password: String? = nil, ufrag: String? = nil) throws -> [UInt8] {
        let tid = STUNTransactionID.random(using: &rng)
        var attrs = [
            try STUNAttribute(STUNUsername((ufrag ?? agent.localCredentials.usernameFragment) + ":peer"), transactionID: tid),
            STUNAttribute(STUNPriority(1_853_824_767), transactionID: tid),
            STUNAttribute(STUNICEControlling(tieBreaker: tieBreaker), transactionID: tid),
        ]
        if useCandidate { attrs.append(STUNAttribute(STUNUseCandidate(), transactionID: tid)) }
        let key = try STUNIntegrityKey.shortTerm(password: password ?? agent.localCredentials.password.value)
        return try STUNMessage(type: .bindingRequest, transactionID: tid, attributes: attrs)
            .encoded(messageIntegrity: key, fingerprint: true)
    }

    /// The success response to the agent's request.
    func answer(_ request: [UInt8], from source: TransportAddress) throws -> [UInt8] {
        let m = try STUNMessage(parsing: request)
        let key = try STUNIntegrityKey.shortTerm(password: credentials.password.value)
        #expect(m.verifyMessageIntegrity(key))
        return try STUNMessage(type: .bindingSuccess, transactionID: m.transactionID, attributes: [
            STUNAttribute(STUNXORMappedAddress(address: STUNAddress(source)), transactionID: m.transactionID),
        ]).encoded(messageIntegrity: key, fingerprint: true)
    }
}

func drainTransmits(_ agent: inout ICEAgent) -> [ICEAgent.Transmit] {
    var out = [ICEAgent.Transmit]()
    while let o = agent.pollOutput() { if case .transmit(let t) = o { out.append(t) } }
    return out
}

func controlledAgent(_ peer: ManualPeer) throws -> ICEAgent {
    var rng = SeededRandom(seed: 8)
    var agent = try ICEAgent(role: .controlled, using: &rng)
    agent.addHostCandidate(peer.local, now: .zero)
    try agent.setRemoteCredentials(peer.credentials, now: .zero)
    return agent
}

@Suite("ICE agent inputs")
struct AgentInputTests {
    @Test("a controlled agent answers a USE-CANDIDATE check, checks back and selects that pair")
    func useCandidateWhenControlled() throws {
        var peer = try ManualPeer()
        var agent = try controlledAgent(peer)
        let now = Instant.milliseconds(10)
        let request = try peer.check(to: agent, useCandidate: true)
        #expect(agent.handleDatagram(request, from: peer.address, to: peer.local, now: now) == .consumed)
        let responses = drainTransmits(&agent)
        #expect(responses.count == 1)
        let response = try STUNMessage(parsing: try #require(responses.first).datagram.payload)
        #expect(response.type == .bindingSuccess)
        #expect(try response.attribute(STUNXORMappedAddress.self)?.address == STUNAddress(peer.address))
        #expect(response.verifyMessageIntegrity(try .shortTerm(password: agent.localCredentials.password.value)))
        #expect(agent.selectedPair == nil)
        // The triggered check goes out at the next Ta tick.
        agent.handleTimeout(now: now)
        let checks = drainTransmits(&agent)
        let check = try #require(checks.first)
        #expect(check.datagram.destination == peer.address)
        let m = try STUNMessage(parsing: check.datagram.payload)
        #expect(try m.attribute(STUNUsername.self)?.value == "peer:" + agent.localCredentials.usernameFragment)
        #expect(try m.attribute(STUNICEControlled.self) != nil)
        #expect(m.firstAttribute(.useCandidate) == nil)
        #expect(m.hasFingerprint && m.verifyFingerprint())
        let answer = try peer.answer(check.datagram.payload, from: peer.local)
        #expect(agent.handleDatagram(answer, from: peer.address, to: peer.local, now: now + .milliseconds(5)) == .consumed)
        #expect(agent.selectedPair?.remote.address == peer.address)
        #expect(agent.connectionState == .connected || agent.connectionState == .completed)
    }

    @Test("a USE-CANDIDATE on a pair that already succeeded selects it at once")
    func useCandidateAfterSuccess() throws {
        var peer = try ManualPeer()
        var agent = try controlledAgent(peer)
        _ = agent.handleDatagram(try peer.check(to: agent, useCandidate: false), from: peer.address, to: peer.local, now: .zero)
        agent.handleTimeout(now: .zero)
        let check = try #require(drainTransmits(&agent).last)
        _ = agent.handleDatagram(try peer.answer(check.datagram.payload, from: peer.local), from: peer.address,
                                 to: peer.local, now: .milliseconds(1))
        #expect(agent.selectedPair == nil)
        _ = agent.handleDatagram(try peer.check(to: agent, useCandidate: true), from: peer.address, to: peer.local,
                                 now: .milliseconds(2))
        #expect(agent.selectedPair?.remote.address == peer.address)
    }

    @Test("a controlled agent with the larger tie-breaker answers a controlled peer by becoming controlling")
    func roleConflictControlledSide() throws {
        var peer = try ManualPeer()
        var agent = try controlledAgent(peer)
        // A controlling peer with a larger tie-breaker than a controlling agent: the agent yields.
        var rng = SeededRandom(seed: 1)
        var controlling = try ICEAgent(role: .controlling, using: &rng)
        controlling.addHostCandidate(peer.local, now: .zero)
        try controlling.setRemoteCredentials(peer.credentials, now: .zero)
        let big = try peer.check(to: controlling, useCandidate: false, tieBreaker: .max)
        _ = controlling.handleDatagram(big, from: peer.address, to: peer.local, now: .zero)
        #expect(controlling.role == .controlled)
        // A controlling peer with tie-breaker 0 against a controlling agent: 487.
        var rng2 = SeededRandom(seed: 2)
        var stubborn = try ICEAgent(role: .controlling, using: &rng2)
        stubborn.addHostCandidate(peer.local, now: .zero)
        let small = try peer.check(to: stubborn, useCandidate: false, tieBreaker: 0)
        _ = stubborn.handleDatagram(small, from: peer.address, to: peer.local, now: .zero)
        let reply = try STUNMessage(parsing: try #require(drainTransmits(&stubborn).first).datagram.payload)
        #expect(reply.type == .bindingError)
        #expect(try reply.attribute(STUNErrorCode.self)?.code == 487)
        #expect(stubborn.role == .controlling)
        #expect(stubborn.statistics.roleConflictsSent == 1)
        _ = agent
    }

    @Test("bad input is dropped and counted", arguments: ["garbage", "truncated", "integrity", "ufrag", "unknownLocal", "response"])
    func badInput(kind: String) throws {
        var peer = try ManualPeer()
        var agent = try controlledAgent(peer)
        let good = try peer.check(to: agent, useCandidate: false)
        var to = peer.local
        let bytes: [UInt8]
        let expected: ICEAgent.DropReason
        switch kind {
        case "garbage": bytes = [0x00, 0x01, 0x00, 0x00] + [UInt8](repeating: 0, count: 16); expected = .unknownSource
        case "truncated":
            // A STUN header claiming 8 attribute bytes with only 4 present, and the length patched to match.
            var b = Array(good.prefix(24)); b[2] = 0; b[3] = 4; expected = .malformed; bytes = b
        case "integrity": bytes = try peer.check(to: agent, useCandidate: false, password: "wrongwrongwrongwrongwrong"); expected = .badIntegrity
        case "ufrag": bytes = try peer.check(to: agent, useCandidate: false, ufrag: "nobody"); expected = .unknownUsername
        case "unknownLocal": bytes = good; to = .t("10.9.9.9:1"); expected = .unknownLocalAddress
        default:
            bytes = try STUNMessage(type: .bindingSuccess, transactionID: STUNTransactionID(high: 1, low: 2)).encoded()
            expected = .unmatchedResponse
        }
        let before = agent.statistics
        #expect(agent.handleDatagram(bytes, from: peer.address, to: to, now: .zero) == .dropped(expected))
        #expect(agent.statistics != before)
        #expect(drainTransmits(&agent).isEmpty)
    }

    @Test("application data from an unknown source is dropped")
    func unknownSource() throws {
        let peer = try ManualPeer()
        var agent = try controlledAgent(peer)
        #expect(agent.handleDatagram([0x16, 0xFE, 0xFD, 0, 0], from: peer.address, to: peer.local, now: .zero)
            == .dropped(.unknownSource))
        #expect(agent.statistics.unknownAddress == 1)
    }

    @Test("a closed agent drops everything and sends nothing")
    func closed() throws {
        var peer = try ManualPeer()
        var agent = try controlledAgent(peer)
        agent.close(now: .zero)
        #expect(agent.pollOutput() == .event(.connectionStateChanged(.closed)))
        #expect(agent.handleDatagram(try peer.check(to: agent, useCandidate: true), from: peer.address,
                                     to: peer.local, now: .zero) == .dropped(.closed))
        #expect(agent.pollOutput() == nil)
        #expect(agent.pollTimeout() == nil)
    }

    @Test("seeded garbage and mutated checks never trap")
    func garbageLoop() throws {
        var peer = try ManualPeer()
        var agent = try controlledAgent(peer)
        let good = try peer.check(to: agent, useCandidate: true)
        var rng = SeededRandom(seed: 2024)
        var now = Instant.zero
        var consumed = 0, dropped = 0
        for n in 0..<20_000 {
            var bytes: [UInt8]
            if n % 2 == 0 {
                bytes = rng.bytes(Int(rng.next() % 120))
                if n % 4 == 0, bytes.count >= 8 {
                    // Make it look like STUN so that the parser, not the demultiplexer, sees it.
                    bytes[0] &= 0x01; bytes[4] = 0x21; bytes[5] = 0x12; bytes[6] = 0xA4; bytes[7] = 0x42
                    let len = (bytes.count - 20) & ~3
                    if len >= 0 { bytes = Array(bytes.prefix(20 + len)); bytes[2] = UInt8(len >> 8); bytes[3] = UInt8(len & 0xFF) }
                }
            } else {
                bytes = good
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
            }
            switch agent.handleDatagram(bytes, from: peer.address, to: peer.local, now: now) {
            case .consumed: consumed += 1
            case .dropped: dropped += 1
            case .applicationData: break
            }
            while agent.pollOutput() != nil {}
            now = now + .milliseconds(1)
            if n % 50 == 0 { agent.handleTimeout(now: now) }
        }
        #expect(dropped > 1000)
        let s = agent.statistics
        #expect(s.malformed + s.badIntegrity + s.unknownUsername + s.unmatchedResponses + s.unknownAddress == dropped)
    }
}

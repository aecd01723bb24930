import Testing
import RingletCore
import RingletSTUN
@testable import RingletTURN

@Suite("TURN client: bad input and TCP framing")
struct TURNClientInputTests {
    let peer = TransportAddress("192.0.2.77:6000")!

    /// An allocated client with a bound channel to `peer`; returns it and the channel number.
    func boundClient(_ server: FakeTURNServer, transport: TransportProtocol = .udp) throws -> (TURNClient, UInt16) {
        var client = try server.client(transport: transport)
        try client.allocate(with: server)
        try client.bindChannel(to: peer, now: .zero)
        let bind = try #require(client.drain().requests.first)
        let number = try #require(try bind.attribute(STUNChannelNumber.self)?.number)
        client.handleIncoming(try server.success(bind), now: .zero)
        _ = client.drain()
        return (client, number)
    }

    @Test("Garbage is dropped and counted")
    func garbage() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        for bytes: [UInt8] in [[], [0], [0xFF, 0xFF, 0xFF, 0xFF], Array(repeating: 0, count: 20), [0x40, 0x00, 0x00, 0x09, 1]] {
            client.handleIncoming(bytes, now: .zero)
        }
        #expect(client.drain().events.isEmpty)
        #expect(client.statistics.malformedDropped == 5)
        #expect(client.state == .allocated)
    }

    @Test("A response with an unknown transaction ID is dropped and counted")
    func wrongTransaction() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        let first = try #require(client.drain().requests.first)
        let stranger = try STUNMessage(type: first.type, transactionID: STUNTransactionID(high: 9, low: 9))
        client.handleIncoming(try server.error(stranger, code: 401, challenge: true), now: .zero)
        #expect(client.drain().transmits.isEmpty)
        #expect(client.statistics.unmatchedResponses == 1)
        #expect(client.state == .allocating)
    }

    @Test("A success response with bad or missing integrity is dropped, counted, and the real one still accepted")
    func badIntegrity() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        let first = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(first, code: 401, challenge: true), now: .zero)
        let second = try #require(client.drain().requests.first)
        let wrongKey = try STUNIntegrityKey.longTerm(username: server.username, realm: server.realm, password: "nope")
        let id = second.transactionID
        let attributes = [STUNAttribute(STUNXORRelayedAddress(address: STUNAddress(server.relayed)), transactionID: id)]
        client.handleIncoming(try server.success(second, attributes, key: wrongKey), now: .zero)
        client.handleIncoming(try server.success(second, attributes, signed: false), now: .zero)
        #expect(client.drain().events.isEmpty)
        #expect(client.statistics.integrityFailures == 2)
        client.handleIncoming(try server.allocateSuccess(second), now: .zero)
        #expect(client.state == .allocated)
    }

    @Test("ChannelData on an unknown channel is dropped and counted")
    func unknownChannel() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        client.handleIncoming([0x4A, 0xBC, 0x00, 0x01, 0x55], now: .zero)
        #expect(client.drain().events.isEmpty)
        #expect(client.statistics.unknownChannelDropped == 1)
    }

    @Test("A request or unexpected indication from the server is dropped and counted")
    func unexpected() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        let request = try STUNMessage(type: .bindingRequest, transactionID: STUNTransactionID(high: 1, low: 1))
        client.handleIncoming(request.encoded(), now: .zero)
        let indication = try STUNMessage(type: .bindingIndication, transactionID: STUNTransactionID(high: 1, low: 1))
        client.handleIncoming(indication.encoded(), now: .zero)
        #expect(client.drain().events.isEmpty)
        #expect(client.statistics.unexpectedDropped == 2)
    }

    @Test("Seeded garbage and mutated server messages never trap the client", arguments: [TransportProtocol.udp, .tcp])
    func garbageLoop(transport: TransportProtocol) throws {
        let server = try FakeTURNServer()
        var rng = SeededRandom(seed: 0x7475_726E)
        let (start, number) = try boundClient(server, transport: transport)
        var client = start
        var valid: [[UInt8]] = [
            try server.dataIndication(from: peer, [1, 2, 3, 4, 5]),
            [UInt8(number >> 8), UInt8(number & 0xFF), 0, 4, 1, 2, 3, 4],
        ]
        client.handleTimeout(now: .zero + .seconds(540))
        for request in client.drain().requests {
            valid.append(try server.success(request))
            valid.append(try server.error(request, code: 438, challenge: true))
        }
        var dropped = 0
        var restarts = 0
        func drops(_ s: TURNClient.Statistics) -> Int {
            s.malformedDropped + s.unmatchedResponses + s.integrityFailures + s.unknownChannelDropped + s.unexpectedDropped
        }
        for i in 0..<20_000 {
            var input: [UInt8]
            if i % 2 == 0 {
                input = rng.bytes(Int(rng.next() % 96))
                if i % 8 == 0, !input.isEmpty { input[0] = 0x01 } // STUN-looking first byte
                if i % 8 == 2, input.count > 8 { input[4...7] = [0x21, 0x12, 0xA4, 0x42] }
            } else {
                input = valid[Int(rng.next() % UInt64(valid.count))]
                for _ in 0..<(1 + Int(rng.next() % 4)) where !input.isEmpty {
                    input[Int(rng.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 4 == 0 { input = Array(input.prefix(Int(rng.next() % UInt64(input.count + 1)))) }
            }
            if transport == .tcp {
                // Each input starts a fresh stream, so a huge declared length cannot swallow the inputs after it.
                dropped += drops(client.statistics)
                client = start
            }
            client.handleIncoming(input, now: .zero + .seconds(540))
            _ = client.drain()
            if client.state != .allocated {
                // TCP framing errors end the stream; start again so the loop keeps exercising the parser.
                dropped += drops(client.statistics)
                restarts += 1
                client = start
            }
        }
        dropped += drops(client.statistics)
        // Over UDP each bad input is dropped and counted; over TCP a bad frame ends the stream (a restart here).
        #expect(dropped + restarts > 2_000, "bad inputs are dropped and counted, or end the stream")
        #expect(client.state == .allocated || client.state == .failed)
    }

    @Test("Over TCP, a stream split at every byte boundary yields the same messages")
    func tcpSplitEverywhere() throws {
        let server = try FakeTURNServer()
        // Build the server's stream: the 401, the Allocate success, a Data indication, padded ChannelData.
        var probe = try server.client(transport: .tcp)
        probe.start(now: .zero)
        let first = try #require(probe.drain().requests.first)
        let challenge = try server.error(first, code: 401, challenge: true)
        probe.handleIncoming(challenge, now: .zero)
        let second = try #require(probe.drain().requests.first)
        let success = try server.allocateSuccess(second)
        probe.handleIncoming(success, now: .zero)
        try probe.bindChannel(to: peer, now: .zero)
        let bind = try #require(probe.drain().requests.first)
        let number = try #require(try bind.attribute(STUNChannelNumber.self)?.number)
        let bound = try server.success(bind)
        let indication = try server.dataIndication(from: peer, [1, 2, 3])
        let channelData: [UInt8] = [UInt8(number >> 8), UInt8(number & 0xFF), 0, 5, 9, 8, 7, 6, 5, 0, 0, 0]
        let tail = bound + indication + channelData

        // The same seed gives the same transaction IDs, so each fresh client matches the recorded responses.
        func run(_ chunks: [ArraySlice<UInt8>]) throws -> [TURNClient.Event] {
            var client = try server.client(transport: .tcp)
            client.start(now: .zero)
            _ = client.drain()
            client.handleIncoming(challenge, now: .zero)
            _ = client.drain()
            var events: [TURNClient.Event] = []
            var fed = false
            for chunk in chunks {
                client.handleIncoming(chunk, now: .zero)
                events += client.drain().events
                if !fed, client.state == .allocated {
                    fed = true
                    try client.bindChannel(to: peer, now: .zero)
                    _ = client.drain()
                }
            }
            return events
        }
        let expected = try run([success[...], tail[...]])
        #expect(expected.count == 4)
        #expect(expected.last == .data(from: peer, [9, 8, 7, 6, 5][...]))
        // Splitting inside the Allocate success delays the bind; the channel messages go in a second feed.
        for cut in 0...success.count {
            let events = try run([success[..<cut], success[cut...], tail[...]])
            #expect(events == expected, "split at \(cut)")
        }
        for cut in 0...tail.count {
            let events = try run([success[...], tail[..<cut], tail[cut...]])
            #expect(events == expected, "split at \(success.count + cut)")
        }
        let oneByOne = try run(success.indices.map { success[$0...$0] } + tail.indices.map { tail[$0...$0] })
        #expect(oneByOne == expected)
    }

    @Test("Over TCP, bytes that are neither STUN nor ChannelData end the client with a failure")
    func tcpBadFraming() throws {
        let server = try FakeTURNServer()
        var client = try server.client(transport: .tcp)
        try client.allocate(with: server)
        client.handleIncoming([0xC0, 0, 0, 0], now: .zero)
        let events = client.drain().events
        guard case .failed(let f) = try #require(events.first) else { Issue.record("\(events)"); return }
        #expect(f.error.code == .unknownFraming)
    }

    @Test("Over TCP, ChannelData sent to a peer is padded to 4 bytes")
    func tcpPaddedChannelData() throws {
        let server = try FakeTURNServer()
        let (start, number) = try boundClient(server, transport: .tcp)
        var client = start
        try client.sendToPeer([1, 2, 3, 4, 5], to: peer, now: .zero)
        let bytes = try #require(client.drain().transmits.first)
        #expect(bytes == [UInt8(number >> 8), UInt8(number & 0xFF), 0, 5, 1, 2, 3, 4, 5, 0, 0, 0])
    }
}

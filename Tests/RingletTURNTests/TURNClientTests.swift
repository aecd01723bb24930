import Testing
import RingletCore
import RingletSTUN
@testable import RingletTURN

@Suite("TURN client")
struct TURNClientTests {
    let peer = TransportAddress("192.0.2.77:6000")!

    @Test("The first Allocate has no credentials and asks for a UDP relay")
    func firstAllocate() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        let request = try #require(client.drain().requests.first)
        #expect(request.type == STUNMessageType(method: .allocate, messageClass: .request))
        #expect(try request.attribute(STUNRequestedTransport.self)?.protocolNumber == 17)
        #expect(!request.has(.username))
        #expect(!request.hasMessageIntegrity)
        #expect(client.state == .allocating)
    }

    @Test("A 401 challenge is answered with USERNAME, REALM, NONCE and a MESSAGE-INTEGRITY the server verifies")
    func challengeAnswered() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        let first = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(first, code: 401, challenge: true), now: .milliseconds(20))
        let second = try #require(client.drain().requests.first)
        #expect(second.transactionID != first.transactionID)
        #expect(try second.attribute(STUNUsername.self)?.value == server.username)
        #expect(try second.attribute(STUNRealm.self)?.value == server.realm)
        #expect(try second.attribute(STUNNonce.self)?.value == server.nonce)
        #expect(try second.attribute(STUNRequestedTransport.self)?.protocolNumber == 17)
        #expect(second.verifyMessageIntegrity(server.key))
    }

    @Test("A success response gives the relayed and server-reflexive addresses and the lifetime")
    func allocated() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        let drained = try client.allocate(with: server)
        #expect(drained.events == [.allocated(relayed: server.relayed, mapped: server.mapped, lifetime: .seconds(600))])
        #expect(client.state == .allocated)
        #expect(client.relayedAddress == server.relayed)
        #expect(client.mappedAddress == server.mapped)
        #expect(client.allocationExpiry == .zero + .seconds(600))
    }

    @Test("A server offering PASSWORD-ALGORITHMS gets SHA-256 keys and MESSAGE-INTEGRITY-SHA256")
    func sha256() throws {
        let server = try FakeTURNServer()
        server.nonce = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"
        var client = try server.client()
        client.start(now: .zero)
        let first = try #require(client.drain().requests.first)
        let offered = STUNAttribute(STUNPasswordAlgorithms([try STUNPasswordAlgorithm(.sha256), try STUNPasswordAlgorithm(.md5)]),
                                    transactionID: first.transactionID)
        client.handleIncoming(try server.error(first, code: 401, challenge: true, extra: [offered]), now: .zero)
        let second = try #require(client.drain().requests.first)
        #expect(second.hasMessageIntegritySHA256)
        #expect(!second.hasMessageIntegrity)
        #expect(try second.attribute(STUNPasswordAlgorithm.self)?.algorithm == .sha256)
        #expect(try second.attribute(STUNPasswordAlgorithms.self)?.algorithms.count == 2)
        let key = try STUNIntegrityKey.longTerm(username: server.username, realm: server.realm, password: server.password,
                                                passwordAlgorithm: .sha256, algorithm: .hmacSHA256)
        #expect(second.verifyMessageIntegrity(key))
        // The success response signed with MESSAGE-INTEGRITY-SHA256 is accepted.
        let id = second.transactionID
        let response = try STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .successResponse),
                                       transactionID: id, attributes: [
                                           STUNAttribute(STUNXORRelayedAddress(address: STUNAddress(server.relayed)), transactionID: id),
                                           STUNAttribute(STUNLifetime(seconds: 600), transactionID: id),
                                       ]).encoded(messageIntegritySHA256: key)
        client.handleIncoming(response, now: .zero)
        #expect(client.state == .allocated)
    }

    @Test("438 Stale Nonce is retried with the new nonce and a new transaction")
    func staleNonce() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        client.handleTimeout(now: .zero + .seconds(540))
        let refresh = try #require(client.drain().requests.first)
        server.nonce = "nonce-2"
        client.handleIncoming(try server.error(refresh, code: 438, challenge: true), now: .zero + .seconds(541))
        let again = try #require(client.drain().requests.first)
        #expect(again.type.method == .refresh)
        #expect(again.transactionID != refresh.transactionID)
        #expect(try again.attribute(STUNNonce.self)?.value == "nonce-2")
        #expect(again.verifyMessageIntegrity(server.key))
        client.handleIncoming(try server.refreshSuccess(again, lifetime: 600), now: .zero + .seconds(541))
        #expect(client.drain().events == [.refreshed(lifetime: .seconds(600))])
    }

    @Test("Endless 438 answers end in a typed failure")
    func staleNonceLoop() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        var request = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(request, code: 401, challenge: true), now: .zero)
        var events: [TURNClient.Event] = []
        for i in 0..<10 {
            let d = client.drain()
            events += d.events
            guard let next = d.requests.first else { break }
            request = next
            server.nonce = "nonce-\(i + 10)"
            client.handleIncoming(try server.error(request, code: 438, challenge: true), now: .zero)
        }
        events += client.drain().events
        guard case .failed(let failure) = try #require(events.last) else {
            Issue.record("expected a failure, got \(events)")
            return
        }
        #expect(failure.errorCode == 438)
        #expect(client.state == .failed)
    }

    @Test("A 401 to the authenticated request (wrong password) is a typed failure")
    func wrongPassword() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        let first = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(first, code: 401, challenge: true), now: .zero)
        let second = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(second, code: 401, challenge: true), now: .zero)
        let events = client.drain().events
        guard case .failed(let failure) = try #require(events.first) else {
            Issue.record("expected a failure, got \(events)")
            return
        }
        #expect(failure.errorCode == 401)
        #expect(failure.method == .allocate)
        #expect(failure.error.code == .errorResponse)
        #expect(client.state == .failed)
        #expect(client.pollTimeout() == nil)
    }

    @Test("Allocate error responses are reported as typed failures", arguments: [403, 437, 440, 442, 486, 508])
    func allocateErrors(code: Int) throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        let first = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(first, code: 401, challenge: true), now: .zero)
        let second = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(second, code: code, signed: true), now: .zero)
        #expect(client.drain().events == [.failed(TURNClient.Failure(
            error: TURNError(.errorResponse, field: "Allocate", "\(code) test \(code)"), method: .allocate, errorCode: code))])
    }

    @Test("The allocation is refreshed 60 s before it expires, with the requested LIFETIME")
    func refreshTiming() throws {
        let server = try FakeTURNServer()
        var client = try server.client { $0.requestedLifetime = 900 }
        try client.allocate(with: server, lifetime: 900)
        #expect(client.pollTimeout() == .zero + .seconds(840))
        client.handleTimeout(now: .zero + .seconds(839))
        #expect(client.drain().requests.isEmpty)
        client.handleTimeout(now: .zero + .seconds(840))
        let refresh = try #require(client.drain().requests.first)
        #expect(refresh.type.method == .refresh)
        #expect(try refresh.attribute(STUNLifetime.self)?.seconds == 900)
        #expect(refresh.verifyMessageIntegrity(server.key))
        client.handleIncoming(try server.refreshSuccess(refresh, lifetime: 900), now: .zero + .seconds(841))
        #expect(client.drain().events == [.refreshed(lifetime: .seconds(900))])
        #expect(client.pollTimeout() == .zero + .seconds(841 + 840))
    }

    @Test("A short lifetime is refreshed at half its length")
    func shortLifetime() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server, lifetime: 100)
        #expect(client.pollTimeout() == .zero + .seconds(50))
    }

    @Test("A 437 to a Refresh means the allocation is gone")
    func refreshMismatch() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        client.handleTimeout(now: .zero + .seconds(540))
        let refresh = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(refresh, code: 437, signed: true), now: .zero + .seconds(540))
        let events = client.drain().events
        guard case .failed(let f) = try #require(events.first) else { Issue.record("\(events)"); return }
        #expect(f.errorCode == 437)
        #expect(f.method == .refresh)
    }

    @Test("Data to a new peer waits for CreatePermission, goes as a Send indication, then a channel is bound")
    func sendViaIndicationThenChannel() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        try client.sendToPeer(Array("hello".utf8), to: peer, now: .zero + .seconds(1))
        let permission = try #require(client.drain().requests.first)
        #expect(permission.type.method == .createPermission)
        // The whole peer address is named (a server may judge the port: its own relayed addresses).
        #expect(try permission.attribute(STUNXORPeerAddress.self)?.address.transportAddress == peer)
        #expect(permission.verifyMessageIntegrity(server.key))

        client.handleIncoming(try server.success(permission), now: .zero + .seconds(1))
        let afterPermission = client.drain()
        #expect(afterPermission.events == [.permissionCreated(peer.ip)])
        let indication = try #require(afterPermission.messages.first { $0.type.messageClass == .indication })
        #expect(indication.type.method == .send)
        #expect(try indication.attribute(STUNXORPeerAddress.self)?.address.transportAddress == peer)
        #expect(try indication.attribute(STUNData.self).map { Array($0.bytes) } == Array("hello".utf8))
        let bind = try #require(afterPermission.requests.first)
        #expect(bind.type.method == .channelBind)
        let number = try #require(try bind.attribute(STUNChannelNumber.self)?.number)
        #expect(ChannelData.channelNumberRange.contains(number))
        #expect(try bind.attribute(STUNXORPeerAddress.self)?.address.transportAddress == peer)

        // Until the bind is confirmed, data still goes as Send indications.
        try client.sendToPeer(Array("wait".utf8), to: peer, now: .zero + .seconds(1))
        #expect(client.drain().messages.first?.type.method == .send)

        client.handleIncoming(try server.success(bind), now: .zero + .seconds(2))
        #expect(client.drain().events == [.channelBound(channel: number, peer: peer)])
        try client.sendToPeer(Array("hi".utf8), to: peer, now: .zero + .seconds(2))
        let channelData = try #require(client.drain().transmits.first)
        #expect(channelData == [UInt8(number >> 8), UInt8(number & 0xFF), 0, 2] + Array("hi".utf8))
        #expect(client.channelNumber(for: peer) == number)
    }

    @Test("Data from peers arrives as Data indications and as ChannelData on a bound channel")
    func receiveData() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        client.handleIncoming(try server.dataIndication(from: peer, [1, 2, 3]), now: .zero + .seconds(1))
        #expect(client.drain().events == [.data(from: peer, [1, 2, 3][...])])

        try client.bindChannel(to: peer, now: .zero + .seconds(1))
        let bind = try #require(client.drain().requests.first)
        let number = try #require(try bind.attribute(STUNChannelNumber.self)?.number)
        client.handleIncoming(try server.success(bind), now: .zero + .seconds(1))
        _ = client.drain()
        client.handleIncoming([UInt8(number >> 8), UInt8(number & 0xFF), 0, 3, 9, 8, 7, 0], now: .zero + .seconds(2))
        #expect(client.drain().events == [.data(from: peer, [9, 8, 7][...])])
    }

    @Test("A permission asked for a peer address names that address, and its refresh names it again")
    func permissionNamesPeer() throws {
        let server = try FakeTURNServer()
        var client = try server.client { $0.requestedLifetime = 3600 }
        try client.allocate(with: server, lifetime: 3600)
        try client.createPermission(for: peer, now: .zero)
        let permission = try #require(client.drain().requests.first)
        #expect(try permission.attribute(STUNXORPeerAddress.self)?.address.transportAddress == peer)
        client.handleIncoming(try server.success(permission), now: .zero)
        _ = client.drain()
        client.handleTimeout(now: .zero + .seconds(241))
        let refresh = try #require(client.drain().requests.first { $0.type.method == .createPermission })
        #expect(try refresh.attribute(STUNXORPeerAddress.self)?.address.transportAddress == peer)
    }

    @Test("Permissions are refreshed every 4 minutes and channels every 9 minutes")
    func permissionAndChannelRefresh() throws {
        let server = try FakeTURNServer()
        var client = try server.client { $0.requestedLifetime = 3600 }
        try client.allocate(with: server, lifetime: 3600)
        try client.createPermission(for: peer.ip, now: .zero)
        let permission = try #require(client.drain().requests.first)
        client.handleIncoming(try server.success(permission), now: .zero)
        try client.bindChannel(to: peer, now: .zero)
        let bind = try #require(client.drain().requests.first)
        let number = try #require(try bind.attribute(STUNChannelNumber.self)?.number)
        client.handleIncoming(try server.success(bind), now: .zero)
        _ = client.drain()

        #expect(client.pollTimeout() == .zero + .seconds(240))
        client.handleTimeout(now: .zero + .seconds(240))
        let permissionRefresh = try #require(client.drain().requests.first)
        #expect(permissionRefresh.type.method == .createPermission)
        #expect(try permissionRefresh.attribute(STUNXORPeerAddress.self)?.address.transportAddress?.ip == peer.ip)
        client.handleIncoming(try server.success(permissionRefresh), now: .zero + .seconds(240))
        #expect(client.drain().events.isEmpty, "a refresh is not a new permission")

        #expect(client.pollTimeout() == .zero + .seconds(480))
        client.handleTimeout(now: .zero + .seconds(480))
        let second = try #require(client.drain().requests.first)
        client.handleIncoming(try server.success(second), now: .zero + .seconds(480))

        #expect(client.pollTimeout() == .zero + .seconds(540))
        client.handleTimeout(now: .zero + .seconds(540))
        let channelRefresh = try #require(client.drain().requests.first)
        #expect(channelRefresh.type.method == .channelBind)
        #expect(try channelRefresh.attribute(STUNChannelNumber.self)?.number == number)
        client.handleIncoming(try server.success(channelRefresh), now: .zero + .seconds(540))
        #expect(client.pollTimeout() == .zero + .seconds(720))
        #expect(client.channelNumber(for: peer) == number)
    }

    @Test("A refused permission is reported, its queued data dropped, and the allocation lives on")
    func permissionRefused() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        try client.sendToPeer([1], to: peer, now: .zero)
        let permission = try #require(client.drain().requests.first)
        client.handleIncoming(try server.error(permission, code: 403, signed: true), now: .zero)
        let d = client.drain()
        #expect(d.transmits.isEmpty)
        guard case .permissionFailed(let ip, let f) = try #require(d.events.first) else { Issue.record("\(d.events)"); return }
        #expect(ip == peer.ip)
        #expect(f.errorCode == 403)
        #expect(client.state == .allocated)
        #expect(!client.hasPermission(for: peer.ip))
    }

    @Test("Closing sends a Refresh with LIFETIME 0 and reports closed")
    func deallocate() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        client.close(now: .zero + .seconds(5))
        let refresh = try #require(client.drain().requests.first)
        #expect(refresh.type.method == .refresh)
        #expect(try refresh.attribute(STUNLifetime.self)?.seconds == 0)
        #expect(refresh.verifyMessageIntegrity(server.key))
        #expect(client.state == .closing)
        client.handleIncoming(try server.refreshSuccess(refresh, lifetime: 0), now: .zero + .seconds(5))
        #expect(client.drain().events == [.closed])
        #expect(client.state == .closed)
        #expect(client.pollTimeout() == nil)
        #expect(throws: TURNError.self) { try client.sendToPeer([1], to: peer, now: .zero + .seconds(6)) }
    }

    @Test("Closing before the allocation exists closes at once")
    func closeEarly() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        _ = client.drain()
        client.close(now: .zero)
        #expect(client.drain().events == [.closed])
        #expect(client.pollTimeout() == nil)
    }

    @Test("Over UDP a request is sent 7 times at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s, then gives up at 39.5 s")
    func retransmissions() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        client.start(now: .zero)
        let first = try #require(client.drain().transmits.first)
        var sendTimes: [Int64] = [0]
        var events: [TURNClient.Event] = []
        for _ in 0..<20 {
            guard let deadline = client.pollTimeout() else { break }
            client.handleTimeout(now: deadline)
            let d = client.drain()
            for t in d.transmits {
                #expect(t == first, "a retransmission repeats the same bytes")
                sendTimes.append(deadline.milliseconds)
            }
            events += d.events
        }
        #expect(sendTimes == [0, 500, 1500, 3500, 7500, 15500, 31500])
        #expect(client.statistics.retransmissions == 6)
        guard case .failed(let f) = try #require(events.last) else { Issue.record("\(events)"); return }
        #expect(f.error.code == .requestTimedOut)
        #expect(client.state == .failed)
    }

    @Test("Over TCP a request is never retransmitted and times out after 39.5 s")
    func tcpTimeout() throws {
        let server = try FakeTURNServer()
        var client = try server.client(transport: .tcp)
        client.start(now: .zero)
        #expect(client.drain().transmits.count == 1)
        #expect(client.pollTimeout() == .milliseconds(39_500))
        client.handleTimeout(now: .milliseconds(39_499))
        #expect(client.drain().transmits.isEmpty)
        client.handleTimeout(now: .milliseconds(39_500))
        let d = client.drain()
        #expect(d.transmits.isEmpty)
        guard case .failed(let f) = try #require(d.events.first) else { Issue.record("\(d.events)"); return }
        #expect(f.error.code == .requestTimedOut)
    }

    @Test("Retransmission settings are configurable")
    func configurableRetransmission() throws {
        let server = try FakeTURNServer()
        var client = try server.client {
            $0.rto = .milliseconds(100)
            $0.maxRequestSends = 2
            $0.finalWaitMultiplier = 4
        }
        client.start(now: .zero)
        _ = client.drain()
        #expect(client.pollTimeout() == .milliseconds(100))
        client.handleTimeout(now: .milliseconds(100))
        #expect(client.drain().transmits.count == 1)
        #expect(client.pollTimeout() == .milliseconds(500))
        client.handleTimeout(now: .milliseconds(500))
        #expect(client.state == .failed)
    }

    @Test("An unanswered deallocation still closes")
    func deallocTimeout() throws {
        let server = try FakeTURNServer()
        var client = try server.client()
        try client.allocate(with: server)
        client.close(now: .zero)
        _ = client.drain()
        for _ in 0..<20 {
            guard let deadline = client.pollTimeout() else { break }
            client.handleTimeout(now: deadline)
        }
        #expect(client.drain().events == [.closed])
    }

    @Test("Invalid configurations are refused", arguments: ["rto", "sends", "permission", "username"])
    func invalidConfiguration(field: String) throws {
        let server = try FakeTURNServer()
        #expect(throws: TURNError.self) {
            _ = try server.client {
                switch field {
                case "rto": $0.rto = .zero
                case "sends": $0.maxRequestSends = 0
                case "permission": $0.permissionRefreshInterval = .seconds(300)
                default: $0.username = ""
                }
            }
        }
    }

    @Test("The password never appears when the configuration is printed")
    func redactedPassword() throws {
        let server = try FakeTURNServer()
        let text = String(describing: server.configuration()) + String(reflecting: server.configuration())
        #expect(!text.contains(server.password))
        #expect(text.contains("redacted"))
    }
}

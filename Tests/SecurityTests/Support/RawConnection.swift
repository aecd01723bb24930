import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RingletCore
import RingletSTUN
import RingletTURN
import RingletWebTestSupport

/// A plain TCP connection an attack controls byte by byte: it connects from a chosen loopback address, sends what
/// it is told, records what it receives (up to a cap) and when the server closed it. `reading: false` stops
/// reading after connecting (a client that never reads: its receive buffer fills and the server's writes stall).
final class RawConnection: @unchecked Sendable {
    // @unchecked Sendable: `channel` is set once; the recorder is locked.
    let channel: any Channel
    let recorder: Recorder
    let opened = ContinuousClock.now

    /// What the connection received, and when it closed.
    final class Recorder: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked Sendable: state is under the lock; handler methods run on the channel's loop.
        typealias InboundIn = ByteBuffer
        struct State {
            var bytes: [UInt8] = []
            var total = 0
            var closedAt: ContinuousClock.Instant?
        }
        let state = NIOLockedValueBox(State())
        let keep: Int
        init(keep: Int) { self.keep = keep }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            state.withLockedValue { s in
                s.total += buffer.readableBytes
                if s.bytes.count < keep { s.bytes += buffer.readableBytesView.prefix(keep - s.bytes.count) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closedAt = .now }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private init(channel: any Channel, recorder: Recorder) {
        self.channel = channel
        self.recorder = recorder
    }

    /// Connects to `127.0.0.1:port` from `source` (a 127/8 address; port chosen by the kernel).
    static func open(port: Int, from source: String = "127.0.0.1", group: any EventLoopGroup, keep: Int = 1 << 20,
                     receiveBuffer: Int? = nil) async throws -> RawConnection {
        let recorder = Recorder(keep: keep)
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        // The socket must be made on a thread of the lab's namespace (its loops), not on the test's thread.
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let connect = bootstrap
        let channel = try await group.next().flatSubmit { connect.connect(to: target) }.get()
        return RawConnection(channel: channel, recorder: recorder)
    }

    /// Sends `bytes` (does not wait for them to leave).
    func send(_ bytes: [UInt8]) {
        let buffer = channel.allocator.buffer(bytes: bytes)
        channel.writeAndFlush(buffer, promise: nil)
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Stops (false) or resumes reading from the socket; nothing when the connection is closed already.
    func setReading(_ reading: Bool) async throws {
        guard channel.isActive else { return }
        do {
            try await channel.setOption(.autoRead, value: reading).get()
        } catch ChannelError.ioOnClosedChannel {
            return
        }
        if reading { channel.read() }
    }

    var received: [UInt8] { recorder.state.withLockedValue { $0.bytes } }
    var receivedCount: Int { recorder.state.withLockedValue { $0.total } }
    var closedAt: ContinuousClock.Instant? { recorder.state.withLockedValue { $0.closedAt } }
    var isClosed: Bool { closedAt != nil }

    func close() { channel.close(promise: nil) }

    /// Opens `count` connections to `port`, spread over `sources` addresses (`127.0.0.<2+i>`), `batch` at a
    /// time; connections that fail to connect are left out (and counted).
    static func openMany(_ count: Int, port: Int, sources: Int, group: any EventLoopGroup, keep: Int = 256)
        async -> (connections: [RawConnection], failed: Int)
    {
        var connections: [RawConnection] = []
        var failed = 0
        var next = 0
        while next < count {
            let batch = min(100, count - next)
            let opened = await withTaskGroup(of: RawConnection?.self) { tasks in
                for i in next..<(next + batch) {
                    tasks.addTask {
                        try? await RawConnection.open(port: port, from: "127.0.0.\(2 + i % sources)", group: group,
                                                      keep: keep)
                    }
                }
                var made: [RawConnection?] = []
                for await connection in tasks { made.append(connection) }
                return made
            }
            connections += opened.compactMap { $0 }
            failed += opened.filter { $0 == nil }.count
            next += batch
        }
        return (connections, failed)
    }
}

/// A WebSocket client made of a ``RawConnection``: the upgrade request, masked frames, and the server's frames
/// parsed from what it received. Enough to send what a well-behaved client never would.
final class RawWebSocket: @unchecked Sendable {
    let connection: RawConnection

    init(_ connection: RawConnection) { self.connection = connection }

    /// Connects and upgrades `path`; throws unless the server answers 101.
    static func open(path: String, port: Int, from source: String = "127.0.0.1", group: any EventLoopGroup,
                     receiveBuffer: Int? = nil) async throws -> RawWebSocket {
        let connection = try await RawConnection.open(port: port, from: source, group: group, keep: 8 << 20,
                                                      receiveBuffer: receiveBuffer)
        connection.send("""
            GET \(path) HTTP/1.1\r
            Host: 127.0.0.1:\(port)\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
            Sec-WebSocket-Version: 13\r
            \r

            """)
        let socket = RawWebSocket(connection)
        let end = ContinuousClock.now + .seconds(10)
        while socket.headEnd == nil {
            if connection.isClosed || ContinuousClock.now > end {
                throw RawSocketError("no WebSocket upgrade: \(String(decoding: connection.received.prefix(200), as: UTF8.self))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard connection.received.starts(with: Array("HTTP/1.1 101".utf8)) else {
            throw RawSocketError("upgrade refused: \(String(decoding: connection.received.prefix(200), as: UTF8.self))")
        }
        return socket
    }

    /// Where the HTTP answer's head ends in what was received.
    var headEnd: Int? {
        let bytes = connection.received
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    /// Sends one masked frame (`opcode` 1 text, 2 binary, 8 close), final unless `fin` is false.
    func sendFrame(_ payload: [UInt8], opcode: UInt8 = 1, fin: Bool = true) {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let n = payload.count
        if n < 126 {
            frame.append(0x80 | UInt8(n))
        } else if n <= 0xFFFF {
            frame += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8(truncatingIfNeeded: n >> shift)) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
        connection.send(frame)
    }

    func sendText(_ text: String) { sendFrame(Array(text.utf8)) }

    /// The server's frames so far: text messages and the close frame's code and reason, if one came.
    func frames() -> (texts: [String], close: (code: Int, reason: String)?) {
        let bytes = connection.received
        guard var at = headEnd else { return ([], nil) }
        var texts: [String] = []
        var close: (Int, String)?
        while at + 2 <= bytes.count {
            let opcode = bytes[at] & 0x0F
            var length = Int(bytes[at + 1] & 0x7F)
            var header = 2
            if length == 126 {
                guard at + 4 <= bytes.count else { break }
                length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
                header = 4
            } else if length == 127 {
                guard at + 10 <= bytes.count else { break }
                length = bytes[(at + 2)..<(at + 10)].reduce(0) { $0 << 8 | Int($1) }
                header = 10
            }
            guard at + header + length <= bytes.count else { break }
            let payload = Array(bytes[(at + header)..<(at + header + length)])
            if opcode == 1 { texts.append(String(decoding: payload, as: UTF8.self)) }
            if opcode == 8 {
                let code = payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 1005
                close = (code, String(decoding: payload.dropFirst(2), as: UTF8.self))
            }
            at += header + length
        }
        return (texts, close)
    }

    /// The `code` fields of the server's `error` messages so far.
    var errorCodes: [String] {
        frames().texts.compactMap { text in
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  object["type"] as? String == "error" else { return nil }
            return object["code"] as? String
        }
    }

    /// Waits (bounded) until the connection is closed; true when it was.
    func waitClosed(seconds: Double) async -> Bool {
        await poll(seconds: seconds) { connection.isClosed }
    }
}

struct RawSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

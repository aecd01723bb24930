import Glibc
import NIOConcurrencyHelpers
import RingletCore
import Testing
@testable import RingletNIO

/// The TURN data path's raw sockets: sockaddr conversion, batched send and receive, the epoll thread.
@Suite("TURN data path sockets (recvmmsg, sendmmsg, epoll)", .timeLimit(.minutes(1)))
struct DatagramBatchTests {
    @Test("a transport address survives the trip through sockaddr_storage", arguments: [
        "127.0.0.1:3478", "192.0.2.1:1", "[::1]:5349", "[2001:db8::abcd:1]:65535", "[::ffff:192.0.2.1]:9",
    ])
    func sockaddrRoundTrip(text: String) throws {
        let address = try #require(TransportAddress(text))
        var storage = sockaddr_storage()
        let length = address.store(into: &storage)
        #expect(Int(length) == (address.ip.family == .v4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size))
        #expect(TransportAddress(storage: storage) == address)
    }

    /// Waits (bounded) until `fd` is readable.
    func waitReadable(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 5000) == 1
    }

    @Test("datagrams queued from two sockets arrive whole, in order per socket, and are read back in one batch")
    func sendAndReceive() throws {
        let a = try UDPSocket.bind(TransportAddress(.loopbackV4, 0), bufferSize: 1 << 20)
        let b = try UDPSocket.bind(TransportAddress(.loopbackV4, 0), bufferSize: 1 << 20)
        let sink = try UDPSocket.bind(TransportAddress(.loopbackV4, 0), bufferSize: 1 << 20)
        defer { [a.fd, b.fd, sink.fd].forEach { _ = close($0) } }
        let batch = DatagramSendBatch(capacity: 64, arenaLimit: 1 << 16)
        for i in 0..<20 {
            let start = batch.arena.count
            batch.arena.writeBytes([UInt8(i)] + [UInt8](repeating: 0xEE, count: i * 50))
            batch.append(fd: i % 2 == 0 ? a.fd : b.fd, destination: sink.local, from: start)
        }
        #expect(batch.isFull == false)
        let (failed, dropped) = batch.flush()
        #expect(failed == 0 && dropped == 0)
        #expect(batch.isEmpty && batch.arena.count == 0)

        let receive = DatagramReceiveBatch(count: 32, slotSize: 2048)
        var got: [(first: UInt8, count: Int, source: TransportAddress?)] = []
        for _ in 0..<10 where got.count < 20 {
            guard waitReadable(sink.fd) else { break }
            #expect(receive.receive(from: sink.fd) == 0)
            for i in 0..<receive.received {
                let d = receive.datagram(i)
                #expect(!d.truncated)
                got.append((d.bytes.first ?? 0xFF, d.bytes.count, d.source))
            }
        }
        #expect(got.count == 20)
        for g in got {
            #expect(g.count == 1 + Int(g.first) * 50)
            #expect(g.source == (g.first % 2 == 0 ? a.local : b.local))
        }
        let evens = got.filter { $0.first % 2 == 0 }.map(\.first)
        #expect(evens == evens.sorted())
        #expect(receive.receive(from: sink.fd) == EAGAIN)
    }

    @Test("a datagram larger than a slot is marked truncated")
    func truncation() throws {
        let sender = try UDPSocket.bind(TransportAddress(.loopbackV4, 0), bufferSize: 1 << 20)
        let sink = try UDPSocket.bind(TransportAddress(.loopbackV4, 0), bufferSize: 1 << 20)
        defer { [sender.fd, sink.fd].forEach { _ = close($0) } }
        let batch = DatagramSendBatch(capacity: 4, arenaLimit: 1 << 16)
        batch.arena.writeBytes([UInt8](repeating: 1, count: 300))
        batch.append(fd: sender.fd, destination: sink.local, from: 0)
        _ = batch.flush()
        let receive = DatagramReceiveBatch(count: 4, slotSize: 256)
        #expect(waitReadable(sink.fd))
        #expect(receive.receive(from: sink.fd) == 0)
        #expect(receive.received == 1)
        #expect(receive.datagram(0).truncated)
        #expect(receive.datagram(5).truncated) // out of range: nothing
    }

    /// Records what the thread calls.
    final class Recorder: EpollThreadHandler, @unchecked Sendable {
        // @unchecked Sendable: `seen` is locked.
        let seen = NIOLockedValueBox<[String]>([])
        let fd: Int32
        init(fd: Int32) { self.fd = fd }
        func readable(_ fd: Int32) {
            var byte: UInt8 = 0
            _ = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
            seen.withLockedValue { $0.append("readable \(byte)") }
        }
        func turnEnded() {}
        func waitMilliseconds() -> Int32 { 1000 }
        func loopStopped() { seen.withLockedValue { $0.append("stopped") } }
    }

    @Test("the epoll thread reports readable sockets, runs tasks from other threads, stops, then refuses tasks")
    func epollThread() async throws {
        let socket = try UDPSocket.bind(TransportAddress(.loopbackV4, 0), bufferSize: 1 << 16)
        let sender = try UDPSocket.bind(TransportAddress(.loopbackV4, 0), bufferSize: 1 << 16)
        defer { [socket.fd, sender.fd].forEach { _ = close($0) } }
        let thread = try EpollThread()
        let recorder = Recorder(fd: socket.fd)
        #expect(thread.watch(socket.fd))
        try thread.start(name: "test-epoll", handler: recorder)
        let batch = DatagramSendBatch(capacity: 1, arenaLimit: 16)
        batch.arena.writeBytes([7] as [UInt8])
        batch.append(fd: sender.fd, destination: socket.local, from: 0)
        _ = batch.flush()
        let ran = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let queued = thread.execute { c.resume(returning: true) }
            if !queued { c.resume(returning: false) }
        }
        #expect(ran)
        for _ in 0..<500 where !recorder.seen.withLockedValue({ $0.contains("readable 7") }) { usleep(10_000) }
        #expect(recorder.seen.withLockedValue { $0.contains("readable 7") })
        thread.execute { thread.stop() }
        for _ in 0..<500 where thread.execute({}) { usleep(10_000) }
        #expect(!thread.execute {})
        #expect(recorder.seen.withLockedValue { $0.last } == "stopped")
    }
}

import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import RingletTestSupport
import Synchronization

/// What went wrong talking to the browser: a command's error, a timeout, a closed connection.
package struct DevToolsError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// One Chrome DevTools Protocol WebSocket (a browser's or a page's endpoint) — or a WebDriver BiDi one, whose
/// framing is the same (`{id, method, params}` answered by `{id, result}` or `{id, error, message}`, events as
/// `{method, params}`): commands with ids answered by results, and events kept in arrival order for tests to
/// look through.
///
/// The socket is a HummingbirdWSClient connection on the event loop group given, which must live in the
/// browser's network namespace (`NetworkNamespace.makeEventLoopGroup`). Every command has a timeout; a closed
/// connection fails every command waiting and every later one.
package final class DevToolsConnection: Sendable {
    /// One event: its method, its params as JSON, and the flattened session it came from (if any).
    package struct Event: Sendable {
        package let method: String
        package let params: Data
        package let sessionId: String?
        /// The params as a dictionary.
        package var object: [String: Any] { (try? JSONSerialization.jsonObject(with: params)) as? [String: Any] ?? [:] }
    }

    private struct State {
        var nextID = 1
        var waiting: [Int: CheckedContinuation<Data, any Error>] = [:]
        var events: [Event] = []
        var closed: String?
    }

    private let state = Mutex(State())
    private let outgoing: AsyncStream<String>.Continuation
    /// The URL connected to.
    package let url: String

    private init(url: String, outgoing: AsyncStream<String>.Continuation) {
        self.url = url
        self.outgoing = outgoing
    }

    /// Connects to `url` (`ws://127.0.0.1:PORT/devtools/…`) on `group`; returns once the WebSocket is open.
    package static func connect(url: String, group: any EventLoopGroup, timeout: Duration = .seconds(10))
        async throws -> DevToolsConnection
    {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let connection = DevToolsConnection(url: url, outgoing: continuation)
        let (opened, openedContinuation) = AsyncStream<Bool>.makeStream()
        let logger = Logger(label: "ringlet.test.cdp")
        // The connection's life: it ends when the browser closes the socket or `close()` finishes `stream`.
        Task {
            do {
                _ = try await WebSocketClient.connect(
                    url: url, configuration: .init(maxFrameSize: 64 << 20), eventLoopGroup: group, logger: logger
                ) { inbound, outbound, _ in
                    openedContinuation.yield(true)
                    try await withThrowingTaskGroup(of: Void.self) { tasks in
                        tasks.addTask {
                            for await text in stream { try await outbound.writeTextMessage(text) }
                            try? await outbound.close(.normalClosure, reason: nil)
                        }
                        for try await message in inbound.messages(maxSize: 64 << 20) {
                            if case .text(let text) = message { connection.receive(text) }
                        }
                        tasks.cancelAll()
                    }
                }
                connection.closed("the browser closed the DevTools connection")
            } catch {
                connection.closed("DevTools connection failed: \(error)")
            }
            openedContinuation.yield(false)
            openedContinuation.finish()
        }
        let open = try await withDeadline(timeout, "connecting to \(url)") {
            for await value in opened { return value }
            return false
        }
        guard open else { throw DevToolsError("cannot connect to \(url): \(connection.closedReason ?? "?")") }
        return connection
    }

    /// Sends a command and returns its `result` (an empty dictionary when it has none).
    ///
    /// - Throws: `DevToolsError` with the browser's error message, on timeout, or when the connection closed.
    @discardableResult
    package func send(_ method: String, _ params: [String: Any] = [:], sessionId: String? = nil,
                      timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        var message: [String: Any] = ["method": method, "params": params]
        if let sessionId { message["sessionId"] = sessionId }
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        message["id"] = id
        let text = String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self)
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            let refused = state.withLock { state -> String? in
                if let reason = state.closed { return reason }
                state.waiting[id] = continuation
                return nil
            }
            if let refused {
                continuation.resume(throwing: DevToolsError("\(method): \(refused)"))
                return
            }
            outgoing.yield(text)
            Task {
                try? await Task.sleep(for: timeout)
                self.finish(id, .failure(DevToolsError("\(method) got no answer within \(timeout)")))
            }
        }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// The events received so far with this method (all when nil), oldest first.
    package func events(_ method: String? = nil) -> [Event] {
        state.withLock { state in state.events.filter { method == nil || $0.method == method } }
    }

    /// Waits (bounded) for an event with this method whose params satisfy `match`; returns it.
    package func waitForEvent(_ method: String, timeout: Duration = .seconds(10),
                              where match: @escaping @Sendable ([String: Any]) -> Bool = { _ in true }) async throws -> Event {
        let end = ContinuousClock.now + timeout
        while true {
            if let event = events(method).first(where: { match($0.object) }) { return event }
            if let reason = closedReason { throw DevToolsError("waiting for \(method): \(reason)") }
            guard ContinuousClock.now < end else { throw DevToolsError("no \(method) event within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Why the connection is closed, or nil while it is open.
    package var closedReason: String? { state.withLock { $0.closed } }

    /// Closes the WebSocket (pending commands fail).
    package func close() {
        outgoing.finish()
        closed("closed by the test")
    }

    private func receive(_ text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        if let id = object["id"] as? Int {
            if let error = object["error"] as? [String: Any] {
                finish(id, .failure(DevToolsError("DevTools error \(error["code"] ?? ""): \(error["message"] ?? "")")))
            } else if let error = object["error"] as? String {
                // WebDriver BiDi: {"type": "error", "id", "error": "no such node", "message"}.
                finish(id, .failure(DevToolsError("BiDi error \(error): \(object["message"] ?? "")")))
            } else {
                let result = object["result"] ?? [String: Any]()
                finish(id, .success((try? JSONSerialization.data(withJSONObject: result)) ?? Data("{}".utf8)))
            }
        } else if let method = object["method"] as? String {
            let params = (try? JSONSerialization.data(withJSONObject: object["params"] ?? [String: Any]())) ?? Data("{}".utf8)
            let event = Event(method: method, params: params, sessionId: object["sessionId"] as? String)
            state.withLock { $0.events.append(event) }
        }
    }

    private func finish(_ id: Int, _ result: Result<Data, DevToolsError>) {
        let continuation = state.withLock { $0.waiting.removeValue(forKey: id) }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    private func closed(_ reason: String) {
        let waiting = state.withLock { state -> [CheckedContinuation<Data, any Error>] in
            if state.closed == nil { state.closed = reason }
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume(throwing: DevToolsError(reason)) }
    }
}

/// Runs `body`, throwing ``TestSupportError`` if it takes longer than `timeout` (the body is cancelled then).
public func withDeadline<T: Sendable>(_ timeout: Duration, _ what: String,
                                      _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TestSupportError("\(what): nothing within \(timeout)")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TestSupportError("\(what): nothing ran") }
        return first
    }
}

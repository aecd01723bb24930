import ArgumentParser
import Foundation

/// A command whose work is synchronous and blocks its thread (it polls child processes, waits on futures and a
/// semaphore): it runs on a thread of its own, never on a Swift concurrency thread — the async `main` of
/// `ringlet` would otherwise run it inside its task.
protocol BlockingCommand: AsyncParsableCommand, Sendable {
    /// The command's work, on its own thread.
    func runBlocking() throws
}

extension BlockingCommand {
    func run() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { c.resume(with: Result { try self.runBlocking() }) }
        }
    }
}

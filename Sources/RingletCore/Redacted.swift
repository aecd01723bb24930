/// A value that never shows itself in logs or descriptions: secrets (keys, passwords, tokens) and peer
/// addresses are wrapped in it before they reach a `Logger`.
public struct Redacted<Value: Sendable>: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The wrapped value, for code that needs it (never for logs).
    public let value: Value

    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

extension Redacted: Equatable where Value: Equatable {}
extension Redacted: Hashable where Value: Hashable {}

/// The one shape of every module's error (the swift-nio pattern): an open `code` saying what kind of failure it
/// was, the field or input concerned, the byte offset (or line) where it happened when known, a message for
/// people, and the lower layer's error when this one was caused by it.
///
/// Each module names its errors with a domain and a type alias — `typealias STUNError = CodedError<STUNErrors>`
/// — and declares its codes on ``Code`` in an extension constrained to that domain, so that `.truncated` means
/// STUN's code where a `STUNError.Code` is expected and RTP's where an `RTPError.Code` is. Errors cross layers
/// typed: the layer above keeps the one below in ``underlying`` rather than flattening it into text.
///
/// Equality and hashing compare code, field, offset and message; the underlying error is context, not identity.
public struct CodedError<Domain: CodedErrorDomain>: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure: a short stable name. Open (a struct, not an enum) so that codes can be added; compare
    /// against the domain's static constants.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The name, e.g. `"truncated"`.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Makes a code from its name.
        public init(_ name: String) { self.rawValue = name }
        /// The name.
        public var description: String { rawValue }
    }

    /// What kind of failure.
    public let code: Code
    /// The field, attribute or input concerned, e.g. `"XOR-MAPPED-ADDRESS"` or `"header.length"`; empty where a
    /// module's errors name none (a store call, a connection).
    public let field: String
    /// Where in the input it happened (a byte offset, or a line for text formats), when known.
    public let offset: Int?
    /// What went wrong, for people.
    public let message: String
    /// The lower layer's error that caused this one, if any.
    public let underlying: (any Error & Sendable)?

    /// Makes an error.
    /// - Parameters:
    ///   - code: what kind of failure.
    ///   - field: the field or input concerned.
    ///   - offset: where in the input, when known.
    ///   - message: what went wrong, for people.
    ///   - underlying: the lower layer's error that caused it.
    public init(_ code: Code, field: String = "", offset: Int? = nil, _ message: String = "",
                underlying: (any Error & Sendable)? = nil)
    {
        self.code = code
        self.field = field
        self.offset = offset
        self.message = message
        self.underlying = underlying
    }

    /// The same error at another place (an attribute's error reported within its message, a line's within its
    /// document).
    public func at(offset: Int?) -> CodedError {
        CodedError(code, field: field, offset: offset, message, underlying: underlying)
    }

    /// `<Domain> <code> at <field> (offset N): <message> (<underlying>)`, leaving out what is absent.
    public var description: String {
        var s = "\(Domain.name) \(code)"
        if !field.isEmpty { s += " at \(field)" }
        if let offset { s += " (offset \(offset))" }
        if !message.isEmpty { s += ": \(message)" }
        if let underlying { s += " (\(underlying))" }
        return s
    }

    public static func == (a: CodedError, b: CodedError) -> Bool {
        a.code == b.code && a.field == b.field && a.offset == b.offset && a.message == b.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(field)
        hasher.combine(offset)
        hasher.combine(message)
    }
}

/// Names a module's errors: `enum STUNErrors: CodedErrorDomain { static let name = "STUN" }`.
public protocol CodedErrorDomain: Sendable {
    /// The module's short name, first in every description ("STUN", "RTP").
    static var name: String { get }
}

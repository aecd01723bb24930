/// The class of a STUN message: two bits, so the four values are all there is (RFC 8489 §5).
public enum STUNClass: UInt8, Hashable, Sendable, CaseIterable {
    /// A request (C1 C0 = 0b00).
    case request = 0b00
    /// An indication (0b01).
    case indication = 0b01
    /// A success response (0b10).
    case successResponse = 0b10
    /// An error response (0b11).
    case errorResponse = 0b11
}

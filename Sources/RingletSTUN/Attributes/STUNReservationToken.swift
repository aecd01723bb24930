/// RESERVATION-TOKEN (RFC 8656 §18.10): a 64-bit token naming a reserved relayed address.
public struct STUNReservationToken: STUNIntegerAttribute, Hashable {
    /// RESERVATION-TOKEN.
    public static let attributeType = STUNAttributeType.reservationToken
    /// The token.
    public let token: UInt64
    /// Wraps a token.
    public init(token: UInt64) { self.token = token }
    /// ``token``, as sent.
    public var integerValue: UInt64 { token }
    /// Wraps the received integer.
    public init(integerValue: UInt64) { self.init(token: integerValue) }
}

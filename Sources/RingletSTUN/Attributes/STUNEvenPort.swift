/// EVEN-PORT (RFC 8656 §18.7): ask for an even relayed port; R asks to reserve the next one too. One byte.
public struct STUNEvenPort: STUNIntegerAttribute, Hashable {
    /// EVEN-PORT.
    public static let attributeType = STUNAttributeType.evenPort
    /// The R bit.
    public let reserveNext: Bool
    /// Wraps the flag.
    public init(reserveNext: Bool) { self.reserveNext = reserveNext }
    /// The byte sent: R in the top bit, the other 7 bits reserved (zero).
    public var integerValue: UInt8 { reserveNext ? 0x80 : 0 }
    /// Reads R from the top bit of the received byte, ignoring the reserved bits.
    public init(integerValue: UInt8) { self.init(reserveNext: integerValue & 0x80 != 0) }
}
